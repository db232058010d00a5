"""The summary tables (customer_figures, month_figures) stay equal to the figures
recomputed from scratch after every kind of change to the shop."""
import random
import re
import sqlite3
from datetime import date

import pandas as pd
import pytest

from engine import Shop
from engine.analysis.rfm import customer_metrics
from engine.store import figures
from engine.store.database import Database
from engine.store.figures import figures_current
from engine.store.schema import MIGRATIONS
from engine.store.transfer import migrate
from tests.support.analysis_shop import add_customer, add_order
from tests.support.generated_export import csv_bytes, order_rows
from tests.support.snapshot import sample_files

FAR_FUTURE = date(9999, 12, 31)


VALID = ("FROM orders o JOIN customers c ON c.id = o.customer_id "
         "WHERE o.status = 'valid' AND c.deleted_at IS NULL")


def valid_orders(db) -> pd.DataFrame:
    """The valid orders of customers not deleted, each marked whether it is its
    customer's first (found by sorting, not by the SQL the engine uses)."""
    orders = db.frame(
        f"SELECT o.id, o.customer_id, o.order_date, o.ordered_at, o.amount {VALID}")
    orders = orders.sort_values(["order_date", "ordered_at", "id"])
    orders["first"] = ~orders["customer_id"].duplicated()
    orders["month"] = orders["order_date"].str[:7]
    orders["new_sales"] = orders["amount"].where(orders["first"], 0)
    return orders


def rows_of(grouped: pd.DataFrame) -> list[tuple]:
    keys = [k if isinstance(k, tuple) else (k,) for k in grouped.index]
    return [(*(int(k) if not isinstance(k, str) else k for k in key), *(int(v) for v in row))
            for key, row in zip(keys, grouped.itertuples(index=False))]


def recomputed(db) -> tuple[list[tuple], list[tuple]]:
    """Both tables from scratch: customers in plain SQL, months in pandas."""
    customers = db.conn.execute(
        "SELECT o.customer_id, count(*), sum(o.amount), min(o.order_date), max(o.order_date) "
        f"{VALID} GROUP BY o.customer_id ORDER BY o.customer_id").fetchall()
    grouped = valid_orders(db).groupby("month").agg(
        sales=("amount", "sum"), orders=("id", "size"), buyers=("customer_id", "nunique"),
        new_sales=("new_sales", "sum"), new_buyers=("first", "sum"))
    return customers, rows_of(grouped)


def recomputed_customer_months(db) -> list[tuple]:
    return rows_of(valid_orders(db).groupby(["customer_id", "month"]).agg(
        sales=("amount", "sum"), orders=("id", "size"), new_sales=("new_sales", "sum"),
        new_buyer=("first", "sum")))


def kept(db) -> tuple[list[tuple], list[tuple]]:
    customers = db.conn.execute(
        "SELECT customer_id, purchase_count, total_amount, first_purchase, last_purchase "
        "FROM customer_figures ORDER BY customer_id").fetchall()
    months = db.conn.execute(
        "SELECT month, sales, orders, buyers, new_sales, new_buyers FROM month_figures "
        "ORDER BY month").fetchall()
    return customers, months


def assert_current(db) -> None:
    assert db.scalar("SELECT count(*) FROM figures_dirty_customers") == 0
    assert db.scalar("SELECT count(*) FROM figures_dirty_months") == 0
    expected = recomputed(db)
    assert kept(db) == expected
    assert db.conn.execute("SELECT customer_id, month, sales, orders, new_sales, new_buyer "
                           "FROM customer_month_figures ORDER BY customer_id, month"
                           ).fetchall() == recomputed_customer_months(db)
    assert figures_current(db, FAR_FUTURE)


def spread_rows(orders: int, customers: int, seed: int, first_order: int = 1,
                year: int = 2024) -> list[list[str]]:
    """order_rows with the orders spread over a year's months (same order, same time)."""
    rows = order_rows(orders, customers, seed, first_order)
    for row in rows:
        number = int(row[0][1:])
        minute = row[3][14:16]
        row[3] = f"{year}-{1 + number * 7 % 12:02d}-{1 + number % 28:02d} 1{number % 10}:{minute}:00 +0900"
    return rows


def import_rows(shop: Shop, tmp_path, name: str, rows: list[list[str]]):
    path = tmp_path / name
    path.write_bytes(csv_bytes(rows))
    return shop.imports.import_file(path, "shopify")


