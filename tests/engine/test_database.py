import sqlite3

import pytest

from engine.database import Database
from engine.errors import DatabaseTooNewError, OtokuiError
from engine.schema import SCHEMA_VERSION


def test_new_database_is_migrated_and_in_wal_mode(tmp_path):
    db = Database(tmp_path / "shop.db")
    assert db.scalar("PRAGMA user_version") == SCHEMA_VERSION
    assert db.scalar("PRAGMA journal_mode") == "wal"
    db.close()


def test_newer_database_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "shop.db"
    Database(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(DatabaseTooNewError, match="新しいバージョン"):
        Database(path)


def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    path = tmp_path / "shop.db"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(OtokuiError, match="shop.db"):
        Database(path)


def test_another_applications_database_is_refused(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(OtokuiError, match="other.db"):
        Database(path)


def test_transaction_rolls_back_on_error():
    db = Database(memory=True)
    with pytest.raises(RuntimeError):
        with db.transaction() as conn:
            conn.execute("INSERT INTO settings (key, value) VALUES ('a', '1')")
            raise RuntimeError
    assert db.scalar("SELECT count(*) FROM settings") == 0
