"""Writing a month's plan as the difference to the stored one (plan_store.py)."""
import pandas as pd
import pytest

from engine import Shop
from engine.marketing import plan_store

MONTH = "2025-03"


@pytest.fixture
def shop():
    shop = Shop(":memory:")
    with shop.db.transaction() as conn:
        conn.executemany("INSERT INTO customers (id, name, created_at) VALUES (?, ?, '')",
                         [(i, f"顧客{i}") for i in range(1, 6)])
    return shop


def _tasks(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=plan_store.PLAN_COLUMNS)


def _stored_tasks(shop) -> list[tuple]:
    return [tuple(r) for r in shop.db.conn.execute(
        "SELECT id, customer_id, step, cluster, due_date, planned_medium, medium, action, status"
        " FROM followup_tasks WHERE month = ? ORDER BY id", (MONTH,))]


def test_tasks_first_written_in_order_then_only_the_difference(shop):
    first = _tasks([(2, 1, "once", "2025-03-01", "email", "お礼"),
                    (1, 1, "once", "2025-03-01", "email", "お礼"),
                    (1, 2, "once", "2025-03-15", "dm", "DM"),
                    (3, 1, "top1", "2025-03-01", "phone", "電話")])
    with shop.db.transaction() as conn:
        counts = plan_store.store_tasks(conn, MONTH, first)
    assert counts == {"created": 4, "kept": 0, "removed": 0}
    assert _stored_tasks(shop) == [
        (1, 2, 1, "once", "2025-03-01", "email", "email", "お礼", "open"),
        (2, 1, 1, "once", "2025-03-01", "email", "email", "お礼", "open"),
        (3, 1, 2, "once", "2025-03-15", "dm", "dm", "DM", "open"),
        (4, 3, 1, "top1", "2025-03-01", "phone", "phone", "電話", "open")]
    shop.db.conn.execute("UPDATE followup_tasks SET status = 'done', medium = 'insert'"
                         " WHERE id = 4")
    second = _tasks([(1, 1, "once", "2025-03-01", "email", "お礼"),      # same: kept
                     (1, 2, "once", "2025-03-22", "dm", "DM"),          # moved: replaced
                     (3, 1, "top1", "2025-03-08", "phone", "電話"),     # done: stays as is
                     (4, 1, "once", "2025-03-01", "email", "お礼")])    # new
    with shop.db.transaction() as conn:                                  # customer 2: removed
        counts = plan_store.store_tasks(conn, MONTH, second)
    assert counts == {"created": 2, "kept": 2, "removed": 2}
    assert _stored_tasks(shop) == [
        (2, 1, 1, "once", "2025-03-01", "email", "email", "お礼", "open"),
        (4, 3, 1, "top1", "2025-03-01", "phone", "insert", "電話", "done"),
        (5, 1, 2, "once", "2025-03-22", "dm", "dm", "DM", "open"),
        (6, 4, 1, "once", "2025-03-01", "email", "email", "お礼", "open")]
    with shop.db.transaction() as conn:
        assert plan_store.store_tasks(conn, MONTH, second) == {
            "created": 0, "kept": 4, "removed": 0}
    assert shop.db.dialect.temp_tables(shop.db.conn) == []


def test_targets_change_only_where_they_differ_and_reached_customers_stay(shop):
    columns = plan_store.TARGET_COLUMNS
    with shop.db.transaction() as conn:
        plan_store.store_targets(conn, MONTH, pd.DataFrame(
            [(1, "once", "A", "dm,email", 0), (2, "once", "A", "email", 1),
             (3, "top1", "B", "phone", 0)], columns=columns))
        conn.execute("INSERT INTO followup_tasks (month, customer_id, step, cluster, due_date,"
                     " planned_medium, medium, action, status) VALUES (?, 3, 1, 'top1',"
                     " '2025-03-01', 'phone', 'phone', '電話', 'done')", (MONTH,))
    ids = dict(shop.db.conn.execute("SELECT customer_id, id FROM followup_targets"))
    with shop.db.transaction() as conn:
        plan_store.store_targets(conn, MONTH, pd.DataFrame(
            [(1, "once", "A", "dm,email", 0), (2, "twice_thrice", "C", "email", 1),
             (5, "once", "A", "email", 0)], columns=columns))
    rows = [tuple(r) for r in shop.db.conn.execute(
        "SELECT id, customer_id, cluster, rule, media, held_out FROM followup_targets"
        " WHERE month = ? ORDER BY customer_id", (MONTH,))]
    assert rows == [(ids[1], 1, "once", "A", "dm,email", 0),
                    (ids[2], 2, "twice_thrice", "C", "email", 1),
                    (ids[3], 3, "top1", "B", "phone", 0),      # no longer targeted, but reached
                    (4, 5, "once", "A", "email", 0)]


