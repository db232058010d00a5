"""``migrate`` between SQLite and a real PostgreSQL server (engine/store/transfer.py):
the round trip leaves every table equal, the hand-computed figures arrive, a non-empty
target is refused, cancel and a copy that does not match leave nothing behind."""
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
        rows = {}
        for name in names:
            width = len(conn.execute(f'PRAGMA table_info("{name}")').fetchall())
            order = "1, 2" if width > 1 else "1"
            rows[name] = conn.execute(f'SELECT * FROM "{name}" ORDER BY {order}').fetchall()
        return rows
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


def test_round_trip_sqlite_postgresql_sqlite_leaves_every_table_equal(full_shop, postgres_url,
                                                                      tmp_path):
    original = sqlite_rows(full_shop)
    # Every table of the schema holds rows, so each one is really compared (but
    # the summary tables' dirty marks, emptied by every commit).
    assert [name for name, rows in original.items() if not rows] == [
        "figures_dirty_customers", "figures_dirty_months"]
    assert len(original["customer_figures"]) > 0 and len(original["month_figures"]) > 0
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
