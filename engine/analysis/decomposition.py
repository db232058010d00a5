"""Monthly sales decomposition: sales = buyers × orders per buyer × average order value.

Each factor gets its ratio to the same month a year earlier, and a month is
flagged when its sales beat last year's in it and in the month before (the
usual "two months running" sign that repeat sales are growing). A month not
over by the as-of date gets no ratio and no flag: half a month against a whole
one would read as a collapse. Values are kept
exact as floats (the three factors multiply back to sales to ~1e-15) and are only
rounded for display.
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from engine.analysis.order_history import monthly_figures
from engine.dates import add_months
from engine.errors import InvalidInputError
from engine.store.database import Database

DECOMPOSITION_COLUMNS = [
    "month", "complete", "sales", "buyers", "orders_per_buyer", "average_order_value",
    "sales_yoy", "buyers_yoy", "orders_per_buyer_yoy", "average_order_value_yoy",
    "beat_two_months"]

DECOMPOSITION_LABELS = {
    "month": "月", "complete": "集計済み", "sales": "売上", "buyers": "購入者数", "orders_per_buyer": "購入頻度",
    "average_order_value": "客単価", "sales_yoy": "売上前年比", "buyers_yoy": "購入者数前年比",
    "orders_per_buyer_yoy": "購入頻度前年比", "average_order_value_yoy": "客単価前年比",
    "beat_two_months": "2か月連続で前年超え"}

FACTORS = ["sales", "buyers", "orders_per_buyer", "average_order_value"]


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator / denominator, NaN where the denominator is 0 or missing."""
    denominator = denominator.astype("float64").where(denominator != 0)
    return numerator.astype("float64") / denominator


def decompose(db: Database, from_month: str, to_month: str, as_of: date) -> pd.DataFrame:
    """One row per month from ``from_month`` to ``to_month`` (inclusive, "YYYY-MM"),
    columns DECOMPOSITION_COLUMNS, counting orders up to ``as_of``.

    A factor's yoy is NaN when the same month a year earlier had no sales (a ratio
    to nothing says nothing) or when the month is not ``complete`` by ``as_of``;
    ``beat_two_months`` needs sales_yoy > 1 in this month and in the one before,
    which may lie before ``from_month``.
    """
    if to_month < from_month:
        raise InvalidInputError(f"期間の終わり（{to_month}）が始まり（{from_month}）より前です。")
    # 13 months earlier: last year's figures for the first month and the one before it.
    frame = monthly_figures(db, add_months(from_month, -13), to_month, as_of)
    frame["orders_per_buyer"] = _ratio(frame["orders"], frame["buyers"])
    frame["average_order_value"] = _ratio(frame["sales"], frame["orders"])
    year_ago = frame[FACTORS].shift(12)
    comparable = (year_ago["sales"] > 0) & frame["complete"]
    for factor in FACTORS:
        frame[f"{factor}_yoy"] = _ratio(frame[factor], year_ago[factor]).where(comparable)
    beat = (frame["sales_yoy"] > 1).to_numpy()
    frame["beat_two_months"] = beat & np.concatenate([[False], beat[:-1]])
    frame = frame[frame["month"] >= from_month].reset_index(drop=True)
    return frame[DECOMPOSITION_COLUMNS]


INCOMPLETE_MARK = "（集計中）"


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The decomposition rounded for a CSV or sheet: ratios to 4 places, yen to 2,
    the flag as 1/0, a month not over yet marked 「（集計中）」 (its ratios are
    blank). The exact values stay in ``decompose``'s frame."""
    shown = table.copy()
    shown["month"] = shown["month"].where(shown["complete"], shown["month"] + INCOMPLETE_MARK)
    shown = shown.drop(columns="complete")
    shown["average_order_value"] = shown["average_order_value"].round(2)
    ratios = ["orders_per_buyer"] + [c for c in DECOMPOSITION_COLUMNS if c.endswith("_yoy")]
    shown[ratios] = shown[ratios].round(4)
    shown["beat_two_months"] = shown["beat_two_months"].astype("int64")
    return shown
