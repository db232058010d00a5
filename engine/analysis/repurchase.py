"""Repurchase patterns learned from the orders: each product's purchase cycle, and
what customers buy with it and next (何と何を一緒に買ったか).

Everything works on *visits*: a customer's valid orders of one day taken together
(two orders on one day are one purchase, as for the due targets), and a visit's
next visit is the same customer's next purchase day. Orders are those every report
counts: valid, on or before the as-of date, of customers not deleted.

Which interval belongs to which product. The days from a visit to the next visit
are credited to a product only when it was the only product of the visit (a line
without a product code counts as another product). Crediting every product of a
mixed visit would give a 90-day product the reorder its 30-day companion caused;
crediting only the next visit that holds the same product again would skip the
customer who switched to another size or flavour, and stretch the cycle of one
who bought it every other time. In the simulated shop of tests/support/cycle_shop.py
(cycles of 14 to 90 days, a product of another cycle added to one visit in three,
three in five customers never back) this recovers every cycle within 2 %, where
crediting every visit gives the 90-day product 79 days and the 60-day one 57.

Only customers who came back give an interval, so the median answers "after how
many days do those who reorder, reorder": the day a reminder should arrive.
``reorder_share`` says how many of the product's buyers that is. (A Kaplan–Meier
median over every buyer mixes in those who never return, and overshoots.) Right
after a purchase nobody has had time to come back yet, so the newest intervals
are missing their long tail; with a few years of history that is small.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from engine.store.database import Database

# Below this many intervals a median is a guess: no suggestion.
MIN_REPURCHASES = 5
# Pairs seen with fewer customers are coincidence at a small shop's scale.
MIN_PAIR_CUSTOMERS = 3
# The products listed per product in the pair tables.
TOP_PAIRS = 10
CYCLE_COLUMNS = ["product_code", "suggested_cycle_days", "repurchases", "buyers",
                 "reorder_share"]

# Unix day numbers, integers straight from the store: no date is parsed in Python.
# The lines are read in table order, each finding its order by rowid (SQLite's
# CROSS JOIN keeps that order): nearly every line is wanted, and this is three times faster than
# going from the order-date index to each order's lines. The few deleted customers
# are one list.
_LINES_SQL = """
    SELECT o.customer_id, l.order_id, {day} AS day, l.product_code
    FROM order_lines l {join_in_order} orders o ON o.id = l.order_id
    WHERE o.status = 'valid' AND o.order_date <= :as_of
      AND o.customer_id NOT IN (SELECT id FROM customers WHERE deleted_at IS NOT NULL)"""
_EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class Purchases:
    """Valid order lines reduced to what repurchase questions need.

    ``codes``: product code by product number (sorted, '' = lines without a code).
    ``items``: one row per visit and product (visit, customer_id, day, product),
    by customer, day, product. ``visits``: by visit number: customer_id, day,
    next_day (NaN for the customer's last visit) and products (how many).
    ``orders``: one row per order and product (order_id, customer_id, product).
    """
    codes: np.ndarray
    items: pd.DataFrame
    visits: pd.DataFrame
    orders: pd.DataFrame


def day_number(day: date) -> int:
    """A date as the day numbers in Purchases count."""
    return (day - _EPOCH).days


def purchases(db: Database, as_of: date | None) -> Purchases:
    """The shop's purchases up to ``as_of`` (None: all), remembered until the
    database changes (callers must not modify them): the customer list, the cycles
    and the product pairs all start from them, and reading them is most of the work.
    What is learned from them is not remembered: it takes a fraction of that."""
    cutoff = as_of.isoformat() if as_of else "9999-12-31"
    return db.memo(("repurchase.purchases", cutoff), lambda: _purchases(db, cutoff))


def _purchases(db: Database, cutoff: str) -> Purchases:
    sql = _LINES_SQL.format(day=db.dialect.unix_day("o.order_date"),
                            join_in_order=db.dialect.join_in_order)
    lines = db.frame(sql, {"as_of": cutoff})
    product, codes = pd.factorize(lines["product_code"], sort=True)
    lines = pd.DataFrame({"customer_id": lines["customer_id"].to_numpy(np.int64),
                          "order_id": lines["order_id"].to_numpy(np.int64),
                          "day": lines["day"].to_numpy(np.int64), "product": product})
    orders = lines.drop_duplicates(["order_id", "product"])[
        ["order_id", "customer_id", "product"]].reset_index(drop=True)
    items = (lines.drop_duplicates(["customer_id", "day", "product"])
             .sort_values(["customer_id", "day", "product"], kind="mergesort")
             .reset_index(drop=True))
    customer, day = items["customer_id"].to_numpy(), items["day"].to_numpy()
    new = np.ones(len(items), dtype=bool)
    new[1:] = (customer[1:] != customer[:-1]) | (day[1:] != day[:-1])
    items["visit"] = np.cumsum(new) - 1
    visits = items.loc[new, ["customer_id", "day"]].reset_index(drop=True)
    same = visits["customer_id"].shift(-1) == visits["customer_id"]
    visits["next_day"] = visits["day"].shift(-1).where(same)
    visits["products"] = np.bincount(items["visit"], minlength=len(visits))
    return Purchases(np.asarray(codes, dtype=object), items[
        ["visit", "customer_id", "day", "product"]], visits, orders)


def learned_cycles(p: Purchases, min_repurchases: int = MIN_REPURCHASES) -> pd.DataFrame:
    """Per product code (CYCLE_COLUMNS, by code): the median days from a visit where it
    was the only product to the customer's next visit (``suggested_cycle_days``,
    rounded half up; NA below ``min_repurchases`` intervals), how many intervals
    that is, how many customers bought it and the share of them who bought anything
    again after their first purchase of it."""
    items, visits = p.items, p.visits
    visit = items["visit"].to_numpy()
    after = visits["next_day"].to_numpy()[visit] - items["day"].to_numpy()
    alone = (visits["products"].to_numpy()[visit] == 1) & ~np.isnan(after)
    gaps = pd.Series(after[alone]).groupby(items["product"].to_numpy()[alone])
    firsts = items.drop_duplicates(["customer_id", "product"])
    last_day = visits.groupby("customer_id")["day"].max()
    came_back = last_day.reindex(firsts["customer_id"]).to_numpy() > firsts["day"].to_numpy()
    buyers = pd.Series(came_back).groupby(firsts["product"].to_numpy())
    table = pd.DataFrame({"buyers": buyers.size(), "reorder_share": buyers.mean(),
                          "repurchases": gaps.size(), "median": gaps.median()})
    table["repurchases"] = table["repurchases"].fillna(0).astype("int64")
    enough = table["repurchases"] >= min_repurchases
    table["suggested_cycle_days"] = np.floor(table["median"] + 0.5).where(enough).astype("Int64")
    table["product_code"] = p.codes[table.index]
    table = table.loc[table["product_code"] != ""]
    return table[CYCLE_COLUMNS].reset_index(drop=True)


def next_pairs(p: Purchases, min_customers: int = MIN_PAIR_CUSTOMERS,
               top: int = TOP_PAIRS) -> pd.DataFrame:
    """For each product A, the products B most often in the same customer's next visit:
    product_code, next_product_code, customers (who had B in the visit after one
    with A), support (those customers over every customer with a next visit) and
    lift (P(B next | A) / P(B in a next visit))."""
    items = p.items
    has_next = ~np.isnan(p.visits["next_day"].to_numpy()[items["visit"].to_numpy()])
    before = items.loc[has_next, ["customer_id", "visit", "product"]]
    then = items.loc[items["visit"].isin(before["visit"] + 1), ["visit", "product"]]
    pairs = before.assign(visit=before["visit"] + 1).merge(then, on="visit",
                                                           suffixes=("", "_other"))
    return _pair_table(p.codes, pairs, before, then.assign(
        customer_id=p.visits["customer_id"].to_numpy()[then["visit"].to_numpy()]),
        "next_product_code", min_customers, top)


def together_pairs(p: Purchases, min_customers: int = MIN_PAIR_CUSTOMERS,
                   top: int = TOP_PAIRS) -> pd.DataFrame:
    """For each product A, the products B most often in the same order: product_code,
    with_product_code, customers (who had both in one order), support (those over
    every buyer) and lift (P(B | A) / P(B) over buyers)."""
    orders = p.orders
    pairs = orders.merge(orders[["order_id", "product"]], on="order_id",
                         suffixes=("", "_other"))
    return _pair_table(p.codes, pairs, orders, orders, "with_product_code",
                       min_customers, top)


def _pair_table(codes: np.ndarray, pairs: pd.DataFrame, sources: pd.DataFrame,
                targets: pd.DataFrame, other_column: str, min_customers: int,
                top: int) -> pd.DataFrame:
    """Customer counts of (product, product_other) in ``pairs``; ``sources``: who had
    each product on the first side, ``targets``: on the second side; the population
    is everyone in ``sources``."""
    blank = np.flatnonzero(codes == "")
    pairs = pairs.loc[(pairs["product"] != pairs["product_other"])
                      & ~pairs["product"].isin(blank) & ~pairs["product_other"].isin(blank)]
    counted = (pairs.drop_duplicates(["customer_id", "product", "product_other"])
               .groupby(["product", "product_other"]).size().rename("customers").reset_index())
    counted = counted.loc[counted["customers"] >= min_customers]
    population = sources["customer_id"].nunique()
    with_a = sources.drop_duplicates(["customer_id", "product"]).groupby("product").size()
    with_b = targets.drop_duplicates(["customer_id", "product"]).groupby("product").size()
    share_b = with_b.reindex(counted["product_other"]).to_numpy() / population
    given_a = counted["customers"].to_numpy() / with_a.reindex(counted["product"]).to_numpy()
    table = pd.DataFrame({
        "product_code": codes[counted["product"].to_numpy()],
        other_column: codes[counted["product_other"].to_numpy()],
        "customers": counted["customers"].to_numpy(np.int64),
        "support": counted["customers"].to_numpy() / max(population, 1),
        "lift": given_a / share_b})
    table = table.sort_values(["product_code", "customers", "lift", other_column],
                              ascending=[True, False, False, True], kind="mergesort")
    table = table.groupby("product_code", sort=False).head(top)
    return table.reset_index(drop=True)


def product_names(db: Database) -> pd.DataFrame:
    """product_code → product_name: the catalogue's name, else the first name the
    order lines give it."""
    return db.frame(
        """
        SELECT code AS product_code, name AS product_name FROM products WHERE name != ''
        UNION ALL
        SELECT product_code, min(product_name) FROM order_lines
        WHERE product_code != '' AND product_code NOT IN
            (SELECT code FROM products WHERE name != '')
        GROUP BY product_code
        """)


# Days since the last purchase against its cycle: reminded a little before the cycle
# is up (そろそろ from 0.8×), late once a fifth past it (遅れ from 1.2×, near the
# 1.5× of the overdue follow-up), and dormant (休眠) once a whole cycle was skipped
# (2×). Compared in integers: 5·R < 4·cycle, 5·R < 6·cycle, R < 2·cycle.
ON_SCHEDULE, SOON, LATE, DORMANT = "予定どおり", "そろそろ", "遅れ", "休眠"
STATUS_COLUMNS = ["customer_id", "product_code", "cycle_days", "last_purchase", "recency_days",
                  "status"]


def cycle_status(p: Purchases, cycles: pd.Series, as_of: date) -> pd.DataFrame:
    """Per customer (STATUS_COLUMNS, by customer): the product of their last visit
    with the longest cycle in ``cycles`` (product code → days; lowest code on a
    tie), the days since that visit and where that leaves them. Customers whose
    last visit has no product with a cycle are left out."""
    last = p.items.loc[np.isnan(p.visits["next_day"].to_numpy()[p.items["visit"].to_numpy()])]
    cycle = cycles.reindex(p.codes[last["product"].to_numpy()]).to_numpy(dtype=float)
    last = last.assign(cycle_days=cycle).dropna(subset=["cycle_days"])
    last = (last.sort_values(["customer_id", "cycle_days", "product"],
                             ascending=[True, False, True], kind="mergesort")
            .drop_duplicates("customer_id"))
    recency = day_number(as_of) - last["day"].to_numpy()
    cycle = last["cycle_days"].to_numpy(np.int64)
    status = np.select([5 * recency < 4 * cycle, 5 * recency < 6 * cycle, recency < 2 * cycle],
                       [ON_SCHEDULE, SOON, LATE], DORMANT)
    return pd.DataFrame({
        "customer_id": last["customer_id"].to_numpy(), "product_code": p.codes[
            last["product"].to_numpy()], "cycle_days": cycle,
        "last_purchase": pd.to_datetime(last["day"].to_numpy(), unit="D").strftime("%Y-%m-%d"),
        "recency_days": recency, "status": status})[STATUS_COLUMNS]
