"""Sales = buyers × orders per buyer × average order value, with YoY (SPEC §3)."""
import math

import pytest

from engine.analysis.decomposition import DECOMPOSITION_COLUMNS, display_table
from engine.errors import OtokuiError
from tests.support.tiny_shop import tiny_shop

ROWS = [
    ("X", "1", "2024-01-05", "S1", 1000, 1), ("Y", "2", "2024-01-20", "S1", 2000, 1),
    ("X", "3", "2024-02-05", "S1", 1000, 1),
    ("X", "4", "2024-03-01", "S1", 500, 1), ("X", "5", "2024-03-15", "S1", 700, 1),
    ("Y", "6", "2024-03-31", "S1", 300, 1),
    ("X", "7", "2024-04-10", "S1", 100, 1),
    ("X", "8", "2025-01-02", "S1", 2000, 1), ("Y", "9", "2025-01-03", "S1", 1000, 1),
    ("Z", "10", "2025-01-04", "S1", 500, 1), ("Z", "11", "2025-01-31", "S1", 500, 1),
    ("X", "12", "2025-02-28", "S1", 900, 1),
    ("Y", "13", "2025-03-01", "S1", 1000, 1), ("Z", "14", "2025-03-02", "S1", 600, 1),
    ("Z", "15", "2025-03-03", "S1", 999, 1, "キャンセル"),
    ("X", "16", "2025-04-30", "S1", 200, 1),
]


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    return tiny_shop(tmp_path_factory.mktemp("decomposition"), ROWS)


def rows(shop, first, last):
    table = shop.analysis.decompose(first, last)
    assert list(table.columns) == DECOMPOSITION_COLUMNS
    return table.set_index("month")


def test_factors_and_year_over_year_by_hand(shop):
    table = rows(shop, "2025-01", "2025-05")
    assert list(table.index) == ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05"]
    jan = table.loc["2025-01"]
    # 4000 = 3 buyers × 4/3 orders each × 1000; a year earlier 3000 = 2 × 1 × 1500.
    assert (jan["sales"], jan["buyers"]) == (4000, 3)
    assert jan["orders_per_buyer"] == pytest.approx(4 / 3)
    assert jan["average_order_value"] == pytest.approx(1000)
    assert jan["sales_yoy"] == pytest.approx(4 / 3)
    assert jan["buyers_yoy"] == pytest.approx(3 / 2)
    assert jan["orders_per_buyer_yoy"] == pytest.approx(4 / 3)
    assert jan["average_order_value_yoy"] == pytest.approx(2 / 3)
    assert table.loc["2025-02", "sales_yoy"] == pytest.approx(0.9)
    mar = table.loc["2025-03"]  # the cancelled 999 does not count
    assert (mar["sales"], mar["buyers"]) == (1600, 2)
    assert mar["sales_yoy"] == pytest.approx(16 / 15)
    assert mar["orders_per_buyer_yoy"] == pytest.approx(2 / 3)
    assert mar["average_order_value_yoy"] == pytest.approx(1.6)
    assert table.loc["2025-04", "sales_yoy"] == pytest.approx(2)


def test_two_months_running_flag(shop):
    table = rows(shop, "2025-01", "2025-05")
    # Jan beats last year but Dec 2024 had nothing a year before; Feb falls short;
    # Mar beats after Feb; Apr beats after Mar.
    assert table["beat_two_months"].tolist() == [False, False, False, True, False]
    # The month before the range still counts.
    assert rows(shop, "2025-04", "2025-04")["beat_two_months"].tolist() == [True]


def test_factors_multiply_back_to_sales(shop):
    table = rows(shop, "2024-01", "2025-04")
    sold = table[table["sales"] > 0]
    assert len(sold) == 8
    for month, row in sold.iterrows():
        product = row["buyers"] * row["orders_per_buyer"] * row["average_order_value"]
        assert math.isclose(product, row["sales"], rel_tol=1e-9, abs_tol=0), month
        if not math.isnan(row["sales_yoy"]):
            yoy = row["buyers_yoy"] * row["orders_per_buyer_yoy"] * row["average_order_value_yoy"]
            assert math.isclose(yoy, row["sales_yoy"], rel_tol=1e-9), month


def test_months_without_a_prior_year_or_without_sales(shop):
    table = rows(shop, "2024-02", "2024-03")
    assert table["sales"].tolist() == [1000, 1500]
    assert table["buyers"].tolist() == [1, 2]
    assert table["orders_per_buyer"].tolist() == [1, 1.5]
    for column in ("sales_yoy", "buyers_yoy", "orders_per_buyer_yoy", "average_order_value_yoy"):
        assert table[column].isna().all(), column
    assert not table["beat_two_months"].any()
    may = rows(shop, "2025-05", "2025-05").loc["2025-05"]
    assert (may["sales"], may["buyers"]) == (0, 0)
    assert math.isnan(may["orders_per_buyer"]) and math.isnan(may["average_order_value"])
    assert math.isnan(may["sales_yoy"]) and not may["beat_two_months"]


def test_a_month_not_over_has_no_ratio_and_is_marked(shop):
    """Half of April against the whole April of last year is no 前年比."""
    table = shop.analysis.decompose("2025-03", "2025-04", as_of="2025-04-15").set_index("month")
    assert table["complete"].tolist() == [True, False]
    april = table.loc["2025-04"]
    assert april["sales"] == 0  # X's order of 04-30 is after the as-of date
    for column in ("sales_yoy", "buyers_yoy", "orders_per_buyer_yoy", "average_order_value_yoy"):
        assert math.isnan(april[column]), column
    assert not april["beat_two_months"]
    assert table.loc["2025-03", "sales_yoy"] == pytest.approx(16 / 15)
    shown = display_table(table.reset_index())
    assert shown["month"].tolist() == ["2025-03", "2025-04（集計中）"]
    assert "complete" not in shown.columns
    # Once April is over, its ratio is there (200 against 100).
    over = shop.analysis.decompose("2025-04", "2025-04", as_of="2025-04-30")
    assert over["complete"].tolist() == [True] and over["sales_yoy"].tolist() == [2]


def test_a_month_without_sales_after_one_with_sales_has_ratio_zero(shop):
    # 2025-02 had sales; 2026-02 had none: the ratio is 0, not missing.
    feb = rows(shop, "2026-02", "2026-02").loc["2026-02"]
    assert feb["sales_yoy"] == 0 and feb["buyers_yoy"] == 0


@pytest.mark.parametrize("first, last", [("2025-13", "2026-01"), ("2025/01", "2025-02"),
                                         ("abc", "2025-01"), ("2025-03", "2025-01")])
def test_bad_months_are_japanese_errors(shop, first, last):
    with pytest.raises(OtokuiError, match="月|期間"):
        shop.analysis.decompose(first, last)
