"""Staff names on what they do, and conflicts between two desktops of one shop
(two shops opened on one database, in each store): never a lost write."""
from datetime import date, datetime
import sqlite3

import pytest

from engine import Shop
from engine.errors import ConflictError
from engine.store.schema import MIGRATIONS
from engine.store.staff import done_conflict, stamp_text, when_text
from tests.support.desks import TASK_ACTION, add_customer_and_task
from tests.support.tiny_shop import customer_id, order_file


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request, tmp_path):
    """Where one shop lives that two desktops open: a SQLite file, or a database on
    the test server."""
    if request.param == "sqlite":
        if request.config.getoption("--store") == "postgresql":
            pytest.skip("the run on PostgreSQL opens every shop there")
        return str(tmp_path / "shop.db")
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def desks(location):
    """Two desktops on the one shop: 山田's and 鈴木's."""
    yamada, suzuki = Shop(location, staff="山田"), Shop(location, staff="鈴木")
    yield yamada, suzuki
    yamada.close()
    suzuki.close()


def test_when_and_who_read_as_the_screens_show_them():
    today = date(2026, 12, 7)
    assert when_text("2026-12-07 14:02:31", today) == "14:02"
    assert when_text("2026-12-06 09:05:00", today) == "12/06 09:05"
    assert when_text(None) == ""
    assert stamp_text(None, None) == ""
    assert stamp_text("山田", None) == "山田"
    assert done_conflict({"done_by": None, "done_at": None, "done_on": "2026-12-01"}) == (
        "この対応はほかの方が2026-12-01に完了にしています。"
        "二重に記録しないよう、一覧を更新してから確認してください。")


def test_a_check_off_names_who_did_it_on_the_task_the_touch_and_the_operation():
    shop = Shop(":memory:", staff="山田")
    customer, task = add_customer_and_task(shop)
    change = shop.followups.check_off(task, done_on="2026-12-07", result="在宅")
    row = shop.db.query("SELECT status, done_on, done_by, done_at FROM followup_tasks")[0]
    assert (row["status"], row["done_on"], row["done_by"]) == ("done", "2026-12-07", "山田")
    assert datetime.fromisoformat(row["done_at"]).date() == date.today()
    assert shop.touches.for_customer(customer).to_dict("records") == [
        {"date": "2026-12-07", "medium": "phone", "action": TASK_ACTION, "result": "在宅",
         "source": "followup", "staff": "山田"}]
    assert shop.db.scalar("SELECT staff FROM operations WHERE id = ?",
                          (change.operation,)) == "山田"
    tasks = shop.followups.tasks("2026-12")
    assert tasks[["task_id", "status", "done_by"]].to_dict("records") == [
        {"task_id": task, "status": "done", "done_by": "山田"}]
    shop.followups.reopen(task)
    assert shop.db.query("SELECT status, done_by, done_at FROM followup_tasks") == [
        {"status": "open", "done_by": None, "done_at": None}]
    assert shop.db.scalar("SELECT count(*) FROM touches") == 0


def test_touches_logged_by_hand_and_imports_name_the_staff(tmp_path):
    shop = Shop(":memory:", staff="鈴木")
    shop.imports.import_file(order_file(tmp_path, "a.csv", [
        ("M1", "A-1", "2026-11-01 10:00", "P1", 1000, 2)]))
    member = customer_id(shop, "M1")
    shop.touches.record([member], "dm", "冬のDM", on="2026-12-01", source="print")
    assert shop.touches.for_customer(member)[["date", "action", "staff"]].to_dict(
        "records") == [{"date": "2026-12-01", "action": "冬のDM", "staff": "鈴木"}]
    history = shop.imports.history()
    assert [(h["file_name"], h["staff"], h["orders_added"]) for h in history] == [
        ("a.csv", "鈴木", 1)]


