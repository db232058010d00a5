"""Start-up: a damaged, empty or missing database is offered a restore from its newest
good backup, a second instance is refused."""
from pathlib import Path

import pytest

import gui.recovery as recovery
from engine import Shop
from engine.errors import AlreadyOpenError, DatabaseCorruptError
from gui.worker import wait_for
from gui.context import AppContext
from tests.engine.store.test_database import damage_table, damaged_database, shop_with_two_imports
from tests.support.engine_side import on_engine
from tests.support.snapshot import sample_files


@pytest.fixture
def shown(monkeypatch):
    errors = []
    monkeypatch.setattr(recovery, "show_error", lambda parent, exc: errors.append(exc))
    return errors


def open_shop(path, ask=recovery.ask_to_restore):
    """The shop as the window gets it at start-up (None when it cannot open)."""
    return wait_for(lambda done: recovery.open_shop(path, None, done, ask))


def test_a_healthy_database_opens_locked(qapp, tmp_path, shown):
    shop = open_shop(tmp_path / "shop.db")
    try:
        with pytest.raises(AlreadyOpenError):
            Shop(tmp_path / "shop.db", single_instance=True)
    finally:
        on_engine(shop.close)
    assert shown == []


def test_a_second_instance_is_refused_with_a_message(qapp, tmp_path, shown):
    first = open_shop(tmp_path / "shop.db")
    try:
        assert open_shop(tmp_path / "shop.db") is None
    finally:
        on_engine(first.close)
    assert len(shown) == 1 and "別のOtokuiで開かれています" in str(shown[0])


def test_a_damaged_database_is_restored_from_the_latest_backup_when_accepted(qapp, tmp_path, shown):
    path = damaged_database(tmp_path)
    questions = []
    shop = open_shop(path, ask=lambda parent, text: questions.append(text) or True)
    try:
        assert on_engine(lambda: shop.db.scalar("SELECT count(DISTINCT import_id) FROM orders")) == 1
        assert on_engine(lambda: shop.db.scalar("PRAGMA integrity_check")) == "ok"
    finally:
        on_engine(shop.close)
    assert "データベースが壊れています" in questions[0]
    assert f"取込前: {sample_files()[1].name}" in questions[0]
    assert list(tmp_path.glob("shop.db.corrupt-*"))
    assert shown == []


def test_a_declined_restore_leaves_the_damaged_file_alone(qapp, tmp_path, shown):
    path = damaged_database(tmp_path)
    damaged = path.read_bytes()
    assert open_shop(path, ask=lambda parent, text: False) is None
    assert path.read_bytes() == damaged
    with pytest.raises(DatabaseCorruptError):
        Shop(path)


def test_a_damaged_database_without_backups_explains_itself(qapp, tmp_path, shown):
    path = damaged_database(tmp_path)
    for backup in (tmp_path / "backups").iterdir():
        backup.unlink()
    assert open_shop(path, ask=lambda parent, text: pytest.fail("asked")) is None
    assert "使えるバックアップがないため復元できません" in str(shown[0])


def test_a_damaged_newest_backup_gives_way_to_the_newest_good_one(qapp, tmp_path, shown):
    path = damaged_database(tmp_path)
    backups = sorted((tmp_path / "backups").glob("shop-*.otkb"))
    assert len(backups) == 2
    backups[-1].write_bytes(backups[-1].read_bytes()[:4096])   # the newest is damaged too
    questions = []
    shop = open_shop(path, ask=lambda parent, text: questions.append(text) or True)
    try:   # the older backup: taken before the first import, an empty shop
        assert on_engine(lambda: shop.db.scalar("SELECT count(*) FROM orders")) == 0
    finally:
        on_engine(shop.close)
    assert "より新しいバックアップ 1件は壊れているため使えません" in questions[0]
    assert f"取込前: {sample_files()[0].name}" in questions[0]
    assert shown == []


