"""Customer metrics, KPIs, monthly sales, the decomposition, the cohorts and the
entry products are the same read from the summary tables as computed from the
orders (rfm._metrics, order_history.monthly_figures, cohorts, entry_products)."""
import random
from datetime import date

import pandas as pd
import pytest

from engine.analysis import cohorts, entry_products, order_history, rfm
from engine.analysis.decomposition import decompose
from engine.analysis.kpi import kpis, kpis_from_figures, monthly_sales
from engine.analysis.rfm import DEFAULT_RANK_PERCENTAGES
from engine.store.figures import figures_current
from tests.support.analysis_shop import add_customer, add_order, build
from tests.support.snapshot import imported_shop, meta


def _both_paths(db, as_of: date, monkeypatch) -> tuple[dict, dict]:
    """Every report once through the summary tables and once from the orders."""
    results = []
    for current in (True, False):
        used = []

        def spy(db_, as_of_, _current=current, _used=used):
            _used.append(as_of_)
            return _current
        for module in (rfm, order_history, cohorts, entry_products):
            monkeypatch.setattr(module, "figures_current", spy)
        metrics = rfm._metrics(db, as_of, DEFAULT_RANK_PERCENTAGES)
        results.append({
            "metrics": metrics,
            "kpis": kpis(metrics, as_of),
            "monthly": monthly_sales(db, as_of, months=30),
            "decomposition": decompose(db, "2023-01", as_of.isoformat()[:7], as_of),
            "cohorts": cohorts.cohorts(db, as_of),
            "entry_products": entry_products.entry_products(db, as_of),
        })
        assert used and set(used) == {as_of}
    monkeypatch.undo()
    results[0]["kpis_sql"] = kpis_from_figures(db, as_of)
    return results[0], results[1]


def _assert_same(kept: dict, scanned: dict) -> None:
    pd.testing.assert_frame_equal(kept["metrics"], scanned["metrics"])
    assert kept["kpis"] == scanned["kpis"] == kept["kpis_sql"]
    pd.testing.assert_frame_equal(kept["monthly"], scanned["monthly"])
    pd.testing.assert_frame_equal(kept["decomposition"], scanned["decomposition"])
    pd.testing.assert_frame_equal(kept["cohorts"], scanned["cohorts"])
    pd.testing.assert_frame_equal(kept["entry_products"], scanned["entry_products"])


@pytest.fixture(scope="module")
def sample_shop():
    return imported_shop()


def test_the_samples_read_the_same_through_both_paths(sample_shop, monkeypatch):
    as_of = date.fromisoformat(meta()["as_of"])
    assert figures_current(sample_shop.db, as_of)
    kept, scanned = _both_paths(sample_shop.db, as_of, monkeypatch)
    _assert_same(kept, scanned)
    assert kept["kpis"]["customers"] == meta()["customers"] == len(kept["metrics"])
    assert kept["kpis"]["orders"] == meta()["valid_orders"]
    assert kept["monthly"]["sales"].sum() == kept["kpis"]["sales"]


