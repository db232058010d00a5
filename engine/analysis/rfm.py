"""Per-customer RFM, rank segments and clusters as of a date (SPEC §3)."""
from __future__ import annotations

from datetime import date
from fractions import Fraction

import numpy as np
import pandas as pd

from engine.dates import parse_day
from engine.store.database import Database
from engine.store.figures import figures_current

DEFAULT_RANK_PERCENTAGES = {"top1": 1, "top10": 10, "top20": 20}
CLUSTERS = ("top1", "top10", "top20", "once", "twice_thrice", "repeat4plus")
CLUSTER_LABELS = {
    "top1": "TOP1%",
    "top10": "TOP10%",
    "top20": "TOP20%",
    "once": "1回購入",
    "twice_thrice": "2〜3回購入",
    "repeat4plus": "4回以上購入",
}

METRIC_COLUMNS = ["customer_id", "purchase_count", "total_amount", "first_purchase",
                  "last_purchase", "tenure_days", "recency_days", "segment", "cluster"]


def top_size(n: int, percentage) -> int:
    """⌈N·p⌉ in exact arithmetic (0.1·300 must be 30, not 31)."""
    numerator = n * Fraction(str(percentage))
    return int(-(-numerator // 100))


# The figures straight from the orders (an as-of date before the newest order).
_SCAN_SQL = """
    SELECT o.customer_id, count(*) AS purchase_count, sum(o.amount) AS total_amount,
           min(o.order_date) AS first_purchase, max(o.order_date) AS last_purchase
    FROM orders o JOIN customers c ON c.id = o.customer_id
    WHERE o.status = 'valid' AND o.order_date <= ? AND c.deleted_at IS NULL
    GROUP BY o.customer_id
"""


def customer_metrics(db: Database, as_of: date | str | None = None,
                     percentages: dict | None = None) -> pd.DataFrame:
    """One row per customer with at least one valid order on or before ``as_of``.

    Columns: METRIC_COLUMNS. Ranked by total_amount desc, purchase_count desc,
    last_purchase desc, customer id asc; the frame is returned in that order.
    Remembered until the database changes: the dashboard, the customer list and
    the segment tab each ask for the same figures.
    """
    as_of = parse_day(as_of)
    percentages = percentages or DEFAULT_RANK_PERCENTAGES
    key = ("customer_metrics", as_of.isoformat(), tuple(sorted(percentages.items())))
    return db.memo(key, lambda: _metrics(db, as_of, percentages)).copy()


def _metrics(db: Database, as_of: date, percentages: dict) -> pd.DataFrame:
    if figures_current(db, as_of):
        rows = db.conn.execute(
            "SELECT customer_id, purchase_count, total_amount, first_purchase, last_purchase "
            "FROM customer_figures").fetchall()
    else:
        rows = db.conn.execute(_SCAN_SQL, (as_of.isoformat(),)).fetchall()
    frame = pd.DataFrame.from_records(rows, columns=METRIC_COLUMNS[:5], nrows=len(rows))
    first = frame["first_purchase"].to_numpy(dtype="datetime64[D]")
    last = frame["last_purchase"].to_numpy(dtype="datetime64[D]")
    frame["tenure_days"] = (last - first).astype("int64")
    frame["recency_days"] = (np.datetime64(as_of, "D") - last).astype("int64")
    # Sorted as numbers (the last key first): dates as day numbers, not text.
    order = np.lexsort((frame["customer_id"].to_numpy(), -last.astype("int64"),
                        -frame["purchase_count"].to_numpy(), -frame["total_amount"].to_numpy()))
    frame = frame.take(order).reset_index(drop=True)
    n = len(frame)
    rank = np.arange(1, n + 1)
    segment = np.full(n, "", dtype=object)
    for name in ("top20", "top10", "top1"):  # tightest last so it wins
        segment[rank <= top_size(n, percentages[name])] = name
    count = frame["purchase_count"].to_numpy()
    cluster = np.where(count >= 4, "repeat4plus",
                       np.where(count >= 2, "twice_thrice", "once")).astype(object)
    cluster[segment != ""] = segment[segment != ""]
    frame["segment"] = segment
    frame["cluster"] = cluster
    return frame[METRIC_COLUMNS]
