"""Summary tables kept current: per-customer and per-month figures (issue 19).

``customer_figures`` holds, per customer not deleted with a valid order, what
``rfm`` computes from all their valid orders; ``month_figures`` per calendar month
(YYYY-MM of order_date) the sales, orders and buyers of those customers, and the
sales and count of first orders (new_sales, new_buyers: repeat sales are sales −
new_sales, returning buyers buyers − new_buyers). Cohorts (which months each
customer came back in) are not kept: a returning customer would touch every
cohort's row. Triggers in the schema (migration 12) note every change that moves a
figure — an order inserted, deleted, or changed in status, amount, date, time or
customer; a customer deleted or brought back — as dirty customers and months.
``Database.transaction`` calls :func:`refresh` just before COMMIT, which recomputes
only those from the orders, so the tables change in the same transaction as the
orders do. A big import (and a copy into a new file) drops the triggers and
rebuilds both tables in one pass at its end instead (:func:`suspend`,
:func:`rebuild`, :func:`resume`).

Readers ask :func:`figures_current` first: nothing dirty, the triggers in place
and no valid order after the as-of date (then the all-time figures are the
as-of figures); otherwise they scan the orders as before.
"""
from __future__ import annotations

import json
import sqlite3
from datetime import date

TRIGGERS: tuple[str, ...] = ("figures_order_insert", "figures_order_delete",
                             "figures_order_update", "figures_customer_deleted",
                             "figures_customer_removed")
# Above this share of the months dirty, a refresh recomputes every month at once.
WHOLE_MONTHS_SHARE = 0.5
# In figures_dirty_months: everything is to be rebuilt (the migration that made the tables).
EVERYTHING = "*"

# An order ``o`` is its customer's first valid order (order_history.IS_FIRST_ORDER):
# on the first purchase day ``f.first_purchase``, and no valid order of that day
# came before it by time of order, then id.
_IS_FIRST = ("(o.order_date = f.first_purchase AND NOT EXISTS ("
             "SELECT 1 FROM orders p WHERE p.customer_id = o.customer_id AND p.status = 'valid' "
             "AND p.order_date = o.order_date AND (p.ordered_at, p.id) < (o.ordered_at, o.id)))")

_CUSTOMER_SELECT = (
    "SELECT o.customer_id, count(*), sum(o.amount), min(o.order_date), max(o.order_date) "
    "FROM orders o JOIN customers c ON c.id = o.customer_id "
    "WHERE o.status = 'valid' AND c.deleted_at IS NULL {where} GROUP BY o.customer_id")

# Joining customer_figures (already current) keeps exactly the valid orders of
# customers not deleted, and gives each customer's first purchase day. The
# subquery's LIMIT keeps SQLite from flattening it, which would evaluate the
# first-order test twice per order; ``+o.status`` keeps the planner from building
# a throwaway index on status instead of reading a month through orders_date.
_MONTH_SELECT = (
    "SELECT month, sum(amount), count(*), count(DISTINCT customer_id), "
    "sum(CASE WHEN first THEN amount ELSE 0 END), sum(first) FROM ("
    f"SELECT substr(o.order_date, 1, 7) AS month, o.amount, o.customer_id, {_IS_FIRST} AS first "
    "FROM {source} JOIN customer_figures f ON f.customer_id = o.customer_id "
    "WHERE +o.status = 'valid' LIMIT -1) GROUP BY month")

# All months at once (a rebuild): the totals in one pass over the orders, and the
# first orders as one seek per customer on their first purchase day, which is
# twice as fast over a whole shop as testing every order.
_ALL_MONTHS_SELECT = """
    SELECT t.month, t.sales, t.orders, t.buyers, coalesce(n.new_sales, 0),
           coalesce(n.new_buyers, 0)
    FROM (SELECT substr(o.order_date, 1, 7) AS month, sum(o.amount) AS sales,
                 count(*) AS orders, count(DISTINCT o.customer_id) AS buyers
          FROM orders o JOIN customer_figures f ON f.customer_id = o.customer_id
          WHERE o.status = 'valid' GROUP BY month) t
    LEFT JOIN (SELECT substr(f.first_purchase, 1, 7) AS month, count(*) AS new_buyers,
                      sum((SELECT o.amount FROM orders o
                           WHERE o.customer_id = f.customer_id AND o.status = 'valid'
                             AND o.order_date = f.first_purchase
                           ORDER BY o.ordered_at, o.id LIMIT 1)) AS new_sales
               FROM customer_figures f GROUP BY month) n ON n.month = t.month
"""

_INSERT_CUSTOMERS = ("INSERT INTO customer_figures (customer_id, purchase_count, total_amount, "
                     "first_purchase, last_purchase) ")
_INSERT_MONTHS = ("INSERT INTO month_figures (month, sales, orders, buyers, new_sales, "
                  "new_buyers) ")

_FIRST_MONTHS = ("SELECT customer_id, substr(first_purchase, 1, 7) FROM customer_figures "
                 "WHERE customer_id IN (SELECT customer_id FROM figures_dirty_customers)")


