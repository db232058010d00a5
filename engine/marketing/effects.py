"""Did it work? (効果検証) Each plan month's customers who got the plan against those
held out at random (holdout.py): who bought, and how much, in the weeks after.

A buyer is a customer with a valid order dated on or after the plan month's
first day and less than ``window`` days after it (days 0 … window−1), counted up
to ``as_of``. Both groups were drawn from the same customers by the same rule,
so the difference in their rates is what the plan did, give or take chance; the
95 % interval says how much chance:

- the difference of the two buying rates with Newcombe's hybrid score interval
  (his method 10: Wilson intervals of each rate, combined), which keeps close to
  its 95 % even for the small groups and rates near 0 of a small shop, where the
  textbook Wald interval does not;
- sales per customer with Welch's interval for a difference of means.

When the interval spans zero the verdict is 「まだ判断できません」 with about how
many more customers the plan would need for the difference seen so far to show
(a two-sided 5 % test with 80 % power at the plan's own treated:held-out ratio).
Costs per medium (settings) turn the extra orders into a cost per extra order.
"""
from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pandas as pd

from engine.analysis.rfm import CLUSTER_LABELS
from engine.customers.touches import MEDIA, MEDIUM_LABELS
from engine.dates import first_day, parse_day, parse_month
from engine.errors import InvalidInputError

Z95 = 1.959963984540054
Z_POWER80 = 0.8416212335729143
DEFAULT_WINDOW = 60
COST_SETTING = "effects.cost_per_medium"
# Yen per touch: a postcard DM (84 yen postage plus printing), an insert, a
# call's staff time, an e-mail. The shop sets its own.
DEFAULT_COSTS = {"dm": 100, "insert": 20, "phone": 150, "email": 1}
COLUMNS = ["group", "treated", "treated_buyers", "control", "control_buyers", "treated_rate",
           "control_rate", "lift", "lift_low", "lift_high", "sales_per_treated",
           "sales_per_control", "verdict"]
EXTRA_COLUMNS = ["label", "sales_diff_low", "sales_diff_high", "extra_orders", "cost",
                 "cost_per_extra_order", "window_complete"]
UNDECIDED = "まだ判断できません"
UNFINISHED = "集計期間の途中"


