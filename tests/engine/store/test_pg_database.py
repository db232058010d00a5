"""A shop on a real PostgreSQL server (engine/store/pg_database.py): an empty database
gets the schema, a reopened one keeps its data, a foreign or newer one is refused,
a shop copied there by ``migrate`` has its triggers (or gets them on opening) and imports,
undoes and keeps its summary tables as SQLite does; a failed transaction leaves
nothing behind."""
from datetime import date

import psycopg
import pytest

from engine import Shop
from engine.errors import DatabaseTooNewError, OtokuiError, StorageError
from engine.store import dialect, figures, pg_triggers, postgres
from engine.store.pg_connection import PgConnection
from engine.store.schema import JOURNALED_TABLES, SCHEMA_VERSION
from engine.store.server_backups import ServerBackups
from engine.store.transfer import migrate
from tests.support.snapshot import SAMPLES, sample_files


def test_an_empty_database_gets_the_schema_and_keeps_its_data(postgres_url):
    with Shop(postgres_url) as shop:
        assert shop.path is None
        assert shop.db.scalar("SELECT version FROM otokui_schema") == SCHEMA_VERSION
        tables = {r["tablename"] for r in shop.db.query(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}
        assert tables == {t.name for t in dialect.tables()} | {dialect.VERSION_TABLE}
        assert pg_triggers.installed(shop.db.conn)
        # The first commit built the (empty) summary tables and forgot the mark.
        assert shop.db.scalar("SELECT count(*) FROM figures_dirty_months") == 0
        shop.settings.set("shop_name", "お茶の店 みどり")
        shop.imports.import_file(SAMPLES / "base" / "base_202507.csv")
    with Shop(postgres_url) as shop:
        assert shop.settings.get("shop_name") == "お茶の店 みどり"
        assert shop.db.scalar("SELECT count(*) FROM orders") == 5
        assert shop.db.scalar("SELECT sum(total_amount) FROM customer_figures") == \
            shop.db.scalar("SELECT sum(amount) FROM orders WHERE status = 'valid'")


def test_a_foreign_or_newer_database_is_refused(postgres_url):
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE invoices (id int)")
    with pytest.raises(OtokuiError, match="Otokuiのデータベースではありません"):
        Shop(postgres_url)
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("DROP TABLE invoices")
    Shop(postgres_url).close()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("UPDATE otokui_schema SET version = version + 1")
    with pytest.raises(DatabaseTooNewError):
        Shop(postgres_url)


def test_a_failed_transaction_leaves_nothing_and_savepoints_nest(postgres_url):
    with Shop(postgres_url) as shop:
        with pytest.raises(ZeroDivisionError):
            with shop.db.transaction() as conn:
                conn.execute("INSERT INTO settings (key, value) VALUES ('a', '1')")
                1 / 0
        with shop.db.transaction() as conn:
            conn.execute("INSERT INTO settings (key, value) VALUES ('b', '1')")
            with pytest.raises(psycopg.errors.UniqueViolation):
                with shop.db.transaction():
                    conn.execute("INSERT INTO settings (key, value) VALUES ('c', '1')")
                    conn.execute("INSERT INTO settings (key, value) VALUES ('b', '2')")
        assert shop.db.query("SELECT key, value FROM settings ORDER BY key") == [
            {"key": "b", "value": "1"}]
        assert not shop.db.conn.in_transaction


def test_a_migrated_shop_gets_its_triggers_and_works_as_in_sqlite(postgres_url, tmp_path):
    files = sample_files()
    path = tmp_path / "shop.db"
    with Shop(path) as lite:
        for file in files[:12]:
            lite.imports.import_file(file)
    migrate(path, postgres_url)
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        # migrate made the triggers; a copy of an older program's (none) gets them
        # when a shop opens it.
        assert conn.execute("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'journal_%'"
                            ).fetchone()[0] == len(JOURNALED_TABLES)
        conn.execute("DROP TRIGGER journal_orders ON orders")
    with Shop(postgres_url) as server, Shop(path) as lite:
        assert pg_triggers.installed(server.db.conn)
        for file in files[12:]:
            assert server.imports.import_file(file).summary() == \
                lite.imports.import_file(file).summary()
        compared = ("SELECT * FROM customer_figures ORDER BY customer_id",
                    "SELECT * FROM month_figures ORDER BY month",
                    "SELECT id, customer_id, amount, status FROM orders ORDER BY id",
                    "SELECT id, key, customer_id FROM identity_keys ORDER BY id")
        for sql in compared:
            assert server.db.query(sql) == lite.db.query(sql), sql
        # Imports made after the copy undo on the server too.
        for import_id in (24, 23, 22):
            server.imports.undo(import_id)
            lite.imports.undo(import_id)
        for sql in compared:
            assert server.db.query(sql) == lite.db.query(sql), sql
        assert figures.figures_current(server.db, date(2026, 1, 1))


def test_writers_take_turns_and_a_busy_one_is_told_in_japanese(postgres_url):
    with Shop(postgres_url) as first, Shop(postgres_url) as second:
        second.db.busy_seconds = 0.2
        with first.db.transaction() as conn:
            conn.execute("INSERT INTO settings (key, value) VALUES ('a', '1')")
            with pytest.raises(StorageError, match="別のパソコンかプログラムがデータベースに書き込み中"):
                second.settings.set("b", 2)
            assert not second.db.conn.in_transaction
        second.settings.set("b", 2)
        assert first.settings.get("b") == 2 and second.settings.get("a") == 1


def test_what_another_desktop_commits_is_seen_by_remembered_tables(postgres_url):
    with Shop(postgres_url) as first, Shop(postgres_url) as second:
        first.imports.import_file(SAMPLES / "base" / "base_202507.csv")
        assert len(first.customers.table(as_of="2025-11-01")) == 5
        second.imports.import_file(SAMPLES / "colorme" / "colorme_202507.csv")
        assert len(first.customers.table(as_of="2025-11-01")) == 8


def _terminate(url: str, pid: int) -> None:
    with psycopg.connect(url, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_a_lost_connection_is_said_in_japanese_and_the_next_use_connects_again(postgres_url):
    with Shop(postgres_url) as shop:
        shop.settings.set("a", 1)
        pid = shop.db.scalar("SELECT pg_backend_pid()")
        _terminate(postgres_url, pid)
        with pytest.raises(postgres.ServerUnavailableError, match="との接続が切れました"):
            shop.settings.set("a", 2)
        # The next use outside a transaction is on a new connection; the failed write
        # left nothing.
        assert shop.settings.get("a") == 1
        assert shop.db.scalar("SELECT pg_backend_pid()") != pid
        shop.settings.set("a", 3)
        assert shop.settings.get("a") == 3
        # ping() finds a drop and connects again in one call.
        _terminate(postgres_url, shop.db.scalar("SELECT pg_backend_pid()"))
        shop.db.ping()
        assert shop.settings.get("a") == 3


def test_a_connection_lost_inside_a_transaction_is_not_replaced_until_it_ends(postgres_url):
    with Shop(postgres_url) as shop:
        shop.settings.set("a", 1)
        with pytest.raises(postgres.ServerUnavailableError):
            with shop.db.transaction() as conn:
                conn.execute("UPDATE settings SET value = '5' WHERE key = 'a'")
                _terminate(postgres_url, shop.db.scalar("SELECT pg_backend_pid()"))
                try:
                    conn.execute("UPDATE settings SET value = '6' WHERE key = 'a'")
                except postgres.ServerUnavailableError:
                    pass
                # Carrying on after the loss would commit only what follows it.
                conn.execute("UPDATE settings SET value = '7' WHERE key = 'a'")
        assert shop.settings.get("a") == 1


def test_a_server_without_tls_is_named_when_tls_is_required(postgres_url):
    url = postgres_url.replace("sslmode=disable", "sslmode=require")
    assert "sslmode=require" in url
    with pytest.raises(postgres.ServerUnavailableError, match="暗号化（TLS）した接続に対応していません"):
        Shop(url)


def test_a_shop_restored_from_a_server_backup_keeps_its_triggers_and_undo(postgres_url,
                                                                        tmp_path):
    files = sample_files()[:3]
    with Shop(postgres_url) as shop:
        first = shop.imports.import_file(files[0])
        after_first = shop.db.query("SELECT * FROM orders ORDER BY id")
        second = shop.imports.import_file(files[1])
        after_second = shop.db.query("SELECT * FROM customer_figures ORDER BY customer_id")
        backup = ServerBackups(postgres_url, tmp_path / "backups").create("テスト")
        shop.imports.import_file(files[2])
    ServerBackups(postgres_url, tmp_path / "backups").restore(backup.path)
    with psycopg.connect(postgres_url) as conn:
        assert pg_triggers.installed(PgConnection(conn))
    with Shop(postgres_url) as shop:
        assert shop.db.query("SELECT * FROM customer_figures ORDER BY customer_id") == after_second
        shop.imports.undo(second.import_id)
        assert shop.db.query("SELECT * FROM orders ORDER BY id") == after_first
        assert first.import_id == shop.db.scalar("SELECT max(id) FROM imports WHERE undone_at IS NULL")
