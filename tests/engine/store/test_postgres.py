"""The PostgreSQL store against a real server (tests/support/postgres.py): the schema
derived from SQLite's, connecting, and ``migrate`` both ways with its checks."""
from __future__ import annotations

import sqlite3
from datetime import date

import psycopg
import pytest

from engine import Shop
from engine.app.demo import build_demo
from engine.errors import CancelledError
from engine.imports.downloads import PartMissingError
from engine.store import dialect, postgres, transfer
from engine.store.database import APPLICATION_ID
from engine.store.schema import SCHEMA_VERSION
from engine.store.transfer import MigrationError, migrate
from tests.support.layouts import LAYOUTS
from tests.support.survey_shop import build_shop


def sqlite_rows(path) -> dict[str, list[tuple]]:
    """Every row of every table (sqlite_sequence included), in id order."""
    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {name: conn.execute(f'SELECT * FROM "{name}" ORDER BY 1, 2').fetchall()
                for name in names}
    finally:
        conn.close()


def pragmas(path) -> tuple[int, int]:
    conn = sqlite3.connect(path)
    try:
        return (conn.execute("PRAGMA user_version").fetchone()[0],
                conn.execute("PRAGMA application_id").fetchone()[0])
    finally:
        conn.close()


@pytest.fixture(scope="module")
def full_shop(tmp_path_factory):
    """The demo shop (imports, surveys with answers, a journey map, consents, plans,
    tasks checked off with their touches) plus, through the engine's services, a
    manual merge and split, count-program rules, an e-mail template, settings, a
    kept Yahoo part (a BLOB) and an undone import (ids handed out but gone)."""
    path = build_demo(tmp_path_factory.mktemp("shop") / "shop.db", today=date(2026, 3, 10))
    with Shop(path) as shop:
        ids = [r["id"] for r in shop.db.query(
            "SELECT customer_id AS id FROM orders GROUP BY customer_id HAVING count(*) >= 2 "
            "ORDER BY customer_id LIMIT 3")]
        shop.customers.merge(ids[0], ids[1])
        orders = [r["id"] for r in shop.db.query(
            "SELECT id FROM orders WHERE customer_id = ? ORDER BY id", (ids[2],))]
        shop.customers.split(ids[2], orders[:1])
        shop.count_program.save_rules([
            {"purchase_number": 2, "insert_name": "お礼状", "note": "", "insert_b": "クーポン"}])
        shop.mail.save_template("お礼メール", "件名", "本文")
        shop.settings.set("shop_name", "お茶の店 みどり")
        result = shop.imports.import_file(LAYOUTS / "base" / "base_orders.csv")
        shop.imports.undo(result.import_id)
        with pytest.raises(PartMissingError):
            shop.imports.import_file(LAYOUTS / "yahoo" / "yahoo_item.csv")
        with shop.db.transaction() as conn:
            conn.execute(
                "INSERT INTO mail_sends (month, customer_id, step, address, subject, status,"
                " attempted_at) VALUES ('2026-03', ?, 1, 'a@example.com', '件名', 'sent',"
                " '2026-03-01 10:00:00')", (ids[0],))
    return path


