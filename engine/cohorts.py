"""The time axis: customers by first-purchase month × months since (SPEC §3).

Each cell is the share of a cohort who bought again in that month, so new
acquisition (the cohort sizes), the repeat period and the drop-off read at a
glance. Month 0 is the first-purchase month itself: a second order within it
counts. Months after the as-of month are not known yet and are NaN.
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from engine.database import Database
from engine.months import month_index, month_of
from engine.order_history import numbered_orders


def _month_number(column: str) -> str:
    """SQL: months since year 0 of a 'YYYY-MM-DD' column (see months.month_index)."""
    return (f"(CAST(substr({column}, 1, 4) AS INTEGER) * 12 "
            f"+ CAST(substr({column}, 6, 2) AS INTEGER) - 1)")


def cohorts(db: Database, as_of: date) -> pd.DataFrame:
    """Columns ``cohort`` ("YYYY-MM"), ``customers`` (cohort size), then one integer
    column per months since, 0 … (as-of month − first cohort), values 0..1."""
    params = {"as_of": as_of.isoformat()}
    with db.lock:
        sizes = pd.read_sql_query(
            f"""
            WITH {numbered_orders()}
            SELECT substr(order_date, 1, 7) AS cohort, count(*) AS customers
            FROM numbered WHERE purchase_number = 1 GROUP BY cohort ORDER BY cohort
            """, db.conn, params=params)
        again = pd.read_sql_query(
            f"""
            WITH {numbered_orders()},
            firsts AS (SELECT customer_id, order_date FROM numbered WHERE purchase_number = 1)
            SELECT substr(f.order_date, 1, 7) AS cohort,
                   {_month_number('n.order_date')} - {_month_number('f.order_date')} AS since,
                   count(DISTINCT n.customer_id) AS buyers
            FROM numbered n JOIN firsts f ON f.customer_id = n.customer_id
            WHERE n.purchase_number > 1
            GROUP BY cohort, since
            """, db.conn, params=params)
    if sizes.empty:
        return pd.DataFrame(columns=["cohort", "customers"])
    last = month_index(month_of(as_of))
    span = last - month_index(sizes["cohort"].iloc[0])
    counts = (again.pivot(index="cohort", columns="since", values="buyers")
              .reindex(index=sizes["cohort"], columns=range(span + 1)).fillna(0))
    shares = counts.div(sizes.set_index("cohort")["customers"], axis=0)
    # A cohort's month k lies after the as-of month when k > last − cohort.
    open_months = last - sizes["cohort"].map(month_index).to_numpy()
    shares = shares.where(shares.columns.to_numpy()[None, :] <= open_months[:, None])
    table = sizes.set_index("cohort").join(shares).reset_index()
    table.columns.name = None
    return table