def test_left_out_rows_that_stay_keep_their_row(shop):
    columns = plan_store.LEFT_OUT_COLUMNS
    over = "DMの対応可能件数（週60件）を超えるため"
    with shop.db.transaction() as conn:
        plan_store.store_left_out(conn, MONTH, pd.DataFrame(
            [(1, 3, "once", "2025-04-05", "dm", "DM", over),
             (2, 3, "once", "2025-04-05", "dm", "DM", over),
             (3, 1, "once", "2025-03-01", "phone", "電話", over)], columns=columns))
        plan_store.store_left_out(conn, "2025-04", pd.DataFrame(
            [(1, 3, "once", "2025-05-03", "dm", "DM", over)], columns=columns))
    with shop.db.transaction() as conn:
        plan_store.store_left_out(conn, MONTH, pd.DataFrame(
            [(1, 3, "once", "2025-04-05", "dm", "DM", over),      # same: stays
             (3, 1, "once", "2025-03-08", "phone", "電話", over),  # another day: replaced
             (4, 2, "once", "2025-03-15", "dm", "DM", over)], columns=columns))
    rows = [tuple(r) for r in shop.db.conn.execute(
        "SELECT id, month, customer_id, step, due_date, medium FROM followup_left_out"
        " ORDER BY id")]
    assert rows == [(1, MONTH, 1, 3, "2025-04-05", "dm"),
                    (4, "2025-04", 1, 3, "2025-05-03", "dm"),
                    (5, MONTH, 3, 1, "2025-03-08", "phone"),
                    (6, MONTH, 4, 2, "2025-03-15", "dm")]
    with shop.db.transaction() as conn:
        plan_store.store_left_out(conn, MONTH, pd.DataFrame(columns=columns))
    assert shop.db.scalar("SELECT count(*) FROM followup_left_out WHERE month = ?",
                          (MONTH,)) == 0


def test_a_months_first_plan_is_written_whole_beside_other_months(shop):
    """The first plan of a month has nothing to compare with: written as it comes, in
    order, while another month's tasks and targets stay as they are."""
    april = _tasks([(1, 1, "once", "2025-04-01", "email", "お礼")])
    with shop.db.transaction() as conn:
        plan_store.store_tasks(conn, "2025-04", april)
        plan_store.store_targets(conn, "2025-04", pd.DataFrame(
            [(1, "once", "A", "email", 0)], columns=plan_store.TARGET_COLUMNS))
    march = _tasks([(5, 3, "top1", "2025-05-20", "phone", "電話"),
                    (1, 1, "once", "2025-03-01", "email", "お礼"),
                    (1, 2, "once", "2025-03-15", "dm", "DM")])
    targets = pd.DataFrame([(5, "top1", "B", "phone", 1), (1, "once", "A", "dm,email", 0)],
                           columns=plan_store.TARGET_COLUMNS)
    with shop.db.transaction() as conn:
        assert plan_store.store_tasks(conn, MONTH, march) == {
            "created": 3, "kept": 0, "removed": 0}
        plan_store.store_targets(conn, MONTH, targets)
    assert _stored_tasks(shop) == [
        (2, 5, 3, "top1", "2025-05-20", "phone", "phone", "電話", "open"),
        (3, 1, 1, "once", "2025-03-01", "email", "email", "お礼", "open"),
        (4, 1, 2, "once", "2025-03-15", "dm", "dm", "DM", "open")]
    assert [tuple(r) for r in shop.db.conn.execute(
        "SELECT id, month, customer_id, cluster, rule, media, held_out FROM followup_targets"
        " ORDER BY id")] == [(1, "2025-04", 1, "once", "A", "email", 0),
                             (2, MONTH, 1, "once", "A", "dm,email", 0),   # by customer
                             (3, MONTH, 5, "top1", "B", "phone", 1)]
    assert shop.db.scalar("SELECT count(*) FROM followup_tasks WHERE month = '2025-04'") == 1
    assert shop.db.dialect.temp_tables(shop.db.conn) == []


@pytest.mark.parametrize("big", [2**61, 2**62 + 12345])
def test_numbers_too_wide_to_pack_are_staged_row_by_row(shop, big):
    """Customer ids so large that a row's numbers need more than 63 bits together
    are staged one bound row at a time: the same rows either way."""
    with shop.db.transaction() as conn:
        conn.execute("INSERT INTO customers (id, name, created_at) VALUES (?, '大きい番号', '')",
                     (big,))
    first = _tasks([(big, 2, "once", "2025-03-15", "dm", "DM"),
                    (1, 1, "once", "2025-03-01", "email", "お礼"),
                    (big, 1, "once", "2025-03-01", "email", "お礼")])
    with shop.db.transaction() as conn:
        assert plan_store.store_tasks(conn, MONTH, first) == {
            "created": 3, "kept": 0, "removed": 0}
    assert _stored_tasks(shop) == [
        (1, big, 2, "once", "2025-03-15", "dm", "dm", "DM", "open"),
        (2, 1, 1, "once", "2025-03-01", "email", "email", "お礼", "open"),
        (3, big, 1, "once", "2025-03-01", "email", "email", "お礼", "open")]
    with shop.db.transaction() as conn:
        assert plan_store.store_tasks(conn, MONTH, first.iloc[1:]) == {
            "created": 0, "kept": 2, "removed": 1}
    assert [r[0] for r in _stored_tasks(shop)] == [2, 3]