def test_checking_off_a_task_another_desktop_checked_off_is_a_conflict(desks):
    yamada, suzuki = desks
    customer, task = add_customer_and_task(yamada)
    seen = suzuki.followups.tasks("2026-12")           # 鈴木 sees it open
    assert seen["status"].tolist() == ["open"]
    yamada.followups.check_off(task, done_on="2026-12-07")
    done_at = yamada.db.scalar("SELECT done_at FROM followup_tasks")
    operations = suzuki.db.scalar("SELECT count(*) FROM operations")
    with pytest.raises(ConflictError) as refused:
        suzuki.followups.check_off(task, done_on="2026-12-07", result="不在")
    assert str(refused.value).startswith(
        f"この対応は山田さんが{when_text(done_at)}に完了にしています。")
    with pytest.raises(ConflictError):
        suzuki.followups.check_off_many([task], seen_open=True)
    # One touch, 山田's; nothing of 鈴木's recorded, not even an empty operation.
    assert suzuki.db.query("SELECT customer_id, result, staff FROM touches") == [
        {"customer_id": customer, "result": "", "staff": "山田"}]
    assert suzuki.db.scalar("SELECT count(*) FROM operations") == operations
    # Without the state seen (まとめて消し込み of what is left), it is skipped and counted.
    skipped = suzuki.followups.check_off_many([task])
    assert (skipped.operation, dict(skipped.counts)) == (
        None, {"done": 0, "already_done": 1, "no_dm": 0})


def test_reopening_a_task_another_desktop_reopened_is_a_conflict(desks):
    yamada, suzuki = desks
    _customer, task = add_customer_and_task(yamada)
    yamada.followups.check_off(task, done_on="2026-12-07")
    yamada.followups.reopen(task)
    with pytest.raises(ConflictError):
        suzuki.followups.reopen(task)
    assert suzuki.db.query("SELECT status FROM followup_tasks") == [{"status": "open"}]


def test_a_note_saved_over_another_desktops_newer_note_is_refused(desks):
    yamada, suzuki = desks
    customer, _task = add_customer_and_task(yamada)
    yamada.customers.set_notes(customer, "辛口が好み", seen="")
    stored = yamada.customers.get(customer)
    assert (stored["notes"], stored["notes_by"]) == ("辛口が好み", "山田")
    assert datetime.fromisoformat(stored["notes_at"]).date() == date.today()
    operations = suzuki.db.scalar("SELECT count(*) FROM operations")
    with pytest.raises(ConflictError) as refused:
        suzuki.customers.set_notes(customer, "電話は夕方に", seen="")   # opened before 山田 saved
    assert refused.value.current == "辛口が好み"
    assert str(refused.value).startswith(
        f"このメモは開いたあとで山田さんが{when_text(stored['notes_at'])}に変更しています。")
    assert suzuki.customers.get(customer)["notes"] == "辛口が好み"
    assert suzuki.db.scalar("SELECT count(*) FROM operations") == operations
    # Having seen 山田's note, 鈴木 saves both.
    suzuki.customers.set_notes(customer, "辛口が好み\n電話は夕方に", seen="辛口が好み")
    stored = yamada.customers.get(customer)
    assert (stored["notes"], stored["notes_by"]) == ("辛口が好み\n電話は夕方に", "鈴木")


def _two_order_shop(tmp_path, shop):
    shop.imports.import_file(order_file(tmp_path, "orders.csv", [
        ("M1", "A-1", "2026-10-01 10:00", "P1", 1000, 1),
        ("M2", "B-1", "2026-10-02 10:00", "P1", 2000, 1),
        ("M3", "C-1", "2026-10-03 10:00", "P1", 3000, 1),
        ("M3", "C-2", "2026-11-03 10:00", "P2", 500, 2)]))
    return [customer_id(shop, m) for m in ("M1", "M2", "M3")]