def _generated_shop():
    """300 customers, 1–8 orders each over three years, some on the same day (the
    first by id is new), some cancelled, a few customers deleted."""
    rng = random.Random(23)
    orders = {}
    for cid in range(1, 301):
        days = [f"202{rng.randint(3, 5)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                for _ in range(rng.randint(1, 8))]
        if rng.random() < 0.2:
            days.append(days[0])
        orders[cid] = [(day, rng.randrange(500, 30000, 100)) for day in days]
    shop = build(orders)
    with shop.db.transaction() as conn:
        conn.execute("UPDATE orders SET status = 'cancelled' WHERE id % 13 = 0")
        conn.execute("UPDATE customers SET deleted_at = '2025-06-01' WHERE id % 37 = 0")
    return shop


def test_generated_data_reads_the_same_through_both_paths(monkeypatch):
    shop = _generated_shop()
    as_of = date(2026, 1, 1)
    assert figures_current(shop.db, as_of)
    kept, scanned = _both_paths(shop.db, as_of, monkeypatch)
    _assert_same(kept, scanned)
    assert len(kept["metrics"]) == shop.db.scalar(
        "SELECT count(DISTINCT o.customer_id) FROM orders o JOIN customers c "
        "ON c.id = o.customer_id WHERE o.status = 'valid' AND c.deleted_at IS NULL")
    assert kept["monthly"]["new_sales"].sum() > 0 and kept["monthly"]["repeat_sales"].sum() > 0
    # Some customers on each side of the F2 and activity limits.
    assert 0 < kept["kpis"]["f2_conversion"] < 1
    assert 0 < kept["kpis"]["active_customers"] < kept["kpis"]["customers"]
    assert shop.analysis.kpis(as_of) == kept["kpis"]
    # An F2 boundary day: first purchase exactly 90 days before as_of counts as waited.
    for day in ("2025-10-03", "2025-10-04"):
        kpi_day = date(2026, 1, 1)
        with shop.db.transaction():
            add_customer(shop, 1000 + int(day[-1]))
            add_order(shop, 1000 + int(day[-1]), day, 100)
        kept, scanned = _both_paths(shop.db, kpi_day, monkeypatch)
        _assert_same(kept, scanned)


def test_an_as_of_date_before_the_newest_order_scans_the_orders(monkeypatch):
    shop = _generated_shop()
    as_of = date(2024, 6, 30)
    assert not figures_current(shop.db, as_of)
    metrics = rfm.customer_metrics(shop.db, as_of)
    assert metrics["last_purchase"].max() <= "2024-06-30"
    assert metrics["purchase_count"].sum() == shop.db.scalar(
        "SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id "
        "WHERE o.status = 'valid' AND c.deleted_at IS NULL AND o.order_date <= '2024-06-30'")


def test_a_change_outside_a_transaction_is_read_from_the_orders():
    shop = build({1: [("2025-01-10", 1000)]})
    as_of = date(2026, 1, 1)
    assert rfm.customer_metrics(shop.db, as_of)["total_amount"].tolist() == [1000]
    add_customer(shop, 2)
    add_order(shop, 2, "2025-02-01", 2500)   # autocommit: the tables wait for a commit
    assert not figures_current(shop.db, as_of)
    assert rfm.customer_metrics(shop.db, as_of)["total_amount"].tolist() == [2500, 1000]
    assert monthly_sales(shop.db, as_of, 13)["sales"].tolist()[:2] == [1000, 2500]


@pytest.mark.parametrize("percentages", [None, {"top1": 3, "top10": 7.5, "top20": 33}])
def test_the_cluster_summary_is_the_same_from_the_figures(monkeypatch, percentages):
    from engine.analysis import segments
    shop = imported_shop()
    if percentages:
        shop.segments.set_percentages(percentages)
    as_of = date.fromisoformat(meta()["as_of"])
    used = []
    monkeypatch.setattr(segments, "summary_from_figures",
                        lambda *a, _f=segments.summary_from_figures: used.append(1) or _f(*a))
    kept = shop.segments.summary(as_of)
    monkeypatch.setattr(segments, "figures_current", lambda *a: False)
    scanned = shop.segments.summary(as_of)
    assert used == [1]
    pd.testing.assert_frame_equal(kept, scanned)
    assert kept["customers"].sum() == meta()["customers"]
    assert (kept["customers"] > 0).sum() >= 4


@pytest.mark.parametrize("as_of", [date(2026, 1, 1), date(2024, 6, 30)])
def test_metrics_match_a_recomputation_from_the_orders(as_of):
    """Every column of every row (values, order and types) as plain Python computes
    them from the orders: the frame is built from day numbers and codes."""
    shop = _generated_shop()
    orders: dict[int, list] = {}
    for cid, day, amount in shop.db.conn.execute(
            "SELECT o.customer_id, o.order_date, o.amount FROM orders o JOIN customers c"
            " ON c.id = o.customer_id WHERE o.status = 'valid' AND c.deleted_at IS NULL"
            " AND o.order_date <= ?", (as_of.isoformat(),)):
        orders.setdefault(cid, []).append((day, amount))
    rows = []
    for cid, bought in orders.items():
        first, last = min(d for d, _ in bought), max(d for d, _ in bought)
        rows.append({"customer_id": cid, "purchase_count": len(bought),
                     "total_amount": sum(a for _, a in bought), "first_purchase": first,
                     "last_purchase": last,
                     "tenure_days": (date.fromisoformat(last) - date.fromisoformat(first)).days,
                     "recency_days": (as_of - date.fromisoformat(last)).days})
    rows.sort(key=lambda r: (-r["total_amount"], -r["purchase_count"],
                             [-ord(ch) for ch in r["last_purchase"]], r["customer_id"]))
    n = len(rows)
    for rank, row in enumerate(rows, start=1):
        row["segment"] = next((name for name in ("top1", "top10", "top20")
                               if rank <= rfm.top_size(n, DEFAULT_RANK_PERCENTAGES[name])), "")
        count = row["purchase_count"]
        row["cluster"] = row["segment"] or ("repeat4plus" if count >= 4 else
                                            "twice_thrice" if count >= 2 else "once")
    expected = pd.DataFrame(rows, columns=rfm.METRIC_COLUMNS)
    assert n > 200 and expected["segment"].eq("top1").sum() == rfm.top_size(n, 1)
    pd.testing.assert_frame_equal(rfm.customer_metrics(shop.db, as_of), expected)


def test_metrics_of_a_shop_without_orders_are_an_empty_frame():
    shop = build({})
    metrics = rfm.customer_metrics(shop.db, date(2026, 1, 1))
    assert metrics.empty and list(metrics.columns) == rfm.METRIC_COLUMNS
