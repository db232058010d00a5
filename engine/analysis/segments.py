"""Rank segments and clusters (SPEC §3): the configurable TOP percentages and
the per-cluster summary of customers and sales."""
from __future__ import annotations

from fractions import Fraction

import pandas as pd

from engine.analysis.rfm import CLUSTER_LABELS, CLUSTERS, DEFAULT_RANK_PERCENTAGES, \
    customer_metrics, top_size
from engine.dates import parse_day
from engine.errors import InvalidInputError
from engine.store.figures import figures_current

# The settings key shop.customers.table reads too, so both always agree.
PERCENTAGES_KEY = "rank_percentages"
SUMMARY_COLUMNS = ["cluster", "label", "customers", "sales", "share"]


class SegmentService:
    def __init__(self, shop):
        self.shop = shop
        self.db = shop.db

    def percentages(self) -> dict:
        """The TOP1/TOP10/TOP20 percentages in use, e.g. {"top1": 1, "top10": 10, "top20": 20}."""
        stored = self.shop.settings.get(PERCENTAGES_KEY) or {}
        return {name: stored.get(name, default)
                for name, default in DEFAULT_RANK_PERCENTAGES.items()}

    def set_percentages(self, percentages: dict) -> None:
        """Store new percentages; they must satisfy 0 < top1 ≤ top10 ≤ top20 ≤ 100."""
        values = {}
        for name in DEFAULT_RANK_PERCENTAGES:
            raw = percentages.get(name)
            try:
                if isinstance(raw, bool):
                    raise ValueError
                value = Fraction(str(raw).strip())
            except (ValueError, ZeroDivisionError):
                raise InvalidInputError(
                    f"{CLUSTER_LABELS[name]}の割合「{raw}」は数値ではありません。") from None
            values[name] = int(value) if value.denominator == 1 else float(value)
        top1, top10, top20 = (Fraction(str(values[n])) for n in ("top1", "top10", "top20"))
        if not 0 < top1 <= top10 <= top20 <= 100:
            raise InvalidInputError(
                "割合は 0 < TOP1% ≤ TOP10% ≤ TOP20% ≤ 100 となるように指定してください"
                f"（指定: {values['top1']} / {values['top10']} / {values['top20']}）。")
        self.shop.settings.set(PERCENTAGES_KEY, values)

    def metrics(self, as_of=None) -> pd.DataFrame:
        """rfm.customer_metrics with the stored percentages (best customers first)."""
        return customer_metrics(self.db, as_of, self.percentages())

    def summary(self, as_of=None) -> pd.DataFrame:
        """One row per cluster in rfm.CLUSTERS order: customers, sales (Σ total_amount)
        and share of all sales (0..1; 0 when there are no sales)."""
        as_of = parse_day(as_of)
        if figures_current(self.db, as_of):
            grouped = summary_from_figures(self.db, self.percentages())
        else:
            metrics = self.metrics(as_of)
            grouped = metrics.groupby("cluster").agg(
                customers=("customer_id", "size"), sales=("total_amount", "sum"))
        frame = grouped.reindex(list(CLUSTERS), fill_value=0).astype("int64")
        total = int(frame["sales"].sum())
        frame["share"] = frame["sales"] / total if total else 0.0
        frame = frame.rename_axis("cluster").reset_index()
        frame["label"] = frame["cluster"].map(CLUSTER_LABELS)
        return frame[SUMMARY_COLUMNS]


_RANKED = ("SELECT purchase_count, total_amount FROM customer_figures ORDER BY total_amount DESC, "
           "purchase_count DESC, last_purchase DESC, customer_id LIMIT ? OFFSET ?")


def summary_from_figures(db, percentages: dict) -> pd.DataFrame:
    """Customers and sales per cluster straight from customer_figures (current
    figures): TOP1/10/20 are slices of the rank index, the rest are counted by
    purchases — no frame of every customer (the dashboard on a five-year shop)."""
    conn = db.conn
    n = conn.execute("SELECT count(*) FROM customer_figures").fetchone()[0]
    rows, start = [], 0
    for name in ("top1", "top10", "top20"):
        end = top_size(n, percentages[name])
        customers, sales = conn.execute(
            f"SELECT count(*), coalesce(sum(total_amount), 0) FROM ({_RANKED}) AS ranked",
            (end - start, start)).fetchone()
        rows.append((name, customers, sales))
        start = end
    rows += conn.execute(
        "SELECT CASE WHEN purchase_count >= 4 THEN 'repeat4plus' WHEN purchase_count >= 2 "
        "THEN 'twice_thrice' ELSE 'once' END AS cluster, count(*), sum(total_amount) "
        f"FROM ({_RANKED}) AS ranked GROUP BY cluster", (db.dialect.limit(-1), start)).fetchall()
    return pd.DataFrame(rows, columns=["cluster", "customers", "sales"]).set_index("cluster")
