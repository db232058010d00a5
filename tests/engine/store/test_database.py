import sqlite3
from pathlib import Path

import pytest

from engine import Shop
from engine.errors import DatabaseTooNewError, OtokuiError
from engine.store.database import Database
from engine.store.schema import SCHEMA_VERSION


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


def _corrupt_middle(path):
    data = bytearray(path.read_bytes())
    data[8192:len(data) - 4096] = b"\x5a" * (len(data) - 4096 - 8192)
    path.write_bytes(bytes(data))


def shop_with_two_imports(tmp_path):
    """A database file holding the first two sample imports (and their backups)."""
    from engine import Shop
    from tests.support.snapshot import sample_files

    path = tmp_path / "shop.db"
    with Shop(path) as shop:
        shop.imports.import_file(sample_files()[0])
        shop.imports.import_file(sample_files()[1])
    return path


def damage_table(path, table="orders"):
    """Overwrite the root page of one table: the file opens (its schema is intact)
    but SQLite's check finds the damage."""
    conn = sqlite3.connect(path)
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    with open(path, "r+b") as handle:
        handle.seek((root - 1) * page_size + 8)
        handle.write(b"\x5a" * (page_size - 8))


def damaged_database(tmp_path):
    path = shop_with_two_imports(tmp_path)
    _corrupt_middle(path)
    return path


def test_a_damaged_database_raises_database_corrupt_error(tmp_path):
    from engine.errors import DatabaseCorruptError

    path = damaged_database(tmp_path)
    with pytest.raises(DatabaseCorruptError, match="shop.db: データベースが壊れています") as caught:
        Database(path)
    assert caught.value.path == path
    assert "最新のバックアップから復元" in str(caught.value)


def test_large_databases_get_the_quick_check(tmp_path, monkeypatch):
    import engine.store.database as database

    path = tmp_path / "shop.db"
    Database(path).close()
    seen = []
    monkeypatch.setattr(database, "FULL_CHECK_MAX_BYTES", 0)
    db = Database(path)
    db.conn.set_trace_callback(seen.append)
    db.check_integrity()
    monkeypatch.setattr(database, "FULL_CHECK_MAX_BYTES", 10 ** 12)
    db.check_integrity()
    db.close()
    assert seen == ["PRAGMA quick_check(3)", "PRAGMA integrity_check(3)"]


@pytest.mark.parametrize("damage", ["corrupt", "too_new"])
def test_a_refused_database_leaves_no_connection_open(tmp_path, monkeypatch, damage):
    path = shop_with_two_imports(tmp_path)
    if damage == "corrupt":
        _corrupt_middle(path)
    else:
        conn = sqlite3.connect(path)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        conn.close()
    opened = []
    real_connect = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda *a, **k: opened.append(real_connect(*a, **k))
                        or opened[-1])
    with pytest.raises(OtokuiError):
        Database(path)
    assert len(opened) == 1
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        opened[0].execute("SELECT 1")


class _Counter:
    """compute() for Database.memo that counts its calls and returns the settings."""

    def __init__(self, db):
        self.db, self.calls = db, 0

    def __call__(self):
        self.calls += 1
        return [tuple(r) for r in self.db.conn.execute("SELECT key, value FROM settings")]


def test_memo_computes_once_per_database_state(tmp_path):
    db = Database(tmp_path / "a.db")
    compute = _Counter(db)
    assert db.memo("k", compute) == [] and db.memo("k", compute) == []
    assert compute.calls == 1
    db.execute("INSERT INTO settings (key, value) VALUES ('a', '1')")
    assert db.memo("k", compute) == [("a", "1")]
    assert compute.calls == 2
    # A write rolled back still counts as a change: computed again, same answer.
    with pytest.raises(RuntimeError):
        with db.transaction() as conn:
            conn.execute("UPDATE settings SET value = '2'")
            raise RuntimeError
    assert db.memo("k", compute) == [("a", "1")]
    assert compute.calls == 3
    db.forget_memos()
    db.memo("k", compute)
    assert compute.calls == 4


def test_memo_sees_commits_of_other_connections(tmp_path):
    db = Database(tmp_path / "a.db")
    compute = _Counter(db)
    db.memo("k", compute)
    other = sqlite3.connect(tmp_path / "a.db", isolation_level=None)
    other.execute("INSERT INTO settings (key, value) VALUES ('b', '2')")
    other.close()
    assert db.memo("k", compute) == [("b", "2")]
    assert compute.calls == 2


def test_memo_keeps_nothing_inside_a_transaction_and_only_a_few_entries():
    from engine.store.database import MEMO_ENTRIES

    db = Database(memory=True)
    compute = _Counter(db)
    with db.transaction() as conn:
        conn.execute("INSERT INTO settings (key, value) VALUES ('a', '1')")
        assert db.memo("k", compute) == [("a", "1")]
        assert db.memo("k", compute) == [("a", "1")]
        assert compute.calls == 2
        conn.execute("DELETE FROM settings")
        after_delete = db.memo("k", compute)
    assert after_delete == [] and compute.calls == 3
    for key in range(MEMO_ENTRIES + 1):
        db.memo(key, compute)
    calls = compute.calls
    db.memo(MEMO_ENTRIES, compute)  # the newest is kept
    db.memo(0, compute)             # the oldest was dropped
    assert compute.calls == calls + 1


# --- failures of the disk, the file or the machine in plain Japanese ------------------

