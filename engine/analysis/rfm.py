"""Per-customer RFM, rank segments and clusters as of a date (SPEC §3)."""
from __future__ import annotations

from datetime import date
from fractions import Fraction

import numpy as np
import pandas as pd
import pyarrow as pa

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

_NAMES = ("", *CLUSTERS)
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
_FIGURES_SQL = ("SELECT customer_id, purchase_count, total_amount, first_purchase, last_purchase "
                "FROM customer_figures")
# The figures come back as one comma-separated text per column, dates as day numbers
# (since 1970-01-01): a Python tuple per customer took most of the time (1M-line
# shop, 331k customers: 0.45 s of 0.7 s; this way 0.13 s).
def _columns_sql(dialect, source: str) -> str:
    """``source``'s five columns as five comma-separated texts (in one row order)."""
    day = dialect.unix_day
    texts = ["customer_id", "purchase_count", "total_amount", day("first_purchase"),
             day("last_purchase")]
    return ("SELECT " + ", ".join(dialect.group_concat(t, order="customer_id") for t in texts)
            + f" FROM ({source}) AS figures")


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
    source = _FIGURES_SQL if figures_current(db, as_of) else _SCAN_SQL
    params = () if source is _FIGURES_SQL else (as_of.isoformat(),)
    ids, count, total, first, last = (
        np.fromstring(text or "", sep=",", dtype=np.int64)
        for text in db.conn.execute(_columns_sql(db.dialect, source), params).fetchone())
    # Sorted as numbers (the last key first): dates as day numbers, not text.
    order = np.lexsort((ids, -last, -count, -total))
    ids, count, total, first, last = (c[order] for c in (ids, count, total, first, last))
    # Codes into _NAMES ("" and CLUSTERS); the rank segments are the first rows.
    segment = np.zeros(len(ids), dtype=np.int8)
    for name in ("top20", "top10", "top1"):  # tightest last so it wins
        segment[:top_size(len(ids), percentages[name])] = _NAMES.index(name)
    cluster = np.where(segment != 0, segment, np.where(
        count >= 4, _NAMES.index("repeat4plus"),
        np.where(count >= 2, _NAMES.index("twice_thrice"), _NAMES.index("once")))).astype(np.int8)
    return pd.DataFrame({
        "customer_id": ids, "purchase_count": count, "total_amount": total,
        "first_purchase": _day_texts(first), "last_purchase": _day_texts(last),
        "tenure_days": last - first,
        "recency_days": (np.datetime64(as_of, "D").astype("int64") - last),
        "segment": _texts(segment), "cluster": _texts(cluster)},
        columns=METRIC_COLUMNS)


def _texts(codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Codes into _NAMES as text (built in C by Arrow from the seven names)."""
    return pd.array(pa.DictionaryArray.from_arrays(codes, _NAMES).cast(pa.string()), dtype="str")


def _day_texts(days: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Day numbers as the YYYY-MM-DD text the orders store (formatted in C by Arrow)."""
    return pd.array(pa.array(days.astype("int32"), pa.date32()).cast(pa.string()), dtype="str")