@pytest.fixture
def shop(tmp_path):
    shop = Shop(":memory:")
    import_rows(shop, tmp_path, "first.csv", spread_rows(400, 120, seed=3))
    assert_current(shop.db)
    yield shop
    shop.close()


def test_a_new_shop_has_empty_current_tables():
    db = Database(memory=True)
    assert kept(db) == ([], [])
    assert_current(db)


def test_a_big_first_import_rebuilds_them_in_one_pass(tmp_path, monkeypatch):
    calls = []
    for name in ("suspend", "resume"):
        original = getattr(figures, name)
        monkeypatch.setattr(figures, name,
                            lambda *a, _f=original, _n=name: calls.append(_n) or _f(*a))
    shop = Shop(":memory:")
    shop.imports.bulk_min_lines = 1
    import_rows(shop, tmp_path, "first.csv", spread_rows(600, 200, seed=5))
    assert calls == ["suspend", "resume"]
    customers, months = kept(shop.db)
    assert len(customers) > 150 and len(months) == 12
    assert_current(shop.db)
    # The triggers are back: a later change is kept current again.
    with shop.db.transaction() as conn:
        conn.execute("UPDATE orders SET amount = amount + 1000 WHERE id = 1")
    assert_current(shop.db)


def test_every_monthly_import_of_every_format_keeps_them_current():
    shop = Shop(":memory:")
    for path in sample_files():
        shop.imports.import_file(path)
        assert_current(shop.db)
    assert len(kept(shop.db)[0]) == 148


def test_a_monthly_import_refreshes_only_what_it_touched(shop, tmp_path, monkeypatch):
    """New orders in 2025 by customers who first bought in 2024 (or are new): no
    2024 month is recomputed, only the buyers are."""
    dirty = []
    original = figures.refresh

    def spy(conn, *dialect):
        dirty.append((
            {r[0] for r in conn.execute("SELECT customer_id FROM figures_dirty_customers")},
            {r[0] for r in conn.execute("SELECT month FROM figures_dirty_months")}))
        original(conn, *dialect)
    monkeypatch.setattr(figures, "refresh", spy)
    result = import_rows(shop, tmp_path, "next.csv",
                         spread_rows(30, 150, seed=9, first_order=401, year=2025))
    customers, months = dirty[-1]
    assert months == {r[0] for r in shop.db.conn.execute(
        "SELECT DISTINCT substr(order_date, 1, 7) FROM orders WHERE import_id = ?",
        (result.import_id,))}
    assert months and all(m.startswith("2025-") for m in months)
    assert customers == {r[0] for r in shop.db.conn.execute(
        "SELECT DISTINCT customer_id FROM orders WHERE import_id = ?", (result.import_id,))}
    assert_current(shop.db)


def test_a_reimport_with_a_cancellation_and_an_amount_change(shop, tmp_path):
    rows = spread_rows(400, 120, seed=3)
    cancelled, changed = "#7", "#12"
    for row in rows:
        if row[0] == cancelled:
            row[14] = "2024-12-01 10:00:00 +0900"
        if row[0] == changed:
            row[6] = str(int(row[6]) + 4000)
    cancelled_customer, changed_customer = (shop.db.scalar(
        "SELECT customer_id FROM orders WHERE order_no = ?", (no,)) for no in (cancelled, changed))
    total = {cid: shop.db.scalar("SELECT total_amount FROM customer_figures WHERE customer_id = ?",
                                 (cid,)) for cid in (cancelled_customer, changed_customer)}
    amount = shop.db.scalar("SELECT amount FROM orders WHERE order_no = ?", (cancelled,))
    result = import_rows(shop, tmp_path, "again.csv", rows)
    assert result.orders_updated == 2
    assert_current(shop.db)
    lines_changed = sum(int(r[4]) * 4000 for r in rows if r[0] == changed)
    assert shop.db.scalar("SELECT total_amount FROM customer_figures WHERE customer_id = ?",
                          (changed_customer,)) == total[changed_customer] + lines_changed
    if cancelled_customer != changed_customer:
        now = shop.db.scalar("SELECT total_amount FROM customer_figures WHERE customer_id = ?",
                             (cancelled_customer,))
        assert (now or 0) == total[cancelled_customer] - amount


