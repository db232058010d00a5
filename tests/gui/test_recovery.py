"""Start-up: a damaged database is offered a restore, a second instance is refused."""
import pytest

import gui.recovery as recovery
from engine import Shop
from engine.errors import AlreadyOpenError, DatabaseCorruptError
from tests.engine.store.test_database import damaged_database
from tests.support.snapshot import sample_files


@pytest.fixture
def shown(monkeypatch):
    errors = []
    monkeypatch.setattr(recovery, "show_error", lambda parent, exc: errors.append(exc))
    return errors


def test_a_healthy_database_opens_locked(qapp, tmp_path, shown):
    shop = recovery.open_shop(tmp_path / "shop.db")
    try:
        with pytest.raises(AlreadyOpenError):
            Shop(tmp_path / "shop.db", single_instance=True)
    finally:
        shop.close()
    assert shown == []


def test_a_second_instance_is_refused_with_a_message(qapp, tmp_path, shown):
    first = recovery.open_shop(tmp_path / "shop.db")
    try:
        assert recovery.open_shop(tmp_path / "shop.db") is None
    finally:
        first.close()
    assert len(shown) == 1 and "別のOtokuiで開かれています" in str(shown[0])


def test_a_damaged_database_is_restored_from_the_latest_backup_when_accepted(qapp, tmp_path, shown):
    path = damaged_database(tmp_path)
    questions = []
    shop = recovery.open_shop(path, ask=lambda parent, text: questions.append(text) or True)
    try:
        assert shop.db.scalar("SELECT count(DISTINCT import_id) FROM orders") == 1
        assert shop.db.scalar("PRAGMA integrity_check") == "ok"
    finally:
        shop.close()
    assert "データベースが壊れています" in questions[0]
    assert f"取込前: {sample_files()[1].name}" in questions[0]
    assert list(tmp_path.glob("shop.db.corrupt-*"))
    assert shown == []


def test_a_declined_restore_leaves_the_damaged_file_alone(qapp, tmp_path, shown):
    path = damaged_database(tmp_path)
    damaged = path.read_bytes()
    assert recovery.open_shop(path, ask=lambda parent, text: False) is None
    assert path.read_bytes() == damaged
    with pytest.raises(DatabaseCorruptError):
        Shop(path)


def test_a_damaged_database_without_backups_explains_itself(qapp, tmp_path, shown):
    path = damaged_database(tmp_path)
    for backup in (tmp_path / "backups").iterdir():
        backup.unlink()
    assert recovery.open_shop(path, ask=lambda parent, text: pytest.fail("asked")) is None
    assert "バックアップがないため復元できません" in str(shown[0])
