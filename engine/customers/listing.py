"""The customer list a screen at a time (SPEC §4 table, SPEC §5 顧客 tab).

A five-year shop has ~340 000 ranked customers; building them all as one frame
before the first row shows costs seconds. Here every question — how many, which
rows from the n-th on, in which order, with which filter — is one SQL query over
the per-customer figures, ordered through their rank index, so the first screen
of any shop comes back in milliseconds.

The figures are ``customer_figures`` (kept current by every change, see
engine/store/figures.py) when no valid order is dated after the 基準日 — then
all-time figures are the figures as of that day. For an earlier 基準日 they are a TEMP copy of
:func:`engine.analysis.rfm.customer_metrics` for that day, built once per day and
database state.

Clusters follow rfm.py: TOP1/10/20 are the first ⌈N·p⌉ customers in rank order
(total_amount desc, purchase_count desc, last_purchase desc, customer id asc).
Instead of numbering every row, a row's place is found by comparing it with the
customer at each boundary, which the rank index answers directly.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from engine.analysis.rfm import CLUSTERS, customer_metrics, top_size
from engine.customers.service import ADDRESS_SQL, DM_OK_SQL, TABLE_COLUMNS
from engine.dates import parse_day
from engine.store.figures import figures_current

RANK_ORDER = ("f.total_amount DESC, f.purchase_count DESC, f.last_purchase DESC, "
              "f.customer_id")
RANK_REVERSED = "f.total_amount, f.purchase_count, f.last_purchase, f.customer_id DESC"

# What each sortable column sorts by (ascending); the rank order breaks ties, as a
# stable sort of the ranked list would.
_SORT_SQL = {
    "customer_id": "f.customer_id",
    "name": "c.name",
    "kana": "c.kana",
    "postal_code": "c.postal_code",
    "address": ADDRESS_SQL,
    "phone": "c.phone_digits",
    "email": "c.email",
    "dm_ok": DM_OK_SQL,
    "purchase_count": "f.purchase_count",
    "total_amount": "f.total_amount",
    "first_purchase": "f.first_purchase",
    "last_purchase": "f.last_purchase",
}
SORTABLE = frozenset(_SORT_SQL) | {"tenure_days", "recency_days", "rank", "cluster", "segment"}

_COPY_TABLE = "listing_figures"


@dataclass(frozen=True)
class ListQuery:
    """Which customers, in which order.

    ``cluster``: one of rfm.CLUSTERS or None for all; ``dm_only``: only customers a
    DM may go to; ``only_ids``: only these customers (要フォロー), None for all;
    ``sort``: a column of the table (SORTABLE) or "rank"; ``descending`` reverses it.
    """
    cluster: str | None = None
    dm_only: bool = False
    only_ids: tuple[int, ...] | None = None
    sort: str = "rank"
    descending: bool = False

    def __post_init__(self) -> None:
        if self.cluster is not None and self.cluster not in CLUSTERS:
            raise ValueError(f"unknown cluster {self.cluster!r}")
        if self.sort not in SORTABLE:
            raise ValueError(f"cannot sort by {self.sort!r}")


class CustomerListing:
    """``shop.customers.listing``: count, pages and chosen rows of the ranked list."""

    def __init__(self, shop):
        self.shop = shop
        self.db = shop.db
        self._copy: tuple[tuple, date] | None = None   # the TEMP copy's state and day
        self._answers_state: tuple | None = None
        self._answers: dict = {}

    # --- questions ------------------------------------------------------------------

    def total(self, as_of=None) -> int:
        """How many customers have a valid order on or before ``as_of``."""
        source = self._source(parse_day(as_of))
        return int(self.db.conn.execute(f"SELECT count(*) FROM {source}").fetchone()[0])

    def count(self, query: ListQuery, as_of=None) -> int:
        """How many customers ``query`` lists."""
        plan = _Plan(self, parse_day(as_of), query)
        return int(self.db.conn.execute(
            f"SELECT count(*) FROM {plan.source} f {plan.join} WHERE {plan.where}",
            plan.params).fetchone()[0])

    def page(self, query: ListQuery, offset: int = 0, limit: int = 200,
             as_of=None) -> pd.DataFrame:
        """Rows ``offset`` … ``offset + limit - 1`` of the list (``limit`` -1: to the
        end), with TABLE_COLUMNS, in the query's order."""
        plan = _Plan(self, parse_day(as_of), query)
        chosen = (f"SELECT f.customer_id FROM {plan.source} f {plan.join} WHERE {plan.where} "
                  f"ORDER BY {plan.order} LIMIT ? OFFSET ?")
        return plan.rows(f"f.customer_id IN ({chosen})", [*plan.params, self.db.dialect.limit(int(limit)), int(offset)],
                         plan.order)

    def ids(self, query: ListQuery, as_of=None) -> np.ndarray:
        """Every listed customer's id, in the query's order."""
        plan = _Plan(self, parse_day(as_of), query)
        rows = self.db.conn.execute(
            f"SELECT f.customer_id FROM {plan.source} f {plan.join} WHERE {plan.where} "
            f"ORDER BY {plan.order}", plan.params).fetchall()
        return np.fromiter((r[0] for r in rows), dtype="int64", count=len(rows))

    def rows_of(self, customer_ids, as_of=None) -> pd.DataFrame:
        """The rows of these customers in the given order (a search's hits); one who
        bought nothing by ``as_of`` has zero purchases and no cluster."""
        ids = [int(i) for i in customer_ids]
        plan = _Plan(self, parse_day(as_of), ListQuery())
        listed, param = self.db.dialect.in_list("c.id", ids)
        frame = plan.rows(listed, [param], "c.id", everyone=True)
        frame = frame.set_index("customer_id").reindex(ids).reset_index()
        frame = frame[frame["name"].notna()].reset_index(drop=True)
        counts = ["purchase_count", "total_amount", "dm_ok"]
        frame[counts] = frame[counts].fillna(0).astype("int64")
        return frame

    # --- where the figures come from ------------------------------------------------

    def _source(self, as_of: date) -> str:
        if self._remembered(("figures_current", as_of),
                            lambda: figures_current(self.db, as_of)):
            return "customer_figures"
        # The copy is for one state of the data and one day.
        state = self.db.state()
        if self._copy != (state, as_of):
            self._build_copy(as_of)
            self._copy = (state, as_of)
        return self.db.dialect.temp(_COPY_TABLE)

    def _remembered(self, key, compute):
        """A small answer kept while the data stays as it is. Not ``db.memo``: its few
        places are for tables of every customer, which these would push out."""
        if self.db.conn.in_transaction:
            return compute()
        state = self.db.state()
        if state != self._answers_state:
            self._answers_state, self._answers = state, {}
        if key not in self._answers:
            self._answers[key] = compute()
        return self._answers[key]

    def _build_copy(self, as_of: date) -> None:
        metrics = customer_metrics(self.db, as_of)
        columns = ["customer_id", "purchase_count", "total_amount", "first_purchase",
                   "last_purchase"]
        dialect = self.db.dialect
        copy = dialect.temp(_COPY_TABLE)
        with self.db.scratch() as conn:
            conn.execute(f"DROP TABLE IF EXISTS {copy}")
            conn.execute(f"CREATE TEMP TABLE {_COPY_TABLE} (customer_id INTEGER PRIMARY KEY, "
                         "purchase_count INTEGER, total_amount INTEGER, first_purchase TEXT, "
                         "last_purchase TEXT)")
            conn.executemany(f"INSERT INTO {copy} VALUES (?, ?, ?, ?, ?)",
                             metrics[columns].itertuples(index=False, name=None))
            conn.execute(dialect.create_temp_index(
                f"{_COPY_TABLE}_rank", _COPY_TABLE,
                "total_amount DESC, purchase_count DESC, last_purchase DESC, customer_id"))


