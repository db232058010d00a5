"""Valid orders numbered per customer, and monthly sales figures, straight from SQL.

Every report counts the same orders (SPEC §3): valid ones, on or before the
as-of date, of customers not deleted. An order's purchase number is how many of
its customer's valid orders came up to and including it, by order date, then
time of order, then id (the order imported first wins a tie).
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from engine.database import Database
from engine.months import month_span

# Far enough in the future to mean "no as-of cut-off".
NO_CUTOFF = "9999-12-31"


def numbered_orders(include_deleted: bool = False) -> str:
    """A ``WITH`` clause body named ``numbered`` (order_id, customer_id, order_date,
    amount, purchase_number); takes the named parameter ``:as_of``."""
    deleted = "" if include_deleted else "AND c.deleted_at IS NULL"
    return f"""
    numbered AS (
        SELECT o.id AS order_id, o.customer_id, o.order_date, o.amount,
               row_number() OVER (PARTITION BY o.customer_id
                                  ORDER BY o.order_date, o.ordered_at, o.id) AS purchase_number
        FROM orders o JOIN customers c ON c.id = o.customer_id
        WHERE o.status = 'valid' AND o.order_date <= :as_of {deleted}
    )"""


MONTHLY_COLUMNS = ["month", "sales", "new_sales", "repeat_sales", "orders", "buyers"]


def monthly_figures(db: Database, first_month: str, last_month: str,
                    as_of: date | None = None) -> pd.DataFrame:
    """One row per month from ``first_month`` to ``last_month`` (months without orders
    give zeros). An order is new when it is its customer's first valid order."""
    cutoff = as_of.isoformat() if as_of else NO_CUTOFF
    with db.lock:
        frame = pd.read_sql_query(
            f"""
            WITH {numbered_orders()}
            SELECT substr(order_date, 1, 7) AS month,
                   sum(amount) AS sales,
                   sum(CASE WHEN purchase_number = 1 THEN amount ELSE 0 END) AS new_sales,
                   sum(CASE WHEN purchase_number > 1 THEN amount ELSE 0 END) AS repeat_sales,
                   count(*) AS orders,
                   count(DISTINCT customer_id) AS buyers
            FROM numbered
            WHERE order_date >= :first AND order_date < :after
            GROUP BY month
            """, db.conn, params={"as_of": cutoff, "first": f"{first_month}-01",
                                  "after": f"{last_month}-32"})
    months = pd.DataFrame({"month": month_span(first_month, last_month)})
    frame = months.merge(frame, on="month", how="left")
    counts = MONTHLY_COLUMNS[1:]
    frame[counts] = frame[counts].fillna(0).astype("int64")
    return frame[MONTHLY_COLUMNS]