def test_merging_a_customer_merged_away_meanwhile_is_a_conflict(desks, tmp_path):
    yamada, suzuki = desks
    one, two, three = _two_order_shop(tmp_path, yamada)
    seen = {c: suzuki.customers.version(c) for c in (two, three)}   # 鈴木 chooses 2 and 3
    yamada.customers.merge(one, two)
    with pytest.raises(ConflictError) as refused:
        suzuki.customers.merge(three, two, seen=seen)
    assert "山田さんが" in str(refused.value)
    assert f"「顧客統合 {two} → {one}」" in str(refused.value)
    # Nothing changed: 2's order stays with 1, 3 keeps its own two.
    assert suzuki.db.query("SELECT order_no, customer_id FROM orders ORDER BY order_no") == [
        {"order_no": "A-1", "customer_id": one}, {"order_no": "B-1", "customer_id": one},
        {"order_no": "C-1", "customer_id": three}, {"order_no": "C-2", "customer_id": three}]
    # Merged away: refused even without the state seen.
    with pytest.raises(ConflictError):
        suzuki.customers.merge(three, two)


def test_merging_a_customer_split_meanwhile_is_a_conflict(desks, tmp_path):
    yamada, suzuki = desks
    one, _two, three = _two_order_shop(tmp_path, yamada)
    seen = {c: suzuki.customers.version(c) for c in (one, three)}
    c2 = yamada.db.scalar("SELECT id FROM orders WHERE order_no = 'C-2'")
    split = yamada.customers.split(three, [c2])
    with pytest.raises(ConflictError) as refused:
        suzuki.customers.merge(one, three, seen=seen)
    assert f"「顧客分割（顧客 {three}）」" in str(refused.value)
    assert suzuki.db.query("SELECT order_no, customer_id FROM orders "
                           "WHERE order_no IN ('A-1', 'C-1', 'C-2') ORDER BY order_no") == [
        {"order_no": "A-1", "customer_id": one}, {"order_no": "C-1", "customer_id": three},
        {"order_no": "C-2", "customer_id": split.created}]
    # Chosen again (the versions as they are now), the merge goes through.
    seen = {c: suzuki.customers.version(c) for c in (one, three)}
    suzuki.customers.merge(one, three, seen=seen)
    assert suzuki.db.scalar("SELECT count(*) FROM orders WHERE customer_id = ?", (one,)) == 2


@pytest.mark.sqlite_only("a SQLite file written by the version before staff names")
def test_rows_from_before_names_were_recorded_show_blank(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for script in MIGRATIONS[:13]:
        conn.executescript(script)
    conn.execute("PRAGMA user_version = 13")
    conn.execute("INSERT INTO customers (name, created_at, notes) "
                 "VALUES ('佐藤', '2026-01-01', '古いメモ')")
    conn.execute("INSERT INTO touches (customer_id, touched_on, medium, created_at) "
                 "VALUES (1, '2026-02-01', 'dm', '2026-02-01 10:00:00')")
    conn.commit()
    conn.close()
    with Shop(path) as shop:
        assert shop.touches.for_customer(1)["staff"].tolist() == [""]
        customer = shop.customers.get(1)
        assert (customer["notes"], customer["notes_by"], customer["notes_at"]) == (
            "古いメモ", None, None)


def test_a_server_shop_of_the_version_before_gets_the_staff_columns(postgres_url):
    from engine.store import postgres
    with Shop(postgres_url, staff="山田") as shop:
        add_customer_and_task(shop)
    conn = postgres.connect(postgres_url, autocommit=True)
    for table, column in (("touches", "staff"), ("followup_tasks", "done_by"),
                          ("followup_tasks", "done_at"), ("customers", "notes_by"),
                          ("customers", "notes_at"), ("operations", "staff")):
        conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    conn.execute("UPDATE otokui_schema SET version = 13")
    conn.close()
    with Shop(postgres_url, staff="鈴木") as shop:
        assert shop.db.scalar("SELECT version FROM otokui_schema") == 14
        task = shop.db.scalar("SELECT id FROM followup_tasks")
        shop.followups.check_off(task, done_on="2026-12-07")
        assert shop.db.query("SELECT done_by FROM followup_tasks") == [{"done_by": "鈴木"}]
        assert shop.db.query("SELECT staff FROM touches") == [{"staff": "鈴木"}]