class _Plan:
    """One query's SQL: the figures table, joins, filter, order and the clusters'
    boundaries."""

    def __init__(self, listing: CustomerListing, as_of: date, query: ListQuery):
        self.db = listing.db
        self.dialect = listing.db.dialect
        self.as_of = as_of
        self.source = listing._source(as_of)
        percentages = listing.shop.segments.percentages()
        self.bounds = listing._remembered(
            ("bounds", self.source, as_of, tuple(sorted(percentages.items()))),
            lambda: self._bounds(percentages))
        conditions, self.params = [self.dialect.true], []
        if query.cluster is not None:
            sql, params = self._in_cluster(query.cluster)
            conditions.append(sql)
            self.params += params
        if query.dm_only:
            conditions.append(self.dialect.holds(DM_OK_SQL))
        if query.only_ids is not None:
            listed, param = self.dialect.in_list("f.customer_id", query.only_ids)
            conditions.append(listed)
            self.params.append(param)
        self.where = " AND ".join(conditions)
        self.order = self._order(query)
        needs_customers = query.dm_only or "c." in _SORT_SQL.get(query.sort, "")
        self.join = "JOIN customers c ON c.id = f.customer_id" if needs_customers else ""

    def _bounds(self, percentages: dict) -> dict[str, tuple | None]:
        """The last customer of TOP1/10/20 (their rank keys), None for an empty one."""
        n = self.db.conn.execute(f"SELECT count(*) FROM {self.source}").fetchone()[0]
        bounds = {}
        for name in ("top1", "top10", "top20"):
            k = top_size(n, percentages[name])
            bounds[name] = None if k == 0 else self.db.conn.execute(
                f"SELECT total_amount, purchase_count, last_purchase, customer_id "
                f"FROM {self.source} f ORDER BY {RANK_ORDER} LIMIT 1 OFFSET ?",
                (k - 1,)).fetchone()
        return bounds

    def _ahead(self, name: str) -> tuple[str, list]:
        """SQL true for a customer ranked at or before the last of ``name``."""
        bound = self.bounds[name]
        if bound is None:
            return self.dialect.false, []
        t, p, last, cid = bound
        sql = ("(f.total_amount > ? OR (f.total_amount = ? AND (f.purchase_count > ? OR "
               "(f.purchase_count = ? AND (f.last_purchase > ? OR (f.last_purchase = ? AND "
               "f.customer_id <= ?))))))")
        return sql, [t, t, p, p, last, last, cid]

    def _in_cluster(self, cluster: str) -> tuple[str, list]:
        tops = ("top1", "top10", "top20")
        if cluster in tops:
            inside, params = self._ahead(cluster)
            position = tops.index(cluster)
            if position == 0:
                return inside, params
            before, before_params = self._ahead(tops[position - 1])
            return f"({inside} AND NOT {before})", params + before_params
        counts = {"once": "f.purchase_count = 1", "twice_thrice": "f.purchase_count IN (2, 3)",
                  "repeat4plus": "f.purchase_count >= 4"}[cluster]
        top, params = self._ahead("top20")
        return f"({counts} AND NOT {top})", params

    def _cluster_sql(self) -> tuple[str, list]:
        parts, params = [], []
        for name in ("top1", "top10", "top20"):
            sql, p = self._ahead(name)
            parts.append(f"WHEN {sql} THEN '{name}'")
            params += p
        return " ".join(parts), params

    def _order(self, query: ListQuery) -> str:
        if query.sort == "rank":
            return RANK_REVERSED if query.descending else RANK_ORDER
        if query.sort in ("cluster", "segment"):
            # TOP1, TOP10, TOP20, then 1回, 2〜3回, 4回以上 (rfm.CLUSTERS order).
            tops = " ".join(f"WHEN {self._literal(self._ahead(n))} THEN {i}"
                            for i, n in enumerate(("top1", "top10", "top20")))
            key = (f"CASE {tops} WHEN f.purchase_count >= 4 THEN 5 "
                   "WHEN f.purchase_count >= 2 THEN 4 ELSE 3 END")
        elif query.sort in ("tenure_days", "recency_days"):
            last = self.dialect.day_number("f.last_purchase")
            key = (f"{last} - {self.dialect.day_number('f.first_purchase')}"
                   if query.sort == "tenure_days" else f"-{last}")
        else:
            key = _SORT_SQL[query.sort]
        return f"{key} {'DESC' if query.descending else ''}, {RANK_ORDER}"

    @staticmethod
    def _literal(part: tuple[str, list]) -> str:
        """``part`` with its parameters written in (ORDER BY is used twice per query)."""
        sql, params = part
        for value in params:
            text = str(int(value)) if isinstance(value, int) else \
                "'" + str(value).replace("'", "''") + "'"
            sql = sql.replace("?", text, 1)
        return sql

    def rows(self, condition: str, params: list, order: str, *,
             everyone: bool = False) -> pd.DataFrame:
        """TABLE_COLUMNS of the customers ``condition`` picks, in ``order``."""
        clusters, cluster_params = self._cluster_sql()
        day = self.dialect.day_number
        join = "LEFT JOIN" if everyone else "JOIN"
        sql = (
            f"SELECT c.id AS customer_id, c.name, c.kana, c.postal_code, {ADDRESS_SQL} AS "
            f"address, c.phone, c.email, {DM_OK_SQL} AS dm_ok, f.purchase_count, "
            "f.total_amount, f.first_purchase, f.last_purchase, "
            f"CAST({day('f.last_purchase')} - {day('f.first_purchase')} AS INTEGER) "
            f"AS tenure_days, CAST({day('?')} - {day('f.last_purchase')} AS INTEGER) "
            f"AS recency_days, CASE {clusters} ELSE '' END AS segment, "
            f"CASE WHEN f.customer_id IS NULL THEN NULL {clusters} "
            "WHEN f.purchase_count >= 4 THEN 'repeat4plus' "
            "WHEN f.purchase_count >= 2 THEN 'twice_thrice' ELSE 'once' END AS cluster "
            f"FROM customers c {join} {self.source} f ON f.customer_id = c.id "
            f"WHERE c.deleted_at IS NULL AND {condition} ORDER BY {order}")
        cursor = self.db.conn.execute(
            sql, [self.as_of.isoformat(), *cluster_params, *cluster_params, *params])
        frame = pd.DataFrame.from_records(cursor.fetchall(), columns=TABLE_COLUMNS)
        if not everyone:
            integers = ["customer_id", "purchase_count", "total_amount", "tenure_days",
                        "recency_days", "dm_ok"]
            frame[integers] = frame[integers].astype("int64")
        return frame


__all__ = ["CustomerListing", "ListQuery", "SORTABLE"]
