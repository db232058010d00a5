"""The shop's KPIs as of a date (SPEC §3) and new vs repeat sales by month."""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from engine.analysis.order_history import monthly_figures
from engine.dates import add_months, month_of
from engine.errors import InvalidInputError
from engine.store.database import Database

ACTIVE_DAYS = 365
# F2 conversion only counts customers who have had this long to come back.
F2_WAIT_DAYS = 90

KPI_LABELS = {
    "customers": "顧客数",
    "active_customers": "稼働顧客数（最終購入から365日以内）",
    "repeat_rate": "リピート率（2回以上購入）",
    "f2_conversion": "F2転換率（初回購入から90日以上）",
    "average_purchase_count": "平均購入回数",
    "average_order_value": "平均客単価（1注文あたり）",
    "ltv": "LTV（顧客あたり累計購入額）",
    "referral_count": "紹介数",
    "sales": "売上合計",
    "orders": "注文数",
}


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def kpis(metrics: pd.DataFrame, as_of: date) -> dict:
    """KPI name → value (keys of KPI_LABELS) from the per-customer figures as of
    ``as_of`` (rfm.METRIC_COLUMNS). Ratios are 0..1; a ratio or average
    over no customers is None. ``referral_count`` is None: the data model records
    no referrals (no export carries them), and 0 would claim a count was taken."""
    count = metrics["purchase_count"]
    customers = len(metrics)
    first = pd.to_datetime(metrics["first_purchase"])
    waited = (pd.Timestamp(as_of) - first).dt.days >= F2_WAIT_DAYS
    return _values(customers, int(count.sum()), int(metrics["total_amount"].sum()),
                   int((metrics["recency_days"] <= ACTIVE_DAYS).sum()), int((count >= 2).sum()),
                   int(waited.sum()), int((count[waited] >= 2).sum()))


def _values(customers: int, orders: int, sales: int, active: int, repeat: int, waited: int,
            converted: int) -> dict:
    """The KPIs from the counts and sums both ways of computing them share."""
    return {
        "customers": customers,
        "active_customers": active,
        "repeat_rate": _share(repeat, customers),
        "f2_conversion": _share(converted, waited),
        "average_purchase_count": _share(orders, customers),
        "average_order_value": _share(sales, orders),
        "ltv": _share(sales, customers),
        "referral_count": None,
        "sales": sales,
        "orders": orders,
    }


def kpis_from_figures(db: Database, as_of: date) -> dict:
    """``kpis`` from customer_figures in one aggregate, without building the
    per-customer frame; only when ``figures_current(db, as_of)`` (the caller checks).
    The same counts and sums as ``kpis`` takes from the frame, so the same values."""
    row = db.conn.execute(
        """
        SELECT count(*), coalesce(sum(purchase_count), 0), coalesce(sum(total_amount), 0),
               count(*) FILTER (WHERE last_purchase >= :active_from),
               count(*) FILTER (WHERE purchase_count >= 2),
               count(*) FILTER (WHERE first_purchase <= :waited_until),
               count(*) FILTER (WHERE first_purchase <= :waited_until AND purchase_count >= 2)
        FROM customer_figures
        """, {"active_from": (as_of - timedelta(days=ACTIVE_DAYS)).isoformat(),
              "waited_until": (as_of - timedelta(days=F2_WAIT_DAYS)).isoformat()}).fetchone()
    return _values(*row)


def monthly_sales(db: Database, as_of: date, months: int = 24) -> pd.DataFrame:
    """The ``months`` months up to and including the as-of month: month, complete
    (False while the month is not over), sales, new_sales, repeat_sales, orders, buyers."""
    if months < 1:
        raise InvalidInputError("月数は1以上で指定してください。")
    last = month_of(as_of)
    return monthly_figures(db, add_months(last, 1 - months), last, as_of)


def _display(key: str, value) -> str:
    if value is None:
        return "記録なし" if key == "referral_count" else "—"
    if key in ("repeat_rate", "f2_conversion"):
        return f"{value * 100:.1f}%"
    if key in ("average_order_value", "ltv", "sales"):
        return f"{round(value):,}円"
    if key == "average_purchase_count":
        return f"{value:.2f}回"
    if key in ("customers", "active_customers"):
        return f"{value:,}人"
    return f"{value:,}件"


def kpi_lines(values: dict) -> list[tuple[str, str]]:
    """(Japanese label, display text) per KPI, in KPI_LABELS order; rounding happens
    only here."""
    return [(label, _display(key, values[key])) for key, label in KPI_LABELS.items()]