def _two_customers(db) -> tuple[int, int]:
    """Two customers with orders whose first purchases lie in different months,
    the second's earlier."""
    rows = db.query("SELECT customer_id, first_purchase FROM customer_figures "
                    "WHERE purchase_count >= 2 ORDER BY first_purchase DESC")
    late = rows[0]
    early = next(r for r in reversed(rows) if r["first_purchase"][:7] < late["first_purchase"][:7])
    return late["customer_id"], early["customer_id"]


def test_a_merge_and_its_undo(shop):
    keep, other = _two_customers(shop.db)
    months_before = kept(shop.db)
    change = shop.customers.merge(keep, other)
    assert_current(shop.db)
    assert shop.db.scalar("SELECT count(*) FROM customer_figures WHERE customer_id = ?",
                          (other,)) == 0
    shop.journal.undo(change.operation)
    assert_current(shop.db)
    assert kept(shop.db) == months_before


def test_a_split_of_the_first_orders_and_its_undo(shop):
    cid = shop.db.scalar("SELECT customer_id FROM customer_figures WHERE purchase_count >= 3 "
                         "ORDER BY customer_id LIMIT 1")
    orders = [r["id"] for r in shop.db.query(
        "SELECT id FROM orders WHERE customer_id = ? ORDER BY order_date, ordered_at, id", (cid,))]
    before = kept(shop.db)
    change = shop.customers.split(cid, orders[:2])
    assert_current(shop.db)
    assert shop.db.scalar("SELECT purchase_count FROM customer_figures WHERE customer_id = ?",
                          (change.created,)) == 2
    shop.journal.undo(change.operation)
    assert_current(shop.db)
    assert kept(shop.db) == before


def test_undo_of_an_import(shop, tmp_path):
    before = kept(shop.db)
    result = import_rows(shop, tmp_path, "next.csv",
                         spread_rows(50, 160, seed=11, first_order=401, year=2023))
    assert kept(shop.db) != before
    assert_current(shop.db)
    shop.imports.undo(result.import_id)
    assert_current(shop.db)
    assert kept(shop.db) == before


def test_erasure_keeps_the_figures(shop):
    cid = shop.db.scalar("SELECT customer_id FROM customer_figures ORDER BY customer_id LIMIT 1")
    before = kept(shop.db)
    shop.privacy.delete_customer(cid)
    assert shop.db.scalar("SELECT erased_at FROM customers WHERE id = ?", (cid,)) is not None
    assert_current(shop.db)
    assert kept(shop.db) == before


def test_a_deleted_customer_leaves_and_comes_back(shop):
    cid, _ = _two_customers(shop.db)
    before = kept(shop.db)
    with shop.db.transaction() as conn:
        conn.execute("UPDATE customers SET deleted_at = '2025-01-01' WHERE id = ?", (cid,))
    assert_current(shop.db)
    assert cid not in [r[0] for r in kept(shop.db)[0]]
    with shop.db.transaction() as conn:
        conn.execute("UPDATE customers SET deleted_at = NULL WHERE id = ?", (cid,))
    assert kept(shop.db) == before


def test_random_changes_in_transactions_and_outside(shop):
    """Cancel, revalidate, reprice, redate, retime and move orders at random; a
    change made outside a transaction waits for the next commit."""
    rng = random.Random(19)
    ids = [r[0] for r in shop.db.conn.execute("SELECT id FROM orders")]
    customers = [r[0] for r in shop.db.conn.execute("SELECT id FROM customers")]
    changes = [
        ("UPDATE orders SET status = CASE status WHEN 'valid' THEN 'cancelled' ELSE 'valid' END "
         "WHERE id = :order"),
        "UPDATE orders SET amount = amount + :number WHERE id = :order",
        "UPDATE orders SET order_date = :day, ordered_at = :day || ' 09:00:00' WHERE id = :order",
        "UPDATE orders SET ordered_at = order_date || ' 00:00:01' WHERE id = :order",
        "UPDATE orders SET customer_id = :customer WHERE id = :order",
        "DELETE FROM order_lines WHERE order_id = :order",
    ]
    for round_ in range(40):
        with shop.db.transaction() as conn:
            for _ in range(rng.randint(1, 6)):
                conn.execute(rng.choice(changes), {
                    "order": rng.choice(ids), "number": rng.randint(-500, 5000),
                    "customer": rng.choice(customers),
                    "day": f"202{rng.randint(3, 5)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"})
        assert_current(shop.db)
    shop.db.execute("UPDATE orders SET amount = amount + 1 WHERE id = ?", (ids[0],))
    assert not figures_current(shop.db, FAR_FUTURE)
    with shop.db.transaction():
        pass
    assert_current(shop.db)


