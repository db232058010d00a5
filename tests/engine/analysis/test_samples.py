"""On the sample shop, every analysis figure matches one computed straight from the
export files and truth.csv (tests/support/sample_orders.py), not through the engine."""
import math

import numpy as np
import pandas as pd
import pytest

from engine import Shop
from tests.support.sample_orders import sample_lines, sample_orders
from tests.support.snapshot import SAMPLES, meta, sample_files

AS_OF = meta()["as_of"]
MONTHS = ["2025-07", "2025-08", "2025-09", "2025-10"]


@pytest.fixture(scope="module")
def shop():
    shop = Shop(":memory:")
    for path in sample_files():
        shop.imports.import_file(path)
    return shop


@pytest.fixture(scope="module")
def truth():
    return pd.read_csv(SAMPLES / "truth.csv")


def test_kpis_match_truth(shop, truth):
    kpis = shop.analysis.kpis(AS_OF)
    waited = (pd.Timestamp(AS_OF) - pd.to_datetime(truth["first_purchase"])).dt.days >= 90
    assert kpis["customers"] == len(truth) == meta()["customers"]
    assert kpis["orders"] == truth["purchase_count"].sum() == meta()["valid_orders"]
    assert kpis["sales"] == truth["total_amount"].sum()
    assert kpis["active_customers"] == (truth["recency_days"] <= 365).sum()
    assert kpis["repeat_rate"] == pytest.approx((truth["purchase_count"] >= 2).mean())
    assert waited.sum() > 10
    assert kpis["f2_conversion"] == pytest.approx(
        (truth.loc[waited, "purchase_count"] >= 2).mean())
    assert kpis["average_purchase_count"] == pytest.approx(truth["purchase_count"].mean())
    assert kpis["average_order_value"] == pytest.approx(
        truth["total_amount"].sum() / truth["purchase_count"].sum())
    assert kpis["ltv"] == pytest.approx(truth["total_amount"].mean())


def test_monthly_sales_match_the_files(shop):
    orders = sample_orders()
    orders["new"] = orders["amount"].where(orders["purchase_number"] == 1, 0)
    expected = orders.groupby("month").agg(
        sales=("amount", "sum"), new_sales=("new", "sum"), orders=("amount", "size"),
        buyers=("person", "nunique"))
    expected["repeat_sales"] = expected["sales"] - expected["new_sales"]
    table = shop.analysis.monthly_sales(AS_OF, months=5).set_index("month")
    assert list(table.index) == MONTHS + ["2025-11"]
    # As of 2025-11-01 November has just begun: not a month without sales.
    assert table.loc["2025-11"].tolist() == [False, 0, 0, 0, 0, 0]
    assert table.loc[MONTHS, "complete"].all()
    for column in ["sales", "new_sales", "repeat_sales", "orders", "buyers"]:
        assert table.loc[MONTHS, column].tolist() == expected.loc[MONTHS, column].tolist(), column
    assert expected["repeat_sales"].sum() > 0


def test_decompose_matches_the_files(shop):
    orders = sample_orders()
    expected = orders.groupby("month").agg(
        sales=("amount", "sum"), orders=("amount", "size"), buyers=("person", "nunique"))
    table = shop.analysis.decompose("2025-07", "2025-10").set_index("month")
    assert list(table.index) == MONTHS
    assert table["sales"].tolist() == expected["sales"].tolist()
    assert table["buyers"].tolist() == expected["buyers"].tolist()
    assert table["orders_per_buyer"].tolist() == pytest.approx(
        (expected["orders"] / expected["buyers"]).tolist())
    assert table["average_order_value"].tolist() == pytest.approx(
        (expected["sales"] / expected["orders"]).tolist())
    for month, row in table.iterrows():
        product = row["buyers"] * row["orders_per_buyer"] * row["average_order_value"]
        assert math.isclose(product, row["sales"], rel_tol=1e-9), month
    # The samples hold one year only: no month has a year-earlier figure.
    assert table["sales_yoy"].isna().all() and not table["beat_two_months"].any()


def test_cohorts_match_the_files(shop):
    orders = sample_orders()
    first = orders[orders["purchase_number"] == 1].set_index("person")["month"]
    orders["cohort"] = orders["person"].map(first)
    index = {m: i for i, m in enumerate(MONTHS)}
    orders["since"] = orders["month"].map(index) - orders["cohort"].map(index)
    table = shop.analysis.cohorts(AS_OF).set_index("cohort")
    assert list(table.index) == MONTHS
    assert list(table.columns) == ["customers", 0, 1, 2, 3, 4]
    assert table["customers"].tolist() == first.value_counts().sort_index().tolist()
    again = orders[orders["purchase_number"] > 1]
    for (cohort, since), people in again.groupby(["cohort", "since"])["person"]:
        share = people.nunique() / table.loc[cohort, "customers"]
        assert table.loc[cohort, since] == pytest.approx(share), (cohort, since)
    # Every other open cell is 0; cells after the as-of month (2025-11) are NaN.
    shares = table[[0, 1, 2, 3, 4]].to_numpy()
    assert np.nansum(shares) == pytest.approx(sum(
        people.nunique() / table.loc[c, "customers"]
        for (c, _), people in again.groupby(["cohort", "since"])["person"]))
    # November (month 4 − cohort) has begun but is not over on 2025-11-01: not opened.
    opened = np.arange(5)[None, :] <= (3 - np.arange(4))[:, None]
    assert (np.isnan(shares) == ~opened).all()


def test_entry_products_match_the_files(shop, truth):
    lines = sample_lines()
    orders = sample_orders()
    first_orders = orders[orders["purchase_number"] == 1][["source", "order_no"]]
    entries = (lines.merge(first_orders, on=["source", "order_no"])[["code", "person"]]
               .drop_duplicates())
    people = truth.set_index("person")
    entries = entries.join(people[["purchase_count", "total_amount", "first_purchase"]],
                           on="person")
    table = shop.analysis.entry_products(AS_OF).set_index("product_code")
    assert sorted(table.index) == sorted(entries["code"].unique())
    for code, group in entries.groupby("code"):
        row = table.loc[code]
        waited = (pd.Timestamp(AS_OF) - pd.to_datetime(group["first_purchase"])).dt.days >= 90
        assert row["customers"] == len(group), code
        assert row["f2_base"] == waited.sum(), code
        assert row["average_purchase_count"] == pytest.approx(group["purchase_count"].mean())
        assert row["average_total_amount"] == pytest.approx(group["total_amount"].mean())
        if waited.any():
            assert row["f2_conversion"] == pytest.approx(
                (group.loc[waited, "purchase_count"] >= 2).mean()), code
        else:
            assert math.isnan(row["f2_conversion"]), code
