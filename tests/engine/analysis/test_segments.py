"""Rank segments, clusters and the per-cluster summary with hand-computed figures."""
import pandas as pd
import pytest

from engine import OtokuiError, Shop
from engine.analysis.rfm import CLUSTERS
from tests.support.analysis_shop import build, build_many
from tests.support.snapshot import SAMPLES, meta, sample_files

AS_OF = "2024-12-31"
# Ties at every boundary (percentages 10/20/30 of N = 10 → sizes 1, 2, 3):
#   rank 1 c5 30000 in 2 orders   beats c3 (same amount, fewer orders)
#   rank 2 c3 30000 1 order 06-01 beats c7 (same amount, orders, date: lower id)
#   rank 3 c7 30000 1 order 06-01 beats c4 (same amount and orders, later date)
#   rank 4 c4 30000 1 order 05-31, rank 5 c10 29999
TIES = {
    1: [("2024-01-10", 1000)] * 5,
    2: [("2024-02-01", 2000), ("2024-03-01", 2000)],
    3: [("2024-06-01", 30000)],
    4: [("2024-05-31", 30000)],
    5: [("2024-03-01", 15000), ("2024-05-01", 15000)],
    6: [("2024-01-05", 1000)] * 3,
    7: [("2024-06-01", 30000)],
    8: [("2024-07-07", 500)],
    9: [("2024-08-01", 100)] * 4,
    10: [("2024-09-09", 29999)],
    11: [],                              # only a cancelled order (added below)
    12: [("2025-01-01", 99999)],         # the day after the as-of date: ignored
}


@pytest.fixture
def ties():
    shop = build(TIES)
    shop.db.execute(
        "INSERT INTO orders (source, order_no, ordered_at, order_date, status, customer_id,"
        " amount, digest) VALUES ('generic', 'C1', '2024-02-02', '2024-02-02', 'cancelled',"
        " 11, 88888, '')")
    return shop


def clusters(frame):
    return dict(zip(frame["customer_id"], frame["cluster"]))


def test_tie_breaks_at_every_top_boundary(ties):
    ties.segments.set_percentages({"top1": 10, "top10": 20, "top20": 30})
    metrics = ties.segments.metrics(AS_OF)
    assert metrics["customer_id"].tolist()[:5] == [5, 3, 7, 4, 10]
    assert clusters(metrics) == {
        5: "top1", 3: "top10", 7: "top20", 4: "once", 10: "once", 8: "once",
        1: "repeat4plus", 9: "repeat4plus", 2: "twice_thrice", 6: "twice_thrice"}
    assert dict(zip(metrics["customer_id"], metrics["segment"]))[7] == "top20"


def test_default_percentages_on_ten_buyers(ties):
    # ⌈0.01·10⌉ = 1, ⌈0.10·10⌉ = 1, ⌈0.20·10⌉ = 2: TOP10% adds nobody beyond TOP1%.
    found = clusters(ties.segments.metrics(AS_OF))
    assert (found[5], found[3], found[7]) == ("top1", "top20", "once")
    assert "top10" not in found.values()


def test_customers_table_uses_the_stored_percentages(ties):
    ties.segments.set_percentages({"top1": 10, "top10": 20, "top20": 30})
    table = ties.customers.table(AS_OF)
    assert clusters(table) == clusters(ties.segments.metrics(AS_OF))
    assert dict(zip(table["customer_id"], table["segment"]))[3] == "top10"


def test_summary_sums_by_cluster(ties):
    ties.segments.set_percentages({"top1": 10, "top10": 20, "top20": 30})
    summary = ties.segments.summary(AS_OF)
    assert summary.columns.tolist() == ["cluster", "label", "customers", "sales", "share"]
    assert summary["cluster"].tolist() == list(CLUSTERS)
    total = 5000 + 4000 + 30000 * 4 + 3000 + 500 + 400 + 29999
    expected = {"top1": (1, 30000), "top10": (1, 30000), "top20": (1, 30000),
                "once": (3, 30000 + 29999 + 500), "twice_thrice": (2, 4000 + 3000),
                "repeat4plus": (2, 5000 + 400)}
    for row in summary.itertuples():
        assert (row.customers, row.sales) == expected[row.cluster]
        assert row.share == pytest.approx(row.sales / total)
    assert summary["customers"].sum() == 10
    assert summary.loc[summary["cluster"] == "once", "label"].item() == "1回購入"


def test_summary_of_an_empty_shop_has_six_zero_rows():
    summary = Shop(":memory:").segments.summary("2025-01-01")
    assert len(summary) == 6
    assert summary[["customers", "sales", "share"]].to_numpy().sum() == 0


@pytest.mark.parametrize("n, sizes", [
    (300, {"top1": 3, "top10": 27, "top20": 30, "once": 240}),   # ⌈3⌉, ⌈30⌉ − 3, ⌈60⌉ − 30
    (301, {"top1": 4, "top10": 27, "top20": 30, "once": 240}),   # ⌈3.01⌉, ⌈30.1⌉ − 4, ⌈60.2⌉ − 31
    (7, {"top1": 1, "top10": 0, "top20": 1, "once": 5}),         # ⌈0.07⌉, ⌈0.7⌉ − 1, ⌈1.4⌉ − 1
])
def test_exact_ceiling_sizes(n, sizes):
    shop = build_many(list(range(1000, 1000 + n)))
    summary = shop.segments.summary("2024-12-31").set_index("cluster")["customers"]
    assert summary.to_dict() == {**dict.fromkeys(CLUSTERS, 0), **sizes}
    # The best amounts are the ranked ones: top1 holds the highest ids.
    top = shop.segments.metrics("2024-12-31")
    assert set(top.loc[top["cluster"] == "top1", "customer_id"]) == set(
        range(n - sizes["top1"] + 1, n + 1))


