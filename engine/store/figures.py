"""Summary tables kept current: per-customer and per-month figures (issue 19).

``customer_figures`` holds, per customer not deleted with a valid order, what
``rfm`` computes from all their valid orders; ``month_figures`` per calendar month
(YYYY-MM of order_date) the sales, orders and buyers of those customers, and the
sales and count of first orders (new_sales, new_buyers: repeat sales are sales −
new_sales, returning buyers buyers − new_buyers). Cohorts (which months each
customer came back in) are not kept: a returning customer would touch every
cohort's row. ``customer_month_figures`` (migration 13) holds each customer's
part of each month: sales, orders and their first order. Triggers in the schema
(migration 12) note every change that moves a figure — an order inserted,
deleted, or changed in status, amount, date, time or customer; a customer deleted
or brought back — as dirty customers (and months, of which only the mark "*",
rebuild everything, is still read). ``Database.transaction`` calls
:func:`refresh` just before COMMIT, which recomputes the dirty customers' figures
and customer-months from their orders and changes month_figures by the difference,
so the tables change in the same transaction as the orders do. A big import (and a
copy into a new file) drops the triggers and rebuilds the tables in one pass at its
end instead (:func:`suspend`, :func:`rebuild`, :func:`resume`).

Readers ask :func:`figures_current` first: nothing dirty, the triggers in place
and no valid order after the as-of date (then the all-time figures are the
as-of figures); otherwise they scan the orders as before.
"""
from __future__ import annotations

import sqlite3
from datetime import date

from engine.store.dialects import SQLITE

TRIGGERS: tuple[str, ...] = ("figures_order_insert", "figures_order_delete",
                             "figures_order_update", "figures_customer_deleted",
                             "figures_customer_removed")
# Tables of figures derived from the orders (and the marks of what to derive again):
# a merge moves customer references everywhere else, never here.
DERIVED_TABLES: tuple[str, ...] = ("customer_figures", "customer_month_figures",
                                   "figures_dirty_customers")
# In figures_dirty_months: everything is to be rebuilt (the migration that made the tables).
EVERYTHING = "*"

_CUSTOMER_SELECT = (
    "SELECT o.customer_id, count(*), sum(o.amount), min(o.order_date), max(o.order_date) "
    "FROM orders o JOIN customers c ON c.id = o.customer_id "
    "WHERE o.status = 'valid' AND c.deleted_at IS NULL {where} GROUP BY o.customer_id")

# Each customer's valid orders per month, and their first valid order (on the first
# purchase day, the earliest by time of order, then id) found by one seek per
# customer. Joining customer_figures (already current) keeps exactly the customers
# not deleted. ``{where}`` limits it to some customers.
# The first valid order of customer_figures row ``f``'s customer (one seek).
FIRST_ORDER_ID = ("(SELECT o.id FROM orders o WHERE o.customer_id = f.customer_id "
                  "AND o.status = 'valid' AND o.order_date = f.first_purchase "
                  "ORDER BY o.ordered_at, o.id LIMIT 1)")
_CUSTOMER_MONTH_SELECT = """
    WITH firsts AS (
        SELECT f.customer_id, """ + FIRST_ORDER_ID + """ AS first_id
        FROM customer_figures f {where})
    SELECT o.customer_id, substr(o.order_date, 1, 7) AS month, sum(o.amount), count(*),
           sum(CASE WHEN o.id = fi.first_id THEN o.amount ELSE 0 END),
           {first_order_count}
    FROM firsts fi JOIN orders o ON o.customer_id = fi.customer_id
    WHERE o.status = 'valid' GROUP BY o.customer_id, month
"""
_DIRTY = "customer_id IN (SELECT customer_id FROM figures_dirty_customers)"
_INSERT_CUSTOMER_MONTHS = ("INSERT INTO customer_month_figures (customer_id, month, sales, "
                           "orders, new_sales, new_buyer) ")
# Per month: sales, orders, buyers, new sales, new buyers of some customer-months.
_MONTH_TOTALS = ("SELECT month, sum(sales), sum(orders), count(*), sum(new_sales), "
                 "sum(new_buyer) FROM customer_month_figures {where} GROUP BY month")

_INSERT_CUSTOMERS = ("INSERT INTO customer_figures (customer_id, purchase_count, total_amount, "
                     "first_purchase, last_purchase) ")
_INSERT_MONTHS = ("INSERT INTO month_figures (month, sales, orders, buyers, new_sales, "
                  "new_buyers) ")

def _customer_months(where: str, dialect) -> str:
    return _CUSTOMER_MONTH_SELECT.format(
        where=where, first_order_count=dialect.count_true("o.id = fi.first_id"))


