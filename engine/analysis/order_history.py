"""Valid orders numbered per customer, and monthly sales figures, straight from SQL.

Every report counts the same orders (SPEC §3): valid ones, on or before the
as-of date, of customers not deleted. An order's purchase number is how many of
its customer's valid orders came up to and including it, by order date, then
time of order, then id (the order imported first wins a tie).
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from engine.dates import month_complete, month_span
from engine.store.database import Database
from engine.store.figures import figures_current

# A ``WITH`` clause body named ``numbered`` (order_id, customer_id, order_date, amount,
# purchase_number) taking the named parameter ``:as_of``: numbers every order in one
# pass, for reports over all customers.
NUMBERED_ORDERS = """
    numbered AS (
        SELECT o.id AS order_id, o.customer_id, o.order_date, o.amount,
               row_number() OVER (PARTITION BY o.customer_id
                                  ORDER BY o.order_date, o.ordered_at, o.id) AS purchase_number
        FROM orders o JOIN customers c ON c.id = o.customer_id
        WHERE o.status = 'valid' AND o.order_date <= :as_of AND c.deleted_at IS NULL
    )"""


# The same customer's valid orders before order ``o`` in purchase order; a
# correlated subquery that the (customer_id, order_date) index answers with one
# seek, so numbering a few orders never scans the whole history.
_EARLIER_ORDERS = ("FROM orders p WHERE p.customer_id = o.customer_id AND p.status = 'valid' "
                   "AND (p.order_date, p.ordered_at, p.id) < (o.order_date, o.ordered_at, o.id)")
# SQL: order ``o``'s purchase number, and whether it is its customer's first valid order.
PURCHASE_NUMBER = f"(1 + (SELECT count(*) {_EARLIER_ORDERS}))"
IS_FIRST_ORDER = f"(NOT EXISTS (SELECT 1 {_EARLIER_ORDERS}))"

MONTHLY_COLUMNS = ["month", "complete", "sales", "new_sales", "repeat_sales", "orders",
                   "buyers"]


def monthly_figures(db: Database, first_month: str, last_month: str,
                    as_of: date) -> pd.DataFrame:
    """One row per month from ``first_month`` to ``last_month`` (months without orders
    give zeros), counting orders up to ``as_of``. An order is new when it is its
    customer's first valid order. ``complete`` is False for a month not over by
    ``as_of`` (see ``engine.dates.month_complete``): its figures are still growing."""
    if figures_current(db, as_of):
        frame = db.frame(
            "SELECT month, sales, new_sales, orders, buyers FROM month_figures "
            "WHERE month BETWEEN ? AND ?", (first_month, last_month))
    else:
        frame = _scan_months(db, first_month, last_month, as_of)
    frame["repeat_sales"] = frame["sales"] - frame["new_sales"]
    months = pd.DataFrame({"month": month_span(first_month, last_month)})
    frame = months.merge(frame, on="month", how="left")
    counts = MONTHLY_COLUMNS[2:]
    frame[counts] = frame[counts].fillna(0).astype("int64")
    frame["complete"] = [month_complete(month, as_of) for month in frame["month"]]
    return frame[MONTHLY_COLUMNS]


def _scan_months(db: Database, first_month: str, last_month: str,
                 as_of: date) -> pd.DataFrame:
    """The months' figures straight from the orders (an as-of date before the newest order)."""
    return db.frame(
        f"""
        SELECT substr(o.order_date, 1, 7) AS month,
               sum(o.amount) AS sales,
               sum(CASE WHEN {IS_FIRST_ORDER} THEN o.amount ELSE 0 END) AS new_sales,
               count(*) AS orders,
               count(DISTINCT o.customer_id) AS buyers
        FROM orders o JOIN customers c ON c.id = o.customer_id
        WHERE o.status = 'valid' AND c.deleted_at IS NULL
          AND o.order_date >= :first AND o.order_date < :after AND o.order_date <= :as_of
        GROUP BY month
        """, {"as_of": as_of.isoformat(), "first": f"{first_month}-01",
              "after": f"{last_month}-32"})


def newest_order_date(db: Database) -> date | None:
    """The date of the newest valid order (None without any): tells whether the
    monthly import is overdue."""
    newest = db.scalar("SELECT max(order_date) FROM orders WHERE status = 'valid'")
    return date.fromisoformat(newest) if newest else None