def _is_dirty(conn: sqlite3.Connection) -> bool:
    return conn.execute(
        "SELECT EXISTS (SELECT 1 FROM figures_dirty_customers) "
        "OR EXISTS (SELECT 1 FROM figures_dirty_months)").fetchone()[0] == 1


def refresh(conn: sqlite3.Connection) -> None:
    """Bring the dirty customers' and months' figures up to date from the orders
    and forget them (called inside the write transaction, before COMMIT)."""
    if not _is_dirty(conn):
        return
    if conn.execute("SELECT 1 FROM figures_dirty_months WHERE month = ?",
                    (EVERYTHING,)).fetchone():
        rebuild(conn)
        return
    before = dict(conn.execute(_FIRST_MONTHS).fetchall())
    conn.execute("DELETE FROM customer_figures WHERE customer_id IN "
                 "(SELECT customer_id FROM figures_dirty_customers)")
    conn.execute(_INSERT_CUSTOMERS + _CUSTOMER_SELECT.format(
        where="AND o.customer_id IN (SELECT customer_id FROM figures_dirty_customers)"))
    after = dict(conn.execute(_FIRST_MONTHS).fetchall())
    # A first purchase that moved to another month (or came or went) changes the
    # first orders of the month it left and of the month it went to. Within one
    # month, the order that changed marked it already.
    moved = {month for customer in before.keys() | after.keys()
             if before.get(customer) != after.get(customer)
             for month in (before.get(customer), after.get(customer)) if month is not None}
    conn.executemany("INSERT OR IGNORE INTO figures_dirty_months (month) VALUES (?)",
                     [(month,) for month in sorted(moved)])
    dirty, kept = conn.execute("SELECT (SELECT count(*) FROM figures_dirty_months), "
                               "(SELECT count(*) FROM month_figures)").fetchone()
    if dirty > kept * WHOLE_MONTHS_SHARE:
        # Merges of long-standing customers touch most months: one pass over every
        # order is then cheaper than month by month (1M-line shop: 0.65 s, not 1.2 s).
        conn.execute("DELETE FROM month_figures")
        conn.execute(_INSERT_MONTHS + _ALL_MONTHS_SELECT)
    else:
        conn.execute("DELETE FROM month_figures WHERE month IN "
                     "(SELECT month FROM figures_dirty_months)")
        # Each dirty month's orders through the order_date index.
        conn.execute(_INSERT_MONTHS + _MONTH_SELECT.format(
            source="figures_dirty_months d CROSS JOIN orders o "
                   "ON o.order_date >= d.month || '-01' AND o.order_date < d.month || '-32'"))
    _forget_dirty(conn)


def rebuild(conn: sqlite3.Connection) -> None:
    """Both tables from scratch, in one pass over the orders each."""
    # The ranking index built once over the new rows, as a big import builds its own.
    rank = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'index' "
                        "AND name = 'customer_figures_rank'").fetchone()
    if rank is not None:
        conn.execute("DROP INDEX customer_figures_rank")
    conn.execute("DELETE FROM customer_figures")
    conn.execute(_INSERT_CUSTOMERS + _CUSTOMER_SELECT.format(where=""))
    if rank is not None:
        conn.execute(rank[0])
    conn.execute("DELETE FROM month_figures")
    conn.execute(_INSERT_MONTHS + _ALL_MONTHS_SELECT)
    _forget_dirty(conn)


def _forget_dirty(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM figures_dirty_customers")
    conn.execute("DELETE FROM figures_dirty_months")


def suspend(conn: sqlite3.Connection) -> list[str]:
    """Drop the triggers for a bulk write inside the caller's transaction; returns
    their SQL for :func:`resume`. Until then the figures count as not current."""
    rows = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
        "AND name IN (SELECT value FROM json_each(?))", (json.dumps(TRIGGERS),)).fetchall()
    for name, _ in rows:
        conn.execute(f"DROP TRIGGER {name}")
    return [sql for _, sql in rows]


def resume(conn: sqlite3.Connection, triggers: list[str]) -> None:
    """Rebuild both tables and put the triggers :func:`suspend` dropped back."""
    rebuild(conn)
    for sql in triggers:
        conn.execute(sql)


def figures_current(db, as_of: date) -> bool:
    """Whether customer_figures and month_figures give the figures as of ``as_of``:
    nothing waits to be refreshed, the triggers are in place (not dropped by a bulk
    write under way) and no valid order is dated after ``as_of``."""
    conn = db.conn
    if _is_dirty(conn):
        return False
    triggers = conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
        "AND name IN (SELECT value FROM json_each(?))", (json.dumps(TRIGGERS),)).fetchone()[0]
    if triggers != len(TRIGGERS):
        return False
    later = conn.execute("SELECT EXISTS (SELECT 1 FROM orders WHERE order_date > ? "
                         "AND status = 'valid')", (as_of.isoformat(),)).fetchone()[0]
    return not later