def test_a_full_disk_rolls_back_and_says_what_to_do(tmp_path):
    from engine.errors import StorageError
    from tests.support.generated_export import write_export

    with Shop(tmp_path / "shop.db") as shop:
        pages = shop.db.scalar("PRAGMA page_count")
        shop.db.conn.execute(f"PRAGMA max_page_count = {pages + 3}")   # the disk fills up
        with pytest.raises(StorageError, match="空き容量が足りない") as info:
            shop.imports.import_file(write_export(tmp_path / "orders.csv", 3000, 500))
        assert "データは変更されていません" in str(info.value)
        shop.db.conn.execute("PRAGMA max_page_count = 1073741823")
        assert shop.db.scalar("SELECT count(*) FROM orders") == 0
        assert shop.imports.history() == []


def test_a_read_only_database_says_so(tmp_path):
    from engine.errors import StorageError

    with Shop(tmp_path / "shop.db") as shop:
        shop.db.conn.execute("PRAGMA query_only = ON")
        with pytest.raises(StorageError, match="読み取り専用"):
            shop.customers.set_source_dm_default("amazon", True)


def test_a_lock_held_by_another_program_is_not_called_damage(tmp_path):
    from engine.errors import StorageError

    path = tmp_path / "shop.db"
    Shop(path).close()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with Shop(path) as shop:
            shop.db.conn.execute("PRAGMA busy_timeout = 50")
            with pytest.raises(StorageError, match="使用中") as info:
                shop.settings.set("x", 1)
            assert "復元は不要" in str(info.value)
    finally:
        other.close()


def test_out_of_memory_inside_a_nested_transaction_is_reported_as_such(tmp_path):
    from engine.errors import StorageError

    with Shop(tmp_path / "shop.db") as shop:
        with pytest.raises(StorageError, match="メモリが足りない"):
            with shop.db.transaction():
                with shop.db.transaction():
                    shop.db.conn.execute("INSERT INTO settings VALUES ('a', '1')")
                    shop.db.conn.execute("ROLLBACK")   # SQLite gave up the transaction
                    raise MemoryError()
        assert shop.settings.get("a") is None


def _count_checks(monkeypatch):
    import engine.store.database as database

    checks = []
    original = database.integrity_problems
    monkeypatch.setattr(database, "integrity_problems",
                        lambda conn, path: checks.append(path) or original(conn, path))
    return checks


def test_after_a_clean_exit_the_open_leaves_the_full_check_to_the_caller(tmp_path, monkeypatch):
    from engine.errors import DatabaseCorruptError
    from engine.store.database import check_file

    path = shop_with_two_imports(tmp_path)
    marker = tmp_path / "shop.db.unclosed"
    assert not marker.exists()          # closed cleanly
    damage_table(path)
    checks = _count_checks(monkeypatch)
    db = Database(path, check="after_unclean_exit")
    try:
        assert checks == [] and db.check_pending
        assert marker.exists()          # open now
        with pytest.raises(DatabaseCorruptError, match="データベースが壊れています"):
            check_file(path)            # what the window runs in the background
    finally:
        db.close()
    assert checks == [path] and not marker.exists()


def test_after_an_unclean_exit_the_open_checks_the_whole_file_first(tmp_path, monkeypatch):
    from engine.errors import DatabaseCorruptError

    path = shop_with_two_imports(tmp_path)
    crashed = Database(path, check="after_unclean_exit")
    crashed.conn.close()                # the program died: close() never ran
    assert (tmp_path / "shop.db.unclosed").exists()
    checks = _count_checks(monkeypatch)
    db = Database(path, check="after_unclean_exit")
    assert checks == [path] and not db.check_pending
    db.close()
    assert not (tmp_path / "shop.db.unclosed").exists()
    Database(path, check="after_unclean_exit").conn.close()   # another crash
    damage_table(path)
    with pytest.raises(DatabaseCorruptError):
        Database(path, check="after_unclean_exit")


def test_a_file_found_damaged_is_checked_first_at_the_next_open(tmp_path):
    from engine.errors import DatabaseCorruptError

    path = shop_with_two_imports(tmp_path)
    damage_table(path)
    db = Database(path, check="after_unclean_exit")
    db.mark_damaged()                   # the background check found it
    db.close()
    assert (tmp_path / "shop.db.unclosed").exists()
    with pytest.raises(DatabaseCorruptError):
        Database(path, check="after_unclean_exit")


def test_a_cut_off_file_is_refused_without_the_full_check(tmp_path, monkeypatch):
    from engine.errors import DatabaseCorruptError

    path = shop_with_two_imports(tmp_path)
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        handle.truncate(size // 2)
    checks = _count_checks(monkeypatch)
    with pytest.raises(DatabaseCorruptError, match=f"途中で切れています（{size // 2:,} / {size:,} バイト）"):
        Database(path, check="after_unclean_exit")
    assert checks == []


@pytest.mark.parametrize("suffix", ["-wal", "-journal"])
def test_a_header_ahead_of_the_file_with_a_log_beside_it_is_left_to_sqlite(tmp_path, suffix):
    """A program killed during a checkpoint leaves page 1 (with the new page count)
    written before the pages after it; the WAL (or a hot journal) beside the file
    completes or undoes that when SQLite opens it, so it is not a cut-off file."""
    from engine.store.database import check_header

    path = shop_with_two_imports(tmp_path)
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        handle.truncate(size // 2)
    Path(f"{path}{suffix}").write_bytes(b"\0" * 32)
    check_header(path)                          # no error: SQLite will sort it out
    Path(f"{path}{suffix}").write_bytes(b"")    # an empty log completes nothing
    with pytest.raises(Exception, match="途中で切れています"):
        check_header(path)


def test_the_command_line_default_still_checks_at_every_open(tmp_path, monkeypatch):
    path = shop_with_two_imports(tmp_path)
    checks = _count_checks(monkeypatch)
    Database(path).close()
    assert checks == [path]
