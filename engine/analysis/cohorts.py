"""The time axis: customers by first-purchase month × months since (SPEC §3).

Each cell is the share of a cohort who bought again in that month, so new
acquisition (the cohort sizes), the repeat period and the drop-off read at a
glance. Month 0 is the first-purchase month itself: a second order within it
counts. Months after the as-of month are not known yet and are NaN, and so is
the as-of month itself until it is over: part of a month would read as a
drop-off (its cohort's size is still given, as counted so far).
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from engine.dates import month_complete, month_from_index, month_index, month_of
from engine.store.database import Database
from engine.store.figures import figures_current


def cohorts(db: Database, as_of: date) -> pd.DataFrame:
    """Columns ``cohort`` ("YYYY-MM"), ``customers`` (cohort size), then one integer
    column per months since, 0 … (as-of month − first cohort), values 0..1."""
    if figures_current(db, as_of):
        sizes, counts = _from_figures(db)
    else:
        sizes, counts = _from_orders(db, as_of)
    if sizes.empty:
        return pd.DataFrame(columns=["cohort", "customers"])
    last = month_index(month_of(as_of))
    span = last - sizes.index[0]
    counts = counts.reindex(index=sizes.index, columns=range(span + 1)).fillna(0)
    shares = counts.div(sizes, axis=0)
    # A cohort's month k lies after the last complete month when k > last − cohort.
    if not month_complete(month_of(as_of), as_of):
        last -= 1
    open_months = last - sizes.index.to_numpy()
    shares = shares.where(shares.columns.to_numpy()[None, :] <= open_months[:, None])
    table = pd.DataFrame({"cohort": [month_from_index(i) for i in sizes.index],
                          "customers": sizes.to_numpy()})
    table = table.join(shares.reset_index(drop=True))
    table.columns.name = None
    return table


def _from_orders(db: Database, as_of: date) -> tuple[pd.Series, pd.DataFrame]:
    """Cohort sizes (index: first month's number) and the customers buying again
    per cohort and months since, counted from the orders up to ``as_of``."""
    # One row per customer and month with orders: small next to the order table.
    active = db.frame(
        """
        SELECT o.customer_id, substr(o.order_date, 1, 7) AS month, count(*) AS orders
        FROM orders o JOIN customers c ON c.id = o.customer_id
        WHERE o.status = 'valid' AND o.order_date <= ? AND c.deleted_at IS NULL
        GROUP BY o.customer_id, month
        """, (as_of.isoformat(),))
    if active.empty:
        return pd.Series(dtype="int64"), pd.DataFrame()
    index = (active["month"].str[:4].astype("int64") * 12
             + active["month"].str[5:7].astype("int64") - 1)
    first = index.groupby(active["customer_id"]).transform("min")
    since = index - first
    # Bought again: any month after the first, or a second order in the first month.
    again = (since > 0) | (active["orders"] >= 2)
    sizes = first[since == 0].value_counts().sort_index()
    return sizes, pd.crosstab(first[again], since[again])


# A "YYYY-MM…" text's month as a number (year × 12 + month − 1), in SQL.
_MONTH_NUMBER = ("(CAST(substr({0}, 1, 4) AS INTEGER) * 12 "
                 "+ CAST(substr({0}, 6, 2) AS INTEGER) - 1)")


def _from_figures(db: Database) -> tuple[pd.Series, pd.DataFrame]:
    """The same from the summary tables (each customer's first purchase and their
    months with orders), counted in SQL: a few thousand cells come back, not a row
    per customer and month."""
    first = _MONTH_NUMBER.format("f.first_purchase")
    sizes = db.conn.execute(
        f"SELECT {first}, count(*) FROM customer_figures f GROUP BY 1 ORDER BY 1").fetchall()
    cells = db.conn.execute(
        f"""
        SELECT {first} AS cohort, {_MONTH_NUMBER.format("m.month")} - {first} AS since,
               count(*)
        FROM customer_month_figures m JOIN customer_figures f ON f.customer_id = m.customer_id
        WHERE m.month > substr(f.first_purchase, 1, 7) OR m.orders >= 2
        GROUP BY cohort, since
        """).fetchall()
    sized = pd.Series(dict(sizes), dtype="int64")
    sized.index = sized.index.astype("int64")
    counts = (pd.DataFrame(cells, columns=["cohort", "since", "customers"])
              .pivot(index="cohort", columns="since", values="customers"))
    return sized, counts