def test_hand_written_orders_and_a_new_customer():
    shop = Shop(":memory:")
    with shop.db.transaction():
        add_customer(shop, 1)
        add_customer(shop, 2)
        add_order(shop, 1, "2024-03-05", 1000)
        add_order(shop, 1, "2024-03-05", 3000)   # same day: the first by id is new
        add_order(shop, 1, "2024-05-01", 500)
        add_order(shop, 2, "2024-05-09", 700)
    assert kept(shop.db) == (
        [(1, 3, 4500, "2024-03-05", "2024-05-01"), (2, 1, 700, "2024-05-09", "2024-05-09")],
        [("2024-03", 4000, 2, 1, 1000, 1), ("2024-05", 1200, 2, 2, 700, 1)])
    # An earlier order makes March's orders repeat orders and February new.
    with shop.db.transaction():
        add_order(shop, 1, "2024-02-28", 200)
    assert kept(shop.db)[1] == [("2024-02", 200, 1, 1, 200, 1), ("2024-03", 4000, 2, 1, 0, 0),
                                ("2024-05", 1200, 2, 2, 700, 1)]
    # Cancelled again; then the 3000 yen order placed earlier that day is the first.
    with shop.db.transaction() as conn:
        conn.execute("UPDATE orders SET status = 'cancelled' WHERE amount = 200")
    with shop.db.transaction() as conn:
        conn.execute("UPDATE orders SET ordered_at = '2024-03-05 08:00:00' WHERE amount = 3000")
    assert kept(shop.db)[1] == [("2024-03", 4000, 2, 1, 3000, 1), ("2024-05", 1200, 2, 2, 700, 1)]
    assert_current(shop.db)
    # A rebuild (another way to the first orders) finds the same.
    before = kept(shop.db)
    with shop.db.transaction() as conn:
        figures.rebuild(conn, shop.db.dialect)
    assert kept(shop.db) == before


def test_figures_are_not_current_before_the_newest_order_or_during_a_bulk_write(shop):
    newest = date.fromisoformat(shop.db.scalar("SELECT max(order_date) FROM orders"))
    assert figures_current(shop.db, newest)
    assert not figures_current(shop.db, date.fromordinal(newest.toordinal() - 1))
    with shop.db.transaction() as conn:
        triggers = figures.suspend(conn, shop.db.dialect)
        assert len(triggers) == len(figures.TRIGGERS)
        assert not figures_current(shop.db, FAR_FUTURE)
        conn.execute("DELETE FROM order_lines")
        conn.execute("DELETE FROM orders WHERE id % 2 = 0")
        figures.resume(conn, triggers, shop.db.dialect)
    assert_current(shop.db)


def test_a_failed_transaction_leaves_them_as_they_were(shop):
    before = kept(shop.db)
    with pytest.raises(RuntimeError), shop.db.transaction() as conn:
        conn.execute("UPDATE orders SET amount = 0")
        raise RuntimeError("stop")
    assert kept(shop.db) == before
    assert_current(shop.db)


def _without_later_columns(conn) -> None:
    """Drop the columns migrations after 13 added (staff names: 14)."""
    for script in MIGRATIONS[13:]:
        for table, column in re.findall(r"ALTER TABLE (\w+) ADD COLUMN (\w+)", script):
            conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")


def _downgraded_copy(db, target) -> None:
    """``db`` as version 11 wrote it: no summary tables, no triggers."""
    dest = sqlite3.connect(target)
    db.conn.backup(dest)
    for name in figures.TRIGGERS:
        dest.execute(f"DROP TRIGGER {name}")
    for table in ("customer_figures", "month_figures", "figures_dirty_customers",
                  "figures_dirty_months", "customer_month_figures"):
        dest.execute(f"DROP TABLE {table}")
    _without_later_columns(dest)
    dest.execute("PRAGMA user_version = 11")
    dest.commit()
    dest.close()


@pytest.mark.sqlite_only("a SQLite file of schema version 11 migrated")
def test_opening_a_version_11_shop_fills_them(shop, tmp_path):
    expected = kept(shop.db)
    _downgraded_copy(shop.db, tmp_path / "old.db")
    db = Database(tmp_path / "old.db")
    assert kept(db) == expected
    assert_current(db)
    db.close()