def wilson(buyers: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval for a proportion."""
    if n == 0:
        return 0.0, 1.0
    p = buyers / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def newcombe(b1: int, n1: int, b0: int, n0: int, z: float = Z95
             ) -> tuple[float, float, float]:
    """(p1 − p0, low, high): Newcombe's hybrid score interval for a difference of
    two independent proportions (Newcombe 1998, method 10)."""
    p1, p0 = b1 / n1, b0 / n0
    l1, u1 = wilson(b1, n1, z)
    l0, u0 = wilson(b0, n0, z)
    d = p1 - p0
    return (d, d - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2),
            d + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2))


def welch(x1: np.ndarray, x0: np.ndarray, z: float = Z95) -> tuple[float, float, float]:
    """(mean difference, low, high) with Welch's standard error (normal quantile:
    the groups here are tens of customers or more)."""
    d = float(x1.mean() - x0.mean())
    if len(x1) < 2 or len(x0) < 2:
        return d, -math.inf, math.inf
    se = math.sqrt(x1.var(ddof=1) / len(x1) + x0.var(ddof=1) / len(x0))
    return d, d - z * se, d + z * se


def more_needed(p1: float, p0: float, n1: int, n0: int) -> int | None:
    """About how many more targeted customers (both groups, same ratio) would show a
    difference of p1 − p0; None when there is no difference to show."""
    d = p1 - p0
    if d == 0 or n0 == 0:
        return None
    ratio = n1 / n0
    control = (Z95 + Z_POWER80) ** 2 * (p1 * (1 - p1) / ratio + p0 * (1 - p0)) / (d * d)
    return max(0, math.ceil(control * (1 + ratio)) - (n1 + n0))


def verdict(b1: int, n1: int, b0: int, n0: int, low: float, high: float) -> str:
    if n1 == 0:
        return "計画どおりにフォローしたお客様がいないため判断できません"
    if n0 == 0:
        return "比較用のお客様がいないため判断できません"
    if low > 0:
        return "効果あり"
    if high < 0:
        return "逆効果の可能性あり"
    more = more_needed(b1 / n1, b0 / n0, n1, n0)
    if more is None:
        return f"{UNDECIDED}（差が見られません）"
    return f"{UNDECIDED}（同じ差が続けば、あと約{more:,}人で判断できます）"


def mark_unfinished(text: str) -> str:
    """The verdict with the note that the window is not over yet."""
    return text[:-1] + f"・{UNFINISHED}）" if text.endswith("）") else text + f"（{UNFINISHED}）"


def unmarked(text: str) -> str:
    """The verdict without that note (a screen that says it once for all rows)."""
    return text.replace(f"・{UNFINISHED}）", "）").removesuffix(f"（{UNFINISHED}）")


def compare(treated: pd.DataFrame, control: pd.DataFrame) -> dict:
    """One row of the report from per-customer frames with ``bought`` (0/1),
    ``orders`` and ``sales`` in the window."""
    n1, n0 = len(treated), len(control)
    b1, b0 = int(treated["bought"].sum()), int(control["bought"].sum())
    row = {"treated": n1, "treated_buyers": b1, "control": n0, "control_buyers": b0,
           "treated_rate": b1 / n1 if n1 else None, "control_rate": b0 / n0 if n0 else None,
           "lift": None, "lift_low": None, "lift_high": None,
           "sales_per_treated": treated["sales"].mean() if n1 else None,
           "sales_per_control": control["sales"].mean() if n0 else None,
           "sales_diff_low": None, "sales_diff_high": None, "extra_orders": None}
    if n1 and n0:
        row["lift"], row["lift_low"], row["lift_high"] = newcombe(b1, n1, b0, n0)
        _, row["sales_diff_low"], row["sales_diff_high"] = welch(
            treated["sales"].to_numpy(float), control["sales"].to_numpy(float))
        row["extra_orders"] = (treated["orders"].mean() - control["orders"].mean()) * n1
    row["verdict"] = verdict(b1, n1, b0, n0, row["lift_low"] if n1 and n0 else 0,
                             row["lift_high"] if n1 and n0 else 0)
    return row


class EffectService:
    def __init__(self, shop):
        self.shop = shop
        self.db = shop.db

    def costs(self) -> dict[str, int]:
        return {**DEFAULT_COSTS, **(self.shop.settings.get(COST_SETTING) or {})}

    def set_costs(self, **yen: int) -> None:
        costs = self.costs()
        for medium, value in yen.items():
            if medium not in MEDIA:
                raise InvalidInputError(f"費用を決められる手段は {', '.join(MEDIA)} です（「{medium}」）。")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise InvalidInputError(f"{MEDIUM_LABELS[medium]}1件の費用は0円以上の数にしてください。")
            costs[medium] = value
        self.shop.settings.set(COST_SETTING, costs)

    def insert_ab(self, window: int = 90, as_of: date | str | None = None) -> pd.DataFrame:
        """The count program's insert A/B comparison (see :func:`insert_ab`)."""
        return insert_ab(self.shop, window, as_of)

    def months(self) -> list[str]:
        """Plan months with a comparison group, newest first."""
        return [r["month"] for r in self.db.query(
            "SELECT DISTINCT month FROM followup_targets WHERE held_out = 1 ORDER BY month DESC")]

    def outcomes(self, months: list[str], window: int = DEFAULT_WINDOW,
                 as_of: date | str | None = None) -> pd.DataFrame:
        """One row per targeted customer and month: month, customer_id, cluster, rule,
        media, held_out, bought, orders, sales (in the window, up to ``as_of``), cost."""
        keys = [parse_month(m) for m in months]
        if window < 1:
            raise InvalidInputError("集計する期間は1日以上にしてください。")
        last = parse_day(as_of, "基準日").isoformat()
        costs = self.costs()
        cost_sql = "CASE t.medium " + " ".join(
            f"WHEN '{m}' THEN {float(costs[m])}" for m in MEDIA) + " ELSE 0 END"
        dialect = self.db.dialect
        listed, param = dialect.in_list("g.month", keys)
        return self.db.frame(
            f"""
            WITH g AS (
              SELECT g.month, g.customer_id, g.cluster, g.rule, g.media, g.held_out,
                     g.month || '-01' AS start_day,
                     {dialect.day_after("g.month || '-01'", window)} AS end_day
              FROM followup_targets g WHERE {listed})
            SELECT g.month, g.customer_id, g.cluster, g.rule, g.media, g.held_out,
                   count(o.id) AS orders, coalesce(sum(o.amount), 0) AS sales,
                   (SELECT coalesce(sum({cost_sql}), 0) FROM followup_tasks t
                    WHERE t.month = g.month AND t.customer_id = g.customer_id
                    AND t.status = 'done') AS cost
            FROM g LEFT JOIN orders o ON o.customer_id = g.customer_id
                 AND o.status = 'valid' AND o.order_date >= g.start_day
                 AND o.order_date < g.end_day AND o.order_date <= ?
            GROUP BY g.month, g.customer_id, g.cluster, g.rule, g.media, g.held_out
            ORDER BY g.month, g.customer_id
            """, (param, last)).assign(
            bought=lambda f: (f["orders"] > 0).astype(int))

    def report(self, months, window: int = DEFAULT_WINDOW,
               as_of: date | str | None = None) -> pd.DataFrame:
        """The effect of the plans of ``months`` (one month or several, pooled): a row
        ``all``, then one per rule, medium and cluster (COLUMNS + EXTRA_COLUMNS)."""
        months = [months] if isinstance(months, str) else list(months)
        if not months:
            raise InvalidInputError("効果を見る計画の月を選んでください。")
        frame = self.outcomes(months, window, as_of)
        day = parse_day(as_of, "基準日")
        complete = all(first_day(parse_month(m)) + timedelta(days=window - 1) <= day
                       for m in months)
        groups = [("all", "全体", frame)]
        groups += [(f"rule:{r}", r, g) for r, g in frame.groupby("rule", sort=True)]
        for medium in MEDIA:
            part = frame.loc[("," + frame["media"] + ",").str.contains(f",{medium},",
                                                                         regex=False)]
            if len(part):
                groups.append((f"medium:{medium}", MEDIUM_LABELS[medium], part))
        groups += [(f"cluster:{c}", CLUSTER_LABELS.get(c, c), g)
                   for c, g in frame.groupby("cluster", sort=True)]
        rows = []
        for key, label, part in groups:
            treated, control = part.loc[part["held_out"] == 0], part.loc[part["held_out"] == 1]
            row = {"group": key, "label": label, **compare(treated, control)}
            row["cost"] = float(treated["cost"].sum())
            extra = row["extra_orders"]
            # No cost recorded (no touch checked off yet) is unknown, not free.
            row["cost_per_extra_order"] = (row["cost"] / extra if row["cost"] and extra
                                           and extra > 0 else None)
            row["window_complete"] = complete
            if not complete:
                row["verdict"] = mark_unfinished(row["verdict"])
            rows.append(row)
        return pd.DataFrame(rows, columns=COLUMNS + EXTRA_COLUMNS)


