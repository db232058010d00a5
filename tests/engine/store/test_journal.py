from engine import Shop


def test_latest_is_the_newest_active_operation_of_a_kind():
    shop = Shop(":memory:")
    assert shop.journal.latest("edit") is None
    shop.db.execute("INSERT INTO customers (created_at, notes) VALUES ('2025-01-01', '')")
    first = shop.customers.set_notes(1, "a")
    second = shop.customers.set_notes(1, "b")
    assert shop.journal.latest("edit") == second
    shop.journal.undo(second)
    assert shop.journal.latest("edit") == first
    assert shop.journal.latest("split") is None


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