@pytest.mark.parametrize("damage", ["missing", "empty"])
def test_a_lost_database_offers_its_backups_instead_of_opening_empty(qapp, tmp_path, shown, damage):
    path = damaged_database(tmp_path)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    if damage == "empty":
        path.write_bytes(b"")
    questions = []
    shop = open_shop(path, ask=lambda parent, text: questions.append(text) or True)
    try:
        assert on_engine(lambda: shop.db.scalar("SELECT count(DISTINCT import_id) FROM orders")) == 1
    finally:
        on_engine(shop.close)
    assert "見つからないか、空になっています" in questions[0]


def check_in_background(qtbot, ctx, ask):
    finished = []
    check = recovery.check_in_background(ctx, None, ask, on_done=lambda: finished.append(1))
    assert check is not None
    qtbot.waitUntil(lambda: finished == [1], timeout=20000)
    return check


def test_a_clean_start_opens_at_once_and_checks_in_the_background(qtbot, tmp_path, shown):
    path = shop_with_two_imports(tmp_path)
    shop = open_shop(path)
    ctx = AppContext(shop)
    try:
        assert shop.db.check_pending
        check_in_background(qtbot, ctx, ask=lambda parent, text: pytest.fail("asked"))
        assert not shop.db.check_pending and ctx.shop is shop
        assert recovery.check_in_background(ctx, None) is None   # once per opening
    finally:
        on_engine(shop.close)
    assert shown == [] and not (tmp_path / "shop.db.unclosed").exists()


def test_damage_found_in_the_background_offers_the_restore(qtbot, tmp_path, shown):
    path = shop_with_two_imports(tmp_path)
    damage_table(path)
    shop = open_shop(path)              # a clean exit last time: opens without the check
    ctx = AppContext(shop)
    questions = []
    check_in_background(qtbot, ctx, ask=lambda parent, text: questions.append(text) or True)
    qtbot.waitUntil(lambda: ctx.shop is not shop, timeout=20000)
    try:
        assert "データベースが壊れています" in questions[0]
        assert f"取込前: {sample_files()[1].name}" in questions[0]
        # The newest good backup was taken before the second import: the first is in.
        assert on_engine(lambda: ctx.shop.db.scalar(
            "SELECT count(DISTINCT import_id) FROM orders")) == 1
        assert on_engine(lambda: ctx.shop.db.scalar("PRAGMA integrity_check")) == "ok"
    finally:
        on_engine(ctx.shop.close)
    assert len(list(tmp_path.glob("shop.db.corrupt-*"))) == 1
    assert shown == []


def test_a_declined_background_restore_checks_again_at_the_next_start(qtbot, tmp_path, shown):
    path = shop_with_two_imports(tmp_path)
    damage_table(path)
    shop = open_shop(path)
    ctx = AppContext(shop)
    questions = []
    check_in_background(qtbot, ctx, ask=lambda parent, text: questions.append(text) or False)
    assert len(questions) == 1 and ctx.shop is shop
    on_engine(shop.close)
    # Next start: the damage is known, so the open checks before the window.
    again = []
    assert open_shop(path, ask=lambda parent, text: again.append(text) or False) is None
    assert "データベースが壊れています" in again[0]


def test_a_window_closed_during_the_background_check_is_no_error(qtbot, tmp_path, monkeypatch):
    """The check reads the whole file on its own thread; the window (its parent) may be
    closed meanwhile. The thread then ends quietly (pytest fails a test on any
    exception left in a thread)."""
    import threading

    from PySide6.QtWidgets import QWidget
    path = shop_with_two_imports(tmp_path)
    shop = open_shop(path)
    ctx = AppContext(shop)
    reading, go_on = threading.Event(), threading.Event()

    def slow_check(file):
        reading.set()
        go_on.wait(10)
    monkeypatch.setattr(recovery, "check_file", slow_check)
    window = QWidget()
    check = recovery.check_in_background(ctx, window, ask=lambda parent, text: False)
    qtbot.waitUntil(reading.is_set, timeout=10000)
    thread = check.thread
    window.deleteLater()
    qtbot.waitUntil(lambda: not _alive(window), timeout=5000)
    go_on.set()
    thread.join(10)
    assert not thread.is_alive()
    on_engine(shop.close)


def _alive(widget) -> bool:
    from shiboken6 import isValid
    return isValid(widget)