AB_COLUMNS = ["purchase_number", "insert_a", "insert_b", "customers_a", "buyers_a",
              "customers_b", "buyers_b", "rate_a", "rate_b", "diff", "diff_low", "diff_high",
              "verdict"]


def insert_ab(shop, window: int = 90, as_of: date | str | None = None) -> pd.DataFrame:
    """Insert A/B of the count program: for each purchase number with two inserts,
    the customers whose parcel got each (the insert touches logged when parcels
    were packed) and the share who ordered again within ``window`` days after it;
    the difference B − A with Newcombe's interval (AB_COLUMNS)."""
    rules = [r for r in shop.count_program.rules() if r["insert_b"]]
    last = parse_day(as_of, "基準日").isoformat()
    rows = []
    for rule in rules:
        frame = shop.db.frame(
            f"""
            WITH first_touch AS (
              SELECT customer_id, action, min(touched_on) AS day FROM touches
              WHERE medium = 'insert' AND source = 'inserts' AND action IN (?, ?)
              GROUP BY customer_id, action)
            SELECT f.customer_id, f.action,
                   EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = f.customer_id
                           AND o.status = 'valid' AND o.order_date > f.day
                           AND o.order_date <= {shop.db.dialect.day_after("f.day", window)}
                           AND o.order_date <= ?) AS bought
            FROM first_touch f
            """, (rule["insert_name"], rule["insert_b"], last))
        a = frame.loc[frame["action"] == rule["insert_name"], "bought"]
        b = frame.loc[frame["action"] == rule["insert_b"], "bought"]
        na, nb, ba, bb = len(a), len(b), int(a.sum()), int(b.sum())
        row = {"purchase_number": rule["purchase_number"], "insert_a": rule["insert_name"],
               "insert_b": rule["insert_b"], "customers_a": na, "buyers_a": ba,
               "customers_b": nb, "buyers_b": bb, "rate_a": ba / na if na else None,
               "rate_b": bb / nb if nb else None, "diff": None, "diff_low": None,
               "diff_high": None}
        if na and nb:
            row["diff"], row["diff_low"], row["diff_high"] = newcombe(bb, nb, ba, na)
            low, high = row["diff_low"], row["diff_high"]
            row["verdict"] = ("Bのほうが効果あり" if low > 0 else "Aのほうが効果あり" if high < 0
                              else verdict(bb, nb, ba, na, low, high))
        else:
            row["verdict"] = "まだ配っていないため判断できません"
        rows.append(row)
    return pd.DataFrame(rows, columns=AB_COLUMNS)
