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
