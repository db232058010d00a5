"""The demo shop is the sample shop, moved to the months before today."""
from datetime import date

import pandas as pd
import pytest

from engine import Shop
from engine.app.demo import build_demo, demo_db_path, demo_exports
from engine.errors import CancelledError
from tests.support.snapshot import SAMPLES, meta


def test_demo_exports_are_the_sample_exports_oldest_month_first():
    names = [e.name for e in demo_exports()]
    assert sorted(names) == sorted(f.split("/")[1] for f in meta()["files"])
    months = [n.rsplit(".", 1)[0][-6:] for n in names]
    assert months == sorted(months)
    for entry in demo_exports():
        folder = entry.name.split("_")[0]
        assert entry.read_bytes() == (SAMPLES / folder / entry.name).read_bytes()


def test_demo_is_the_sample_shop_twelve_months_later(tmp_path):
    steps = []
    path = build_demo(tmp_path / "demo.db", today=date(2026, 11, 23),
                      progress=lambda fraction, message: steps.append(fraction))
    assert path == tmp_path / "demo.db"
    assert not list(tmp_path.glob("*.building*"))
    assert steps[-1] == 1.0 and steps == sorted(steps)
    with Shop(path) as shop:
        table = shop.customers.table(as_of="2026-11-01")
        assert shop.db.scalar("SELECT count(*) FROM orders WHERE status = 'valid'") == 179
        dates = shop.db.query("SELECT min(order_date) AS first, max(order_date) AS last FROM orders")
        # products.csv: 32 of its 40 products have a usage cycle.
        assert shop.db.scalar("SELECT count(*) FROM products WHERE cycle_days IS NOT NULL") == 32
        assert shop.db.scalar("SELECT cycle_days FROM products WHERE code = 'SKU-0001'") == 30
        [survey] = shop.surveys.list_surveys()
        respondents = [r["customer_id"] for r in shop.db.query(
            "SELECT customer_id FROM survey_responses ORDER BY answered_on DESC")]
        [journey] = shop.journeys.list_maps()
        cells = shop.journeys.get(journey["id"]).cells
    truth = pd.read_csv(SAMPLES / "truth.csv")
    assert len(table) == 148
    # The samples are as of 2025-11-01; a year later every figure is the same.
    later = truth.assign(first_purchase=truth["first_purchase"].str.replace("2025-", "2026-"),
                         last_purchase=truth["last_purchase"].str.replace("2025-", "2026-"))
    columns = ["purchase_count", "total_amount", "first_purchase", "last_purchase",
               "tenure_days", "recency_days"]

    def rows(frame):
        return sorted(tuple(str(v) for v in r) for r in frame[columns].itertuples(index=False))

    assert rows(table) == rows(later)
    assert dates == [{"first": "2026-07-01", "last": "2026-10-31"}]
    # examples.json: the twelve best customers answered, the best one first (yesterday).
    assert (survey["title"], survey["questions"], survey["responses"]) == (
        "満足度アンケート（優良顧客向け）", 6, 12)
    assert respondents == table["customer_id"].head(12).tolist()
    assert journey["name"] == "TOP1%のお客様" and len(cells) == 6 * 5


def test_month_ends_are_clipped_when_moving_into_a_shorter_month(tmp_path):
    path = build_demo(tmp_path / "demo.db", today=date(2026, 3, 10))
    with Shop(path) as shop:
        # July–October 2025 move to November 2025 – February 2026; 10-31 → 02-28.
        assert shop.db.scalar("SELECT max(order_date) FROM orders") == "2026-02-28"
        assert shop.db.scalar("SELECT min(order_date) FROM orders") == "2025-11-01"
        assert shop.db.scalar(
            "SELECT count(*) FROM orders WHERE order_date != substr(ordered_at, 1, 10)") == 0


def test_a_cancelled_build_leaves_nothing_behind(tmp_path):
    with pytest.raises(CancelledError):
        build_demo(tmp_path / "demo.db", cancel=lambda: True)
    assert list(tmp_path.iterdir()) == []


def test_demo_lives_in_the_user_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("OTOKUI_HOME", str(tmp_path))
    assert demo_db_path() == tmp_path / "otokui_demo.db"
