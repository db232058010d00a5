"""customer_metrics is remembered per database state: every kind of change is seen."""
from engine import Shop
from engine.analysis.rfm import customer_metrics
from tests.support.tiny_shop import customer_id, order_file

AS_OF = "2025-06-30"
ROWS = [("A", "1", "2025-01-10", "S1", 1000, 1),
        ("A", "2", "2025-03-05", "S1", 1000, 2),
        ("B", "3", "2025-02-01", "S1", 5000, 1)]


def figures(shop) -> dict:
    """customer id → (purchase_count, total_amount, last_purchase)."""
    frame = customer_metrics(shop.db, AS_OF)
    return {row.customer_id: (row.purchase_count, row.total_amount, row.last_purchase)
            for row in frame.itertuples()}


def test_metrics_follow_imports_undo_edits_erasure_and_restore(tmp_path):
    with Shop(tmp_path / "shop.db") as shop:
        shop.imports.import_file(order_file(tmp_path, "first.csv", ROWS))
        a, b = customer_id(shop, "A"), customer_id(shop, "B")
        assert figures(shop) == {a: (2, 3000, "2025-03-05"), b: (1, 5000, "2025-02-01")}
        # What a caller does to its copy does not reach the next caller.
        mine = customer_metrics(shop.db, AS_OF)
        mine.loc[:, "total_amount"] = 0
        mine["purchase_count"] = 99
        assert figures(shop)[a] == (2, 3000, "2025-03-05")
        backup = shop.backups.create("テスト")

        second = shop.imports.import_file(order_file(tmp_path, "second.csv", [
            ("B", "4", "2025-06-01", "S1", 2500, 2)]))
        assert figures(shop)[b] == (2, 10000, "2025-06-01")
        shop.imports.undo(second.import_id)
        assert figures(shop)[b] == (1, 5000, "2025-02-01")

        merge = shop.customers.merge(a, b).operation
        assert figures(shop) == {a: (3, 8000, "2025-03-05")}
        shop.journal.undo(merge)
        assert figures(shop) == {a: (2, 3000, "2025-03-05"), b: (1, 5000, "2025-02-01")}

        shop.db.execute("UPDATE customers SET deleted_at = '2025-07-01' WHERE id = ?", (b,))
        assert figures(shop) == {a: (2, 3000, "2025-03-05")}

        shop.backups.restore(backup.path)
        assert figures(shop) == {a: (2, 3000, "2025-03-05"), b: (1, 5000, "2025-02-01")}


def test_a_change_made_by_another_program_is_seen(tmp_path):
    with Shop(tmp_path / "shop.db") as shop:
        shop.imports.import_file(order_file(tmp_path, "first.csv", ROWS))
        b = customer_id(shop, "B")
        assert figures(shop)[b] == (1, 5000, "2025-02-01")
        with Shop(tmp_path / "shop.db") as other:
            other.imports.import_file(order_file(tmp_path, "second.csv", [
                ("B", "4", "2025-06-01", "S1", 2500, 2)]))
        assert figures(shop)[b] == (2, 10000, "2025-06-01")


def test_due_targets_follow_cycle_changes_and_undo(tmp_path):
    with Shop(tmp_path / "shop.db") as shop:
        shop.imports.import_file(order_file(tmp_path, "first.csv", ROWS))
        a, b = customer_id(shop, "A"), customer_id(shop, "B")
        # No product has a usage cycle yet: nobody is due.
        assert shop.products.due_targets(AS_OF).empty
        op = shop.products.set_cycle("S1", 100).operation
        # R on 2025-06-30: A 117 days (last order 03-05), B 149 days (02-01).
        due = shop.products.due_targets(AS_OF)
        assert due[["customer_id", "recency_days", "state"]].values.tolist() == [
            [b, 149, "due"], [a, 117, "due"]]
        due.loc[:, "state"] = "changed by the caller"
        assert shop.products.due_targets(AS_OF)["state"].tolist() == ["due", "due"]
        shorter = shop.products.set_cycle("S1", 90).operation
        assert shop.products.due_targets(AS_OF)["state"].tolist() == ["overdue", "due"]
        shop.journal.undo(shorter)
        assert shop.products.due_targets(AS_OF)["state"].tolist() == ["due", "due"]
        shop.journal.undo(op)
        assert shop.products.due_targets(AS_OF).empty
