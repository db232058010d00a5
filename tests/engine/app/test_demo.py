"""The demo shop is the sample shop and its two earlier years, moved to the months before today."""
from datetime import date

import pandas as pd
import pytest

from engine import Shop
from engine.app.demo import build_demo, demo_db_path, demo_exports
from engine.errors import CancelledError, OtokuiError
from tests.support.snapshot import SAMPLES, meta


def test_demo_exports_are_the_sample_exports_oldest_month_first():
    names = [e.name for e in demo_exports()]
    assert sorted(names) == sorted(f.split("/")[1] for f in meta()["files"])
    months = [n.rsplit(".", 1)[0][-6:] for n in names]
    assert months == sorted(months)
    for entry in demo_exports():
        folder = entry.name.split("_")[0]
        assert entry.read_bytes() == (SAMPLES / folder / entry.name).read_bytes()


def test_demo_is_the_sample_shop_after_two_earlier_years(tmp_path):
    steps = []
    path = build_demo(tmp_path / "demo.db", today=date(2026, 11, 23),
                      progress=lambda fraction, message: steps.append(fraction))
    assert path == tmp_path / "demo.db"
    assert not list(tmp_path.glob("*.building*"))
    assert steps[-1] == 1.0 and steps == sorted(steps)
    with Shop(path) as shop:
        table = shop.customers.table(as_of="2026-11-01")
        months = shop.db.query(
            "SELECT substr(order_date, 1, 7) AS month, count(*) AS orders FROM orders "
            "WHERE status = 'valid' GROUP BY month ORDER BY month")
        recent = pd.read_sql_query(
            "SELECT customer_id, count(*) AS purchase_count, sum(amount) AS total_amount "
            "FROM orders WHERE status = 'valid' AND order_date >= '2026-07-01' "
            "GROUP BY customer_id", shop.db.conn)
        history_files = [r["file_name"] for r in shop.db.query(
            "SELECT file_name FROM imports WHERE file_name LIKE '%history%' ORDER BY id")]
        yoy = shop.analysis.decompose("2025-11", "2026-10", as_of="2026-11-01")["sales_yoy"]
        cohorts = shop.analysis.cohorts("2026-11-01")
        # products.csv: 32 of its 40 products have a usage cycle.
        assert shop.db.scalar("SELECT count(*) FROM products WHERE cycle_days IS NOT NULL") == 32
        assert shop.db.scalar("SELECT cycle_days FROM products WHERE code = 'SKU-0001'") == 30
        [survey] = shop.surveys.list_surveys()
        respondents = [r["customer_id"] for r in shop.db.query(
            "SELECT customer_id FROM survey_responses ORDER BY answered_on DESC")]
        [journey] = shop.journeys.list_maps()
        cells = shop.journeys.get(journey["id"]).cells
    truth = pd.read_csv(SAMPLES / "truth.csv")
    # The samples (as of 2025-11-01) fill July–October 2026, unchanged: the 148
    # customers bought there what they bought in the sample files.
    assert sorted(zip(recent["purchase_count"], recent["total_amount"])) == sorted(
        zip(truth["purchase_count"], truth["total_amount"]))
    assert [m["orders"] for m in months[-4:]] == [38, 40, 45, 56]
    assert sum(m["orders"] for m in months[-4:]) == 179
    # Before them, 23 months of the same shop: 27 months in all, none without orders.
    assert [m["month"] for m in months] == [
        f"{2024 + (7 + i) // 12}-{(7 + i) % 12 + 1:02d}" for i in range(27)]
    assert months[0]["month"] == "2024-08" and sum(m["orders"] for m in months) == 713
    assert history_files == [f"{source}_history.{suffix}" for source, suffix in [
        ("amazon", "txt"), ("base", "csv"), ("colorme", "csv"), ("generic", "xlsx"),
        ("rakuten", "csv"), ("shopify", "csv")]]
    # Repeat buyers, and customers who stopped: not every customer is active.
    assert len(table) == 345
    assert (table["purchase_count"] >= 2).sum() == 150
    assert (table["recency_days"] > 365).sum() == 125
    assert yoy.notna().all() and len(cohorts) == 27
    # examples.json: the twelve best customers answered, the best one first (yesterday).
    assert (survey["title"], survey["questions"], survey["responses"]) == (
        "満足度アンケート（優良顧客向け）", 6, 12)
    assert respondents == table["customer_id"].head(12).tolist()
    assert journey["name"] == "TOP1%のお客様" and len(cells) == 6 * 5


def test_the_history_is_the_same_on_every_build(tmp_path):
    def orders(path):
        with Shop(path) as shop:
            return shop.db.query("SELECT source, order_no, ordered_at, amount, name, phone "
                                 "FROM orders ORDER BY source, order_no")
    first = build_demo(tmp_path / "a" / "demo.db", today=date(2026, 3, 10))
    second = build_demo(tmp_path / "b" / "demo.db", today=date(2026, 3, 10))
    assert orders(first) == orders(second)


def test_month_ends_are_clipped_when_moving_into_a_shorter_month(tmp_path):
    path = build_demo(tmp_path / "demo.db", today=date(2026, 3, 10))
    with Shop(path) as shop:
        # July–October 2025 move to November 2025 – February 2026; 10-31 → 02-28.
        assert shop.db.scalar("SELECT max(order_date) FROM orders") == "2026-02-28"
        # The samples start in November 2025, their 23 earlier months in December 2023.
        assert shop.db.scalar("SELECT substr(min(order_date), 1, 7) FROM orders") == "2023-12"
        assert shop.db.scalar(
            "SELECT count(*) FROM orders WHERE order_date != substr(ordered_at, 1, 10)") == 0


def test_a_cancelled_build_leaves_nothing_behind(tmp_path):
    with pytest.raises(CancelledError):
        build_demo(tmp_path / "demo.db", cancel=lambda: True)
    assert list(tmp_path.iterdir()) == []


def test_demo_lives_in_the_user_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("OTOKUI_HOME", str(tmp_path))
    assert demo_db_path() == tmp_path / "otokui_demo.db"


# Columns the clock fills when a row is written: the two builds are seconds apart.
CLOCK = ("created_at", "updated_at", "done_at")


def test_a_demo_built_on_a_server_is_the_demo_file(tmp_path, postgres_url):
    today = date(2026, 3, 10)
    assert build_demo(postgres_url, today=today) == postgres_url
    file = build_demo(tmp_path / "demo.db", today=today)
    tables = ["customers", "orders", "order_lines", "products", "survey_responses",
              "survey_answers", "journey_cells"]
    def rows(shop, table):
        return [{k: v for k, v in row.items() if k not in CLOCK}
                for row in shop.db.query(f"SELECT * FROM {table} ORDER BY id")]

    with Shop(postgres_url) as server, Shop(file) as local:
        for table in tables:
            assert rows(server, table) == rows(local, table), table
        # Each plan holds out customers drawn from a new random seed (holdout.py),
        # so two builds plan different customers: the plans' months and the past
        # one carried out are compared.
        def plans(shop):
            return shop.db.query("SELECT month, count(*) = sum(CASE WHEN status = 'done' "
                                 "THEN 1 ELSE 0 END) AS all_done FROM followup_tasks "
                                 "GROUP BY month ORDER BY month")
        assert plans(server) == plans(local) == [{"month": "2025-12", "all_done": True},
                                                 {"month": "2026-03", "all_done": False}]
        assert server.customers.table(as_of="2026-03-01").equals(
            local.customers.table(as_of="2026-03-01"))
    with pytest.raises(OtokuiError, match="すでに注文があります"):
        build_demo(postgres_url, today=today)