def test_fractional_percentage():
    shop = build_many(list(range(1000, 1300)))
    shop.segments.set_percentages({"top1": 0.5, "top10": 10, "top20": 20})
    assert shop.segments.percentages() == {"top1": 0.5, "top10": 10, "top20": 20}
    sizes = shop.segments.summary("2024-12-31").set_index("cluster")["customers"]
    assert (sizes["top1"], sizes["top10"]) == (2, 28)     # ⌈1.5⌉ = 2, 30 − 2


def test_clusters_partition_every_buyer(ties):
    metrics = ties.segments.metrics(AS_OF)
    assert sorted(metrics["customer_id"]) == list(range(1, 11))  # 11 cancelled, 12 too late
    assert metrics["customer_id"].is_unique
    assert set(metrics["cluster"]) <= set(CLUSTERS)


def test_recency_and_tenure_across_february_29():
    shop = build({1: [("2024-02-28", 100), ("2024-03-01", 100)],
                  2: [("2024-02-29", 100)],
                  3: [("2024-02-01", 100), ("2025-02-28", 700), ("2025-03-01", 5000)]})
    rows = shop.segments.metrics("2025-02-28").set_index("customer_id")
    assert (rows.at[1, "tenure_days"], rows.at[1, "recency_days"]) == (2, 364)
    assert (rows.at[2, "tenure_days"], rows.at[2, "recency_days"]) == (0, 365)
    # The order on the as-of date counts (R = 0); the one the day after does not.
    assert rows.loc[3, ["purchase_count", "total_amount", "recency_days", "tenure_days"]
                    ].tolist() == [2, 800, 0, 393]
    assert rows.at[3, "last_purchase"] == "2025-02-28"
    leap = shop.segments.metrics("2024-03-01").set_index("customer_id")
    assert leap.at[2, "recency_days"] == 1
    assert (leap.at[3, "recency_days"], leap.at[3, "purchase_count"]) == (29, 1)
    assert leap.at[1, "recency_days"] == 0 and leap.at[1, "tenure_days"] == 2


@pytest.mark.parametrize("bad", [
    {"top1": 0, "top10": 10, "top20": 20},
    {"top1": 11, "top10": 10, "top20": 20},
    {"top1": 1, "top10": 30, "top20": 20},
    {"top1": 1, "top10": 10, "top20": 101},
    {"top1": "abc", "top10": 10, "top20": 20},
    {"top1": 1, "top10": 10},
])
def test_bad_percentages_are_refused_and_not_stored(bad):
    shop = Shop(":memory:")
    with pytest.raises(OtokuiError):
        shop.segments.set_percentages(bad)
    assert shop.segments.percentages() == {"top1": 1, "top10": 10, "top20": 20}


def test_percentages_survive_reopening(tmp_path):
    with Shop(tmp_path / "shop.db") as shop:
        shop.segments.set_percentages({"top1": 2, "top10": 15, "top20": 25})
    with Shop(tmp_path / "shop.db") as shop:
        assert shop.segments.percentages() == {"top1": 2, "top10": 15, "top20": 25}


def truth_summary(folder=SAMPLES) -> dict:
    """Cluster sizes and sales straight from truth.csv (independent of the engine)."""
    truth = pd.read_csv(folder / "truth.csv").sort_values(
        ["total_amount", "purchase_count", "last_purchase"], ascending=False)
    n = len(truth)
    sizes = [-(-n * p // 100) for p in (1, 10, 20)]
    out, start = {}, 0
    for name, end in zip(("top1", "top10", "top20"), sizes):
        part = truth.iloc[start:end]
        out[name] = (len(part), int(part["total_amount"].sum()))
        start = end
    rest = truth.iloc[start:]
    for name, mask in (("once", rest["purchase_count"] == 1),
                       ("twice_thrice", rest["purchase_count"].between(2, 3)),
                       ("repeat4plus", rest["purchase_count"] >= 4)):
        out[name] = (int(mask.sum()), int(rest.loc[mask, "total_amount"].sum()))
    return out


@pytest.mark.parametrize("folder", [SAMPLES, SAMPLES / "messy"], ids=["samples", "messy"])
def test_sample_shop_summary_matches_truth(folder):
    shop = Shop(":memory:")
    for file in sample_files(folder):
        shop.imports.import_file(file)
    summary = shop.segments.summary(meta(folder)["as_of"])
    found = {r.cluster: (r.customers, r.sales) for r in summary.itertuples()}
    assert found == truth_summary(folder)
    total = pd.read_csv(folder / "truth.csv")["total_amount"].sum()
    assert summary["share"].tolist() == pytest.approx(
        [found[c][1] / total for c in CLUSTERS])
