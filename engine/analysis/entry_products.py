"""Entry products (入口商品): which first purchase leads to loyal customers (SPEC §3).

For each product in customers' first orders: how many customers it brought in,
their F2 conversion (as in the KPIs: of those whose first purchase was at least
90 days before the as-of date, the share who bought a second time), and their
average purchase count and total amount since (first order included).
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from engine.analysis.kpi import F2_WAIT_DAYS
from engine.analysis.order_history import NUMBERED_ORDERS
from engine.store.database import Database
from engine.store.figures import FIRST_ORDER_ID, figures_current

ENTRY_COLUMNS = ["product_code", "product_name", "customers", "f2_conversion",
                 "average_purchase_count", "average_total_amount", "f2_base"]

ENTRY_LABELS = {
    "product_code": "商品コード", "product_name": "商品名", "customers": "初回購入顧客数",
    "f2_conversion": "F2転換率", "average_purchase_count": "平均購入回数",
    "average_total_amount": "平均累計購入額", "f2_base": "F2判定対象数"}


# Each customer's first order's products (a product without a code by its name).
_ENTRY = ("SELECT DISTINCT {first}.customer_id, l.product_code, "
          "CASE WHEN l.product_code = '' THEN l.product_name ELSE '' END AS name_key "
          "FROM {first} JOIN order_lines l ON l.order_id = {first}.order_id")
_SELECTED = ("SELECT e.product_code, e.name_key, p.purchase_count, p.total_amount, "
             "p.first_purchase FROM entries e JOIN per_customer p ON p.customer_id = e.customer_id")
# From the orders up to the as-of date, numbered in purchase order.
_FROM_ORDERS = f"""
    WITH {NUMBERED_ORDERS},
    per_customer AS (
        SELECT customer_id, count(*) AS purchase_count, sum(amount) AS total_amount,
               min(order_date) AS first_purchase
        FROM numbered GROUP BY customer_id),
    firsts AS (SELECT customer_id, order_id FROM numbered WHERE purchase_number = 1),
    entries AS ({_ENTRY.format(first="firsts")})
    {_SELECTED}"""
# The same from the summary table (current as of that date): each customer's
# figures and one seek for their first order, instead of numbering every order.
_FROM_FIGURES = f"""
    WITH per_customer AS (
        SELECT f.customer_id, f.purchase_count, f.total_amount, f.first_purchase,
               {FIRST_ORDER_ID} AS order_id
        FROM customer_figures f),
    entries AS ({_ENTRY.format(first="per_customer")})
    {_SELECTED}"""


def entry_products(db: Database, as_of: date) -> pd.DataFrame:
    """Columns ENTRY_COLUMNS (``f2_base`` = customers old enough to count for F2),
    most customers first. Lines without a product code are grouped by name."""
    sql = _FROM_FIGURES if figures_current(db, as_of) else _FROM_ORDERS
    frame = db.frame(sql, {"as_of": as_of.isoformat()})
    names = db.frame("SELECT code AS product_code, name AS catalogue_name FROM products")
    if frame.empty:
        return pd.DataFrame(columns=ENTRY_COLUMNS)
    waited = (pd.Timestamp(as_of) - pd.to_datetime(frame["first_purchase"])).dt.days
    frame["f2_base"] = (waited >= F2_WAIT_DAYS).astype("int64")
    frame["f2_converted"] = frame["f2_base"] * (frame["purchase_count"] >= 2)
    table = frame.groupby(["product_code", "name_key"], sort=False).agg(
        customers=("purchase_count", "size"),
        average_purchase_count=("purchase_count", "mean"),
        average_total_amount=("total_amount", "mean"),
        f2_base=("f2_base", "sum"),
        f2_converted=("f2_converted", "sum")).reset_index()
    table["f2_conversion"] = table["f2_converted"] / table["f2_base"].where(
        table["f2_base"] > 0, np.nan)
    table = table.merge(names, on="product_code", how="left")
    table["product_name"] = table["catalogue_name"].where(
        table["catalogue_name"].fillna("") != "", table["name_key"])
    table = table.sort_values(["customers", "product_code", "product_name"],
                              ascending=[False, True, True], kind="mergesort")
    return table[ENTRY_COLUMNS].reset_index(drop=True)