@pytest.mark.sqlite_only("a SQLite file of schema version 12 migrated")
def test_opening_a_version_12_shop_adds_each_customers_months(shop, tmp_path):
    expected = kept(shop.db)
    dest = sqlite3.connect(tmp_path / "v12.db")
    shop.db.conn.backup(dest)
    dest.execute("DROP TABLE customer_month_figures")
    _without_later_columns(dest)
    dest.execute("PRAGMA user_version = 12")
    dest.commit()
    dest.close()
    db = Database(tmp_path / "v12.db")
    assert kept(db) == expected
    assert_current(db)
    db.close()


def test_restore_of_a_backup_and_of_an_older_one(tmp_path):
    with Shop(tmp_path / "shop.db") as shop:
        import_rows(shop, tmp_path, "first.csv", spread_rows(200, 80, seed=4))
        saved = kept(shop.db)
        backup = shop.backups.create("手動")
        import_rows(shop, tmp_path, "next.csv",
                    spread_rows(40, 120, seed=5, first_order=201, year=2023))
        assert kept(shop.db) != saved
        shop.backups.restore(backup.path)
        assert kept(shop.db) == saved
        assert_current(shop.db)
        older = tmp_path / "older.db"
        import_rows(shop, tmp_path, "next.csv",
                    spread_rows(40, 120, seed=5, first_order=201, year=2023))
        _downgraded_copy(shop.db, older)
        newer = kept(shop.db)
        with shop.db.transaction() as conn:
            conn.execute("DELETE FROM order_lines")
            conn.execute("DELETE FROM orders")
        assert kept(shop.db) == ([], [])
        shop.backups.restore(older)
        assert kept(shop.db) == newer
        assert_current(shop.db)


@pytest.mark.sqlite_only("a page copy of the SQLite file migrated into another file")
def test_a_copy_into_a_new_file_rebuilds_them(shop, tmp_path):
    source = tmp_path / "source.db"
    dest = sqlite3.connect(source)
    shop.db.conn.backup(dest)
    # A source whose tables were left behind: the copy does not trust them; and a
    # change written without a transaction's refresh (marked dirty, not yet done).
    dest.execute("UPDATE customer_figures SET total_amount = 0")
    dest.execute("UPDATE orders SET amount = amount + 100 WHERE id = 1")
    dest.commit()
    assert dest.execute("SELECT count(*) FROM figures_dirty_customers").fetchone()[0] == 1
    dest.close()
    migrate(source, tmp_path / "copy.db")
    db = Database(tmp_path / "copy.db")
    assert_current(db)
    with shop.db.transaction() as conn:
        conn.execute("UPDATE orders SET amount = amount + 100 WHERE id = 1")
    assert kept(db) == kept(shop.db)
    db.close()


@pytest.mark.sqlite_only("starts from a page copy of the SQLite shop's file")
def test_a_round_trip_through_postgresql(shop, tmp_path, postgres_url):
    source = tmp_path / "source.db"
    dest = sqlite3.connect(source)
    shop.db.conn.backup(dest)
    dest.close()
    migrate(source, postgres_url)
    migrate(postgres_url, tmp_path / "back.db")
    db = Database(tmp_path / "back.db")
    assert kept(db) == kept(shop.db)
    assert_current(db)
    db.close()


def test_a_rebuild_keeps_the_ranking_index(shop):
    def rank_index(conn):
        return shop.db.dialect.index_definitions(conn, ["customer_figures_rank"])[0][1:]
    before = rank_index(shop.db.conn)
    assert "total_amount DESC, purchase_count DESC, last_purchase DESC, customer_id" in before[0]
    with shop.db.transaction() as conn:
        figures.rebuild(conn, shop.db.dialect)
    assert rank_index(shop.db.conn) == before
    # SQLite is told to read the index; PostgreSQL has no such clause.
    indexed = "INDEXED BY customer_figures_rank " if shop.db.dialect.name == "sqlite" else ""
    top = shop.db.conn.execute(
        f"SELECT customer_id FROM customer_figures {indexed}"
        "ORDER BY total_amount DESC, purchase_count DESC, last_purchase DESC, customer_id "
        "LIMIT 3").fetchall()
    # The index's order is rfm's ranking.
    assert [r[0] for r in top] == \
        customer_metrics(shop.db, FAR_FUTURE)["customer_id"].head(3).tolist()
    assert_current(shop.db)