def _is_dirty(conn: sqlite3.Connection) -> bool:
    return conn.execute(
        "SELECT EXISTS (SELECT 1 FROM figures_dirty_customers) "
        "OR EXISTS (SELECT 1 FROM figures_dirty_months)").fetchone()[0] == 1


def refresh(conn: sqlite3.Connection, dialect=SQLITE) -> None:
    """Bring the dirty customers' and months' figures up to date from the orders
    and forget them (called inside the write transaction, before COMMIT)."""
    if not _is_dirty(conn):
        return
    if conn.execute("SELECT 1 FROM figures_dirty_months WHERE month = ?",
                    (EVERYTHING,)).fetchone():
        rebuild(conn, dialect)
        return
    conn.execute("DELETE FROM customer_figures WHERE " + _DIRTY)
    conn.execute(_INSERT_CUSTOMERS + _CUSTOMER_SELECT.format(where="AND o." + _DIRTY))
    # The months change by the dirty customers' new rows less their old ones: a
    # merge of long-standing customers touches only their own customer-months.
    where = "WHERE " + _DIRTY
    before = {row[0]: row[1:] for row in conn.execute(_MONTH_TOTALS.format(where=where))}
    conn.execute("DELETE FROM customer_month_figures " + where)
    conn.execute(_INSERT_CUSTOMER_MONTHS + _customer_months("WHERE f." + _DIRTY, dialect))
    after = {row[0]: row[1:] for row in conn.execute(_MONTH_TOTALS.format(where=where))}
    nothing = (0, 0, 0, 0, 0)
    changes = []
    for month in sorted(before.keys() | after.keys()):
        delta = [a - b for a, b in zip(after.get(month, nothing), before.get(month, nothing))]
        if any(delta):
            changes.append((month, *delta))
    conn.executemany(
        _INSERT_MONTHS + "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (month) DO UPDATE SET "
        "sales = month_figures.sales + excluded.sales, "
        "orders = month_figures.orders + excluded.orders, "
        "buyers = month_figures.buyers + excluded.buyers, "
        "new_sales = month_figures.new_sales + excluded.new_sales, "
        "new_buyers = month_figures.new_buyers + excluded.new_buyers", changes)
    conn.execute("DELETE FROM month_figures WHERE orders = 0")
    _forget_dirty(conn)


def rebuild(conn: sqlite3.Connection, dialect=SQLITE) -> None:
    """Both tables from scratch, in one pass over the orders each."""
    # The ranking index built once over the new rows, as a big import builds its own.
    rank = dialect.index_definitions(conn, ["customer_figures_rank"])
    for name, _ in rank:
        dialect.drop_index(conn, name)
    conn.execute("DELETE FROM customer_figures")
    conn.execute(_INSERT_CUSTOMERS + _CUSTOMER_SELECT.format(where=""))
    for _, sql in rank:
        conn.execute(sql)
    conn.execute("DELETE FROM customer_month_figures")
    conn.execute(_INSERT_CUSTOMER_MONTHS + _customer_months("", dialect))
    conn.execute("DELETE FROM month_figures")
    conn.execute(_INSERT_MONTHS + _MONTH_TOTALS.format(where=""))
    _forget_dirty(conn)


def _forget_dirty(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM figures_dirty_customers")
    conn.execute("DELETE FROM figures_dirty_months")


def suspend(conn: sqlite3.Connection, dialect=SQLITE) -> list[str]:
    """Drop the triggers for a bulk write inside the caller's transaction; returns
    their SQL for :func:`resume`. Until then the figures count as not current."""
    rows = dialect.trigger_definitions(conn, TRIGGERS)
    for name, _ in rows:
        dialect.drop_trigger(conn, name)
    return [sql for _, sql in rows]


def resume(conn: sqlite3.Connection, triggers: list[str], dialect=SQLITE) -> None:
    """Rebuild both tables and put the triggers :func:`suspend` dropped back."""
    rebuild(conn, dialect)
    for sql in triggers:
        conn.execute(sql)


def figures_current(db, as_of: date) -> bool:
    """Whether customer_figures and month_figures give the figures as of ``as_of``:
    nothing waits to be refreshed, the triggers are in place (not dropped by a bulk
    write under way) and no valid order is dated after ``as_of``."""
    conn = db.conn
    if _is_dirty(conn):
        return False
    if len(db.dialect.trigger_definitions(conn, TRIGGERS)) != len(TRIGGERS):
        return False
    later = conn.execute("SELECT EXISTS (SELECT 1 FROM orders WHERE order_date > ? "
                         "AND status = 'valid')", (as_of.isoformat(),)).fetchone()[0]
    return not later
