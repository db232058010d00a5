import pytest

from engine import Shop


def test_an_edit_reports_the_operation_that_undoes_it():
    shop = Shop(":memory:")
    shop.db.execute("INSERT INTO customers (created_at, notes) VALUES ('2025-01-01', '')")
    first = shop.customers.set_notes(1, "a")
    second = shop.customers.set_notes(1, "b")
    assert (first.created, second.created) == (None, None)
    assert second.operation > first.operation
    shop.journal.undo(second.operation)
    assert shop.customers.get(1)["notes"] == "a"
    shop.journal.undo(first.operation)
    assert shop.customers.get(1)["notes"] == ""


@pytest.mark.sqlite_only("SQLite's INSERT OR REPLACE deleting the old row, journaled by its recursive triggers")
def test_a_row_replaced_inside_an_operation_comes_back_on_undo():
    """INSERT OR REPLACE deletes the old row; only recursive triggers journal that."""
    shop = Shop(":memory:")
    shop.db.execute("INSERT INTO customers (created_at, notes) VALUES ('2025-01-01', 'before')")
    with shop.journal.operation("edit", "replace") as op:
        shop.db.conn.execute(
            "INSERT OR REPLACE INTO customers (id, created_at, notes) VALUES (1, '2025-02-02', 'after')")
    shop.journal.undo(op.id)
    assert shop.db.query("SELECT created_at, notes FROM customers") == [
        {"created_at": "2025-01-01", "notes": "before"}]
