"""The sample shop imports to exactly the figures in truth.csv (SPEC §2–3)."""
import pandas as pd
import pytest

from engine import Shop
from tests.support.snapshot import SAMPLES, figures, meta, sample_files, snapshot


def import_all(shop, files):
    return [shop.imports.import_file(f) for f in files]


@pytest.fixture(scope="module")
def sample_shop():
    shop = Shop(":memory:")
    import_all(shop, sample_files())
    return shop


@pytest.mark.parametrize("folder", [SAMPLES, SAMPLES / "messy"], ids=["samples", "messy"])
def test_customers_match_truth(folder):
    shop = Shop(":memory:")
    import_all(shop, sample_files(folder))
    table = shop.customers.table(as_of=meta(folder)["as_of"])
    truth = pd.read_csv(folder / "truth.csv")
    assert len(table) == meta(folder)["customers"] == len(truth)
    assert figures(table) == figures(truth)


def test_every_sample_source_is_detected(sample_shop):
    sources = {r["source"] for r in sample_shop.imports.history()}
    assert sources == {"rakuten", "amazon", "shopify", "base", "colorme", "generic"}


def test_order_and_line_counts_match_meta(sample_shop):
    m = meta()
    db = sample_shop.db
    assert db.scalar("SELECT count(*) FROM orders WHERE status = 'valid'") == m["valid_orders"]
    assert db.scalar("SELECT count(*) FROM orders WHERE status = 'cancelled'") == m["cancelled_orders"]
    assert db.scalar("SELECT count(*) FROM order_lines") == m["line_rows"]


def test_amounts_are_sums_of_lines(sample_shop):
    mismatches = sample_shop.db.scalar(
        "SELECT count(*) FROM orders o WHERE o.amount != "
        "(SELECT sum(amount) FROM order_lines l WHERE l.order_id = o.id)")
    assert mismatches == 0


def test_amazon_item_price_is_the_line_total(sample_shop):
    # amazon_202507.txt: order 250-0000001-0007919, 2 × 化粧水 2, item-price 1960
    line = sample_shop.db.query(
        "SELECT l.unit_price, l.quantity, l.amount FROM order_lines l JOIN orders o "
        "ON o.id = l.order_id WHERE o.order_no = '250-0000001-0007919'")
    assert line == [{"unit_price": 980, "quantity": 2, "amount": 1960}]


def test_amazon_only_customers_are_dm_ineligible(sample_shop):
    rows = sample_shop.db.query(
        "SELECT c.id, c.dm_default, min(o.source) = 'amazon' AND max(o.source) = 'amazon' "
        "AS amazon_only FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY c.id")
    for row in rows:
        assert row["dm_default"] == (0 if row["amazon_only"] else 1), row
    assert any(r["amazon_only"] for r in rows)


def test_importing_everything_twice_changes_nothing(empty_shop):
    shop = empty_shop
    import_all(shop, sample_files())
    before = snapshot(shop)
    table = shop.customers.table(as_of=meta()["as_of"])
    again = import_all(shop, sample_files())
    assert all(r.orders_added == 0 and r.already_imported for r in again)
    assert snapshot(shop) == before
    pd.testing.assert_frame_equal(shop.customers.table(as_of=meta()["as_of"]), table)


def test_undo_of_each_import_in_reverse_restores_every_state(empty_shop):
    shop = empty_shop
    states = [snapshot(shop)]
    results = []
    for path in sample_files():
        results.append(shop.imports.import_file(path))
        states.append(snapshot(shop))
    for result, state in zip(reversed(results), reversed(states[:-1])):
        shop.imports.undo(result.import_id)
        assert snapshot(shop) == state, result.file_name
    assert shop.db.scalar("SELECT count(*) FROM customers") == 0


def test_undo_of_an_earlier_import_keeps_later_unrelated_ones(empty_shop):
    shop = empty_shop
    first = shop.imports.import_file(SAMPLES / "base" / "base_202507.csv")
    before_second = snapshot(shop)
    second = shop.imports.import_file(SAMPLES / "colorme" / "colorme_202507.csv")
    shop.imports.undo(first.import_id)
    assert shop.db.scalar("SELECT count(*) FROM orders WHERE source = 'base'") == 0
    assert shop.db.scalar("SELECT count(*) FROM orders WHERE source = 'colorme'") == 3
    shop.imports.undo(second.import_id)
    assert shop.db.scalar("SELECT count(*) FROM orders") == 0
    assert before_second["orders"]  # the first import had written orders


def test_history_marks_undone_imports(empty_shop):
    shop = empty_shop
    result = shop.imports.import_file(SAMPLES / "base" / "base_202507.csv")
    shop.imports.undo(result.import_id)
    (row,) = shop.imports.history()
    assert row["undone_at"] is not None and row["can_undo"] is False
    assert row["orders_added"] == 5 and row["rows_read"] == 5


def test_per_source_dm_default_can_be_changed(empty_shop):
    shop = empty_shop
    shop.imports.import_file(SAMPLES / "amazon" / "amazon_202507.txt")
    table = shop.customers.table(as_of="2025-08-01")
    assert set(table["dm_ok"]) == {0}
    shop.customers.set_source_dm_default("amazon", True)
    assert set(shop.customers.table(as_of="2025-08-01")["dm_ok"]) == {1}
    shop.customers.set_opt_out(int(table["customer_id"].iloc[0]), True)
    assert shop.customers.table(as_of="2025-08-01")["dm_ok"].tolist().count(0) == 1