def test_the_postgresql_schema_has_the_tables_and_columns_of_sqlite(postgres_url):
    with psycopg.connect(postgres_url) as conn:
        for statement in dialect.schema_sql():
            conn.execute(statement)
        pg_columns = {}
        for table, column in conn.execute(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"):
            pg_columns.setdefault(table, []).append(column)
        pg_indexes = {r[0] for r in conn.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")}
        version = conn.execute("SELECT version FROM otokui_schema").fetchone()[0]
        identity = conn.execute(
            "SELECT is_identity, data_type FROM information_schema.columns "
            "WHERE table_name = 'orders' AND column_name = 'id'").fetchone()
        tail = conn.execute("SELECT indexdef FROM pg_indexes WHERE indexname = "
                            "'customers_phone_tail'").fetchone()[0]
    reference = dialect.reference_connection()
    sqlite_columns = {
        name: [r[1] for r in reference.execute(f'PRAGMA table_info("{name}")')]
        for (name,) in reference.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'")}
    sqlite_indexes = {r[0] for r in reference.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}
    reference.close()
    assert pg_columns.pop("otokui_schema") == ["version"]
    assert pg_columns == sqlite_columns
    assert len(pg_columns) == 32
    assert sqlite_indexes <= pg_indexes
    assert version == SCHEMA_VERSION == 11
    assert identity == ("YES", "bigint")
    assert tail.endswith('USING btree ("right"(phone_digits, 4))')


def test_sqlite_index_text_is_translated_for_postgresql():
    assert dialect.translate_index(
        "CREATE INDEX customers_given_name ON customers(substr(name, instr(name, ' ') + 1))\n"
        "        WHERE instr(name, ' ') > 0") == (
        'CREATE INDEX "customers_given_name" ON "customers" '
        "(substr(name, strpos(name, ' ') + 1)) WHERE strpos(name, ' ') > 0")
    assert dialect.translate_index(
        "CREATE INDEX customers_phone_tail ON customers(substr(phone_digits, -4))") == (
        'CREATE INDEX "customers_phone_tail" ON "customers" (right(phone_digits, 4))')


def test_tables_come_after_the_tables_they_refer_to():
    order = [t.name for t in dialect.tables()]
    for t in dialect.tables():
        for _, target, _, _ in t.foreign_keys:
            assert order.index(target) < order.index(t.name), (t.name, target)
    assert order.index("customers") < order.index("orders") < order.index("order_lines")
    assert dialect.table("followup_targets").checks == ("held_out IN (0, 1)",)
    assert dialect.table("order_lines").foreign_keys == (
        (("order_id",), "orders", ("id",), "CASCADE"),)


def test_round_trip_sqlite_postgresql_sqlite_leaves_every_table_equal(full_shop, postgres_url,
                                                                      tmp_path):
    original = sqlite_rows(full_shop)
    # Every table of the schema holds rows, so each one is really compared.
    assert [name for name, rows in original.items() if not rows] == []
    there = migrate(full_shop, postgres_url)
    assert there.rows["settings"] == len(original["settings"])
    assert there.total_rows == sum(len(rows) for name, rows in original.items()
                                   if name != "sqlite_sequence")
    back = tmp_path / "back.db"
    messages = []
    migrate(postgres_url, back, progress=lambda f, m: messages.append((f, m)))
    assert sqlite_rows(back) == original
    assert pragmas(back) == (SCHEMA_VERSION, APPLICATION_ID)
    assert messages[-1] == (1.0, "移行が終わりました")
    fractions = [f for f, _ in messages]
    assert fractions == sorted(fractions)
    # The copy is a normal shop: it opens, and its figures are the original's.
    with Shop(full_shop) as a, Shop(back) as b:
        assert b.customers.table(as_of=date(2026, 3, 10)).equals(
            a.customers.table(as_of=date(2026, 3, 10)))


def test_postgresql_holds_the_hand_computed_figures_and_hands_out_the_next_ids(postgres_url,
                                                                              tmp_path):
    path = tmp_path / "tiny.db"
    build_shop(path).close()
    result = migrate(path, postgres_url)
    # 20 valid orders (1+1+3+1+5+1+2+1+4+1) and customer 12's cancelled one.
    assert (result.rows["customers"], result.rows["orders"]) == (12, 21)
    with psycopg.connect(postgres_url) as conn:
        figures = conn.execute(dialect.CUSTOMER_FIGURES_SQL).fetchall()
        # Customer 3: three orders of 3,000 on 2024-01-05; 11 (none) and 12 (cancelled) absent.
        assert figures[2] == (3, 3, 9000, "2024-01-05", "2024-01-05")
        assert [row[0] for row in figures] == list(range(1, 11))
        new_id = conn.execute("INSERT INTO customers (created_at) VALUES ('2026-01-01') "
                              "RETURNING id").fetchone()[0]
        assert new_id == 13
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute("UPDATE orders SET status = 'lost' WHERE id = 1")


def test_a_non_empty_target_is_refused_and_left_as_it_was(full_shop, postgres_url, tmp_path):
    with psycopg.connect(postgres_url) as conn:
        conn.execute("CREATE TABLE notes (body text)")
    with pytest.raises(MigrationError) as caught:
        migrate(full_shop, postgres_url)
    assert str(caught.value).startswith(
        f"移行先のデータベース {postgres.describe(postgres_url)} は空ではありません（notesの表があります）。")
    with psycopg.connect(postgres_url) as conn:
        assert transfer._user_tables(conn) == ["notes"]
    existing = tmp_path / "existing.db"
    existing.write_bytes(b"something")
    with pytest.raises(MigrationError, match="移行先のファイル existing.db はすでにあります"):
        migrate(full_shop, existing)
    assert existing.read_bytes() == b"something"


def test_cancelling_leaves_no_target(full_shop, postgres_url, tmp_path):
    asked = []

    def cancel():
        asked.append(1)
        return len(asked) > 3
    with pytest.raises(CancelledError):
        migrate(full_shop, postgres_url, cancel=cancel)
    with psycopg.connect(postgres_url) as conn:
        assert transfer._user_tables(conn) == []
    migrate(full_shop, postgres_url)
    asked.clear()
    with pytest.raises(CancelledError):
        migrate(postgres_url, tmp_path / "copy.db", cancel=cancel)
    assert list(tmp_path.iterdir()) == []


def test_a_copy_that_does_not_match_is_not_kept(full_shop, tmp_path, monkeypatch):
    write = transfer._SqliteWriter.write

    def lose_an_answer(self, t, rows, step):
        write(self, t, list(rows)[1:] if t.name == "survey_answers" else rows, step)
    monkeypatch.setattr(transfer._SqliteWriter, "write", lose_an_answer)
    expected = len(sqlite_rows(full_shop)["survey_answers"])
    with pytest.raises(MigrationError) as caught:
        migrate(full_shop, tmp_path / "copy.db")
    assert str(caught.value) == (
        f"移行後の確認で survey_answers の行数が一致しません（移行元 {expected:,}行、移行先 {expected - 1:,}行）。"
        "移行先には何も保存していません。")
    assert list(tmp_path.iterdir()) == []


def test_a_server_that_is_down_is_named_with_what_to_do(tmp_path):
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Bound but not listening: nothing answers on the port.
    path = tmp_path / "tiny.db"
    build_shop(path).close()
    with pytest.raises(postgres.ServerUnavailableError) as caught:
        migrate(path, f"postgresql://otokui@127.0.0.1:{port}/shop")
    assert str(caught.value).startswith(
        f"PostgreSQLサーバー 127.0.0.1:{port} に接続できません。サーバーが起動しているか、"
        "サーバー名とポート番号、ファイアウォールの設定を確認してから、もう一度お試しください。")


def test_a_missing_database_and_a_missing_source_are_said_plainly(postgres_server, tmp_path):
    _, target = postgres.parse(postgres_server)
    url = f"postgresql://{target.user}@{target.host}:{target.port}/no_such_shop"
    with pytest.raises(postgres.ServerUnavailableError) as caught:
        postgres.connect(url)
    assert str(caught.value) == (
        f"PostgreSQLサーバー {target.where} にデータベース「no_such_shop」がありません。"
        "サーバーで作成してから（例: createdb）、もう一度お試しください。")
    with pytest.raises(MigrationError, match="移行元のファイル gone.db がありません"):
        migrate(tmp_path / "gone.db", tmp_path / "copy.db")


def test_the_url_gets_tls_preferred_and_the_password_from_the_credential_store(monkeypatch):
    class FakeKeyring:
        @staticmethod
        def get_password(service, user):
            return {("Otokui PostgreSQL", "shop@nas.local:5433/otokui"): "secret"}.get(
                (service, user))
    monkeypatch.setattr(postgres, "_keyring", lambda: FakeKeyring)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    seen = {}
    monkeypatch.setattr(psycopg, "connect", lambda **params: seen.update(params))
    postgres.connect("postgresql://shop@nas.local:5433/otokui")
    assert (seen["sslmode"], seen["password"], seen["host"], seen["port"]) == (
        "prefer", "secret", "nas.local", "5433")
    seen.clear()
    postgres.connect("postgresql://shop:given@nas.local:5433/otokui?sslmode=require")
    assert (seen["sslmode"], seen["password"]) == ("require", "given")
    assert postgres.describe("postgresql://shop:given@nas.local:5433/otokui") == \
        "postgresql://shop@nas.local:5433/otokui"


def test_without_a_server_the_tests_skip_unless_ci_requires_it(monkeypatch):
    from tests.support import postgres as support
    monkeypatch.delenv(support.REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="no server here"):
        support.unavailable("no server here")
    monkeypatch.setenv(support.REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception,
                       match="PostgreSQL is required \\(OTOKUI_REQUIRE_POSTGRES=1\\) but no server here"):
        support.unavailable("no server here")
