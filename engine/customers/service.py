"""Customers: the SPEC §4 table, search, detail, and hand edits (merge, split, DM)."""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from engine.analysis.rfm import METRIC_COLUMNS
from engine.customers.eligibility import dm_eligible_sql
from engine.customers.search import search_ids
from engine.dates import parse_day
from engine.errors import ConflictError, InvalidInputError, NotFoundError
from engine.imports import identity
from engine.store.database import now_text
from engine.store.journal import Change
from engine.store.settings import dm_default_of, plain_source_name
from engine.store.staff import notes_conflict, when_text
from engine.text import user_text

TABLE_COLUMNS = ["customer_id", "name", "kana", "postal_code", "address", "phone", "email",
                 "dm_ok", "purchase_count", "total_amount", "first_purchase", "last_purchase",
                 "tenure_days", "recency_days", "segment", "cluster"]

SEARCH_COLUMNS = ["customer_id", "name", "kana", "phone", "email", "postal_code", "address",
                  "purchase_count", "total_amount", "last_purchase", "dm_ok"]

DM_OK_SQL = f"CASE WHEN {dm_eligible_sql('c')} THEN 1 ELSE 0 END"
ADDRESS_SQL = "trim(c.address1 || CASE WHEN c.address2 != '' THEN ' ' || c.address2 ELSE '' END)"
_PROFILE_SQL = (f"SELECT c.id AS customer_id, c.name, c.kana, c.postal_code, {ADDRESS_SQL} "
                f"AS address, c.phone, c.email, {DM_OK_SQL} AS dm_ok FROM customers c ")

_SEARCH_SQL = (
    f"SELECT c.id, c.name, c.kana, c.phone, c.email, c.postal_code, {ADDRESS_SQL}, "
    "count(o.id), coalesce(sum(o.amount), 0), coalesce(max(o.order_date), ''), "
    f"{DM_OK_SQL} FROM customers c LEFT JOIN orders o ON o.customer_id = c.id "
    "AND o.status = 'valid' ")


class CustomerService:
    def __init__(self, shop):
        self.shop = shop
        self.db = shop.db
        self._listing = None

    @property
    def listing(self):
        """The list a screen at a time (engine.customers.listing.CustomerListing)."""
        if self._listing is None:
            from engine.customers.listing import CustomerListing
            self._listing = CustomerListing(self.shop)
        return self._listing

    def table(self, as_of=None) -> pd.DataFrame:
        """One row per customer with a valid order on or before ``as_of`` (SPEC §4),
        best customers first."""
        metrics = self.shop.segments.metrics(as_of)
        profiles = self.db.frame(_PROFILE_SQL + "WHERE c.deleted_at IS NULL")
        frame = metrics.merge(profiles, on="customer_id", how="left")
        return frame[TABLE_COLUMNS]

    def get(self, customer_id: int, as_of=None) -> dict:
        """The customer's profile, with purchase_count, total_amount, first_purchase and
        last_purchase over their valid orders on or before ``as_of`` (default: all)."""
        until, params = "", (customer_id,)
        if as_of is not None:
            until, params = " AND order_date <= ?", (customer_id, parse_day(as_of).isoformat())
        rows = self.db.query(
            f"SELECT c.*, {ADDRESS_SQL} AS address, {DM_OK_SQL} AS dm_ok FROM customers c "
            "WHERE c.id = ?", (customer_id,))
        if not rows:
            raise NotFoundError(f"顧客番号 {customer_id} は見つかりません。")
        customer = rows[0]
        customer["customer_id"] = customer["id"]
        orders = self.db.frame(
            "SELECT count(*) AS purchase_count, coalesce(sum(amount), 0) AS total_amount, "
            "min(order_date) AS first_purchase, max(order_date) AS last_purchase "
            "FROM orders WHERE customer_id = ? AND status = 'valid'" + until, params)
        customer.update(orders.iloc[0].to_dict())
        customer["sources"] = [r["source"] for r in self.db.query(
            "SELECT DISTINCT source FROM orders WHERE customer_id = ? ORDER BY source",
            (customer_id,))]
        return customer

    def orders(self, customer_id: int) -> pd.DataFrame:
        """The customer's orders, newest first, with a short item list."""
        items = self.db.dialect.group_concat("l.product_name || ' ×' || l.quantity", "'、'")
        return self.db.frame(
            "SELECT o.id AS order_id, o.source, o.order_no, o.order_date, o.status, o.amount, "
            f"(SELECT {items} FROM order_lines l WHERE l.order_id = o.id) AS items "
            "FROM orders o WHERE o.customer_id = ? ORDER BY o.ordered_at DESC, o.id DESC",
            (customer_id,))

    def product_history(self, customer_id: int) -> pd.DataFrame:
        """Sales by product for one customer (顧客別商品別売上), valid orders only."""
        return self.db.frame(
            "SELECT l.product_code, max(l.product_name) AS product_name, "
            "sum(l.quantity) AS quantity, sum(l.amount) AS amount, "
            "count(DISTINCT o.id) AS orders, max(o.order_date) AS last_order "
            "FROM order_lines l JOIN orders o ON o.id = l.order_id "
            "WHERE o.customer_id = ? AND o.status = 'valid' "
            "GROUP BY l.product_code ORDER BY amount DESC", (customer_id,))

    def search(self, text: str, limit: int = 200) -> pd.DataFrame:
        """Customers matching the text typed so far (see engine.customers.search for
        the rules), strongest matches first; an empty text lists customers by id."""
        # One query and one frame per keystroke: pandas' per-call overhead, not
        # SQLite, is what a keystroke would otherwise wait for.
        if str(text or "").strip():
            ids = search_ids(self.db.conn, text, int(limit), self.db.dialect)
        else:
            ids = [r[0] for r in self.db.conn.execute(
                "SELECT id FROM customers WHERE deleted_at IS NULL ORDER BY id LIMIT ?",
                (int(limit),))]
        # (PostgreSQL has no empty IN list.)
        rows = self.db.conn.execute(
            _SEARCH_SQL + f"WHERE c.id IN ({','.join('?' * len(ids))}) GROUP BY c.id",
            ids).fetchall() if ids else []
        order = {customer_id: position for position, customer_id in enumerate(ids)}
        rows.sort(key=lambda row: order[row[0]])
        return pd.DataFrame.from_records(rows, columns=SEARCH_COLUMNS).astype(
            {"customer_id": "int64", "purchase_count": "int64", "total_amount": "int64",
             "dm_ok": "int64"})

    # --- hand edits: each one undoable operation -------------------------------

    def _edit(self, customer_id: int, label: str, sql: str, params: tuple) -> Change:
        self.get(customer_id)
        with self.shop.journal.operation("edit", label) as op:
            self.db.conn.execute(sql, params)
        return Change(op.id)

    def set_notes(self, customer_id: int, notes: str, seen: str | None = None) -> Change:
        """Save the customer's note, naming this desktop's staff and the time
        (``notes_by``, ``notes_at``). Undoable.

        ``seen``: the note as the editor started from it. When the stored note is
        different by now (another desktop saved theirs meanwhile) nothing is
        overwritten: ConflictError names who changed it and when, with ``current``
        the stored text, so the front end can show both and lose no input."""
        text = user_text(notes)
        with self.db.transaction() as conn:
            row = conn.execute("SELECT notes, notes_by, notes_at FROM customers WHERE id = ?",
                               (int(customer_id),)).fetchone()
            if row is None:
                raise NotFoundError(f"顧客番号 {customer_id} は見つかりません。")
            if seen is not None and row[0] != user_text(seen):
                raise ConflictError(notes_conflict(row[1], row[2]), current=row[0])
            with self.shop.journal.operation("edit", f"メモ編集（顧客 {customer_id}）") as op:
                conn.execute("UPDATE customers SET notes = ?, notes_by = ?, notes_at = ? "
                             "WHERE id = ?", (text, self.shop.staff, now_text(), int(customer_id)))
        return Change(op.id)

    def set_dm(self, customer_id: int, allowed: bool | None) -> Change:
        """Allow or forbid DM by hand; ``None`` returns to the per-source default."""
        value = None if allowed is None else int(bool(allowed))
        return self._edit(customer_id, f"DM可否の変更（顧客 {customer_id}）",
                          "UPDATE customers SET dm_manual = ? WHERE id = ?", (value, customer_id))

    def set_opt_out(self, customer_id: int, opted_out: bool) -> Change:
        """配信停止: respected by every list and label."""
        return self._edit(customer_id, f"配信停止の変更（顧客 {customer_id}）",
                          "UPDATE customers SET dm_opt_out = ? WHERE id = ?",
                          (int(bool(opted_out)), customer_id))

    def version(self, customer_id: int) -> str:
        """What a merge checks the customer against (``merge(seen=…)``): it changes
        when the customer is merged away, split or erased."""
        return _version(self.db.conn, int(customer_id))

    def merge(self, keep_id: int, other_id: int, seen: Mapping[int, str] | None = None
              ) -> Change:
        """Merge ``other_id`` into ``keep_id`` by hand.

        ``seen``: each customer's ``version()`` when the user chose them. One merged
        away, split or erased since (on another desktop, or by an import) is a
        ConflictError naming who did what; nothing is changed. Without ``seen``
        only customers merged away or erased are refused."""
        if keep_id == other_id:
            raise InvalidInputError("同じ顧客どうしは統合できません。")
        with self.db.transaction() as conn:
            for customer_id in (keep_id, other_id):
                self._check_unchanged(conn, int(customer_id), (seen or {}).get(customer_id))
            with self.shop.journal.operation("merge", f"顧客統合 {other_id} → {keep_id}") as op:
                conn.execute("DELETE FROM identity_separations WHERE (customer_a = ? AND "
                             "customer_b = ?) OR (customer_a = ? AND customer_b = ?)",
                             (keep_id, other_id, other_id, keep_id))
                identity.merge_customers(self.db, keep_id, [other_id], manual=True)
                self.refresh_dm_defaults([keep_id])
        return Change(op.id)

    def _check_unchanged(self, conn, customer_id: int, seen: str | None) -> None:
        """ConflictError when the customer is gone, erased, or (``seen``) changed
        since the user chose them; NotFoundError when there never was one."""
        version = _version(conn, customer_id)
        if version and not version.startswith("erased") and seen in (None, version):
            return
        by, at, label = _last_change(conn, customer_id)
        if by is None and not version and not conn.execute(
                "SELECT 1 FROM customer_merges WHERE merged_id = ?", (customer_id,)).fetchone():
            raise NotFoundError(f"顧客番号 {customer_id} は見つかりません。")
        what = f"「{label}」を行っています" if label else "変更しています"
        raise ConflictError(
            f"顧客 {customer_id} は、選んだあとで{by + 'さん' if by else 'ほかの方'}が"
            f"{when_text(at) + 'に' if at else ''}{what}。統合は行っていません。"
            "顧客一覧を更新し、お客様を選び直してください。")

    def split(self, customer_id: int, order_ids: list[int]) -> Change:
        """Move the given orders to a new customer and keep the two apart from now on.

        Keys seen only on the moved orders go with them; keys both share stay with
        the original customer. The new customer is ``created``.
        """
        order_ids = sorted({int(o) for o in order_ids})
        owned = {r["id"] for r in self.db.query(
            "SELECT id FROM orders WHERE customer_id = ?", (customer_id,))}
        if not order_ids or not set(order_ids) <= owned:
            raise InvalidInputError("分割する注文を、この顧客の注文から選んでください。")
        if set(order_ids) == owned:
            raise InvalidInputError("すべての注文を移すことはできません。残す注文を少なくとも1件選んでください。")
        with self.shop.journal.operation("split", f"顧客分割（顧客 {customer_id}）") as op:
            conn = self.db.conn
            new_id = conn.execute("INSERT INTO customers (created_at, notes) VALUES (?, ?)",
                                  (now_text(), "")).lastrowid
            marks = ",".join("?" * len(order_ids))
            conn.execute(f"UPDATE orders SET customer_id = ? WHERE id IN ({marks})",
                         [new_id, *order_ids])
            moved_keys = self._keys_of_orders(order_ids)
            kept_keys = self._keys_of_orders(sorted(owned - set(order_ids)))
            only_moved = sorted(set(moved_keys) - set(kept_keys))
            if only_moved:
                conn.execute(f"UPDATE identity_keys SET customer_id = ? WHERE key IN "
                             f"({','.join('?' * len(only_moved))})", [new_id, *only_moved])
            conn.execute("INSERT INTO identity_separations (customer_a, customer_b, created_at) "
                         "VALUES (?, ?, ?)", (customer_id, new_id, now_text()))
            for cid in (customer_id, new_id):
                self._refresh_profile(cid)
            self.refresh_dm_defaults([customer_id, new_id])
        return Change(op.id, new_id)

    def _keys_of_orders(self, order_ids: list[int]) -> list[str]:
        if not order_ids:
            return []
        orders = self.db.frame(
            f"SELECT source, member_id, name, name_key, phone_digits, email, postal_code FROM orders "
            f"WHERE id IN ({','.join('?' * len(order_ids))})", order_ids)
        keys = [identity.order_keys(group, source)["key"]
                for source, group in orders.groupby("source")]
        return pd.concat(keys).unique().tolist() if keys else []

    def _refresh_profile(self, customer_id: int) -> None:
        """Contact fields from the customer's newest order (after a split)."""
        fields = ("name", "name_key", "kana", "postal_code", "address1", "address2",
                  "phone", "phone_digits", "email")
        self.db.conn.execute(
            f"UPDATE customers SET ({', '.join(fields)}, info_at) = "
            f"(SELECT {', '.join(fields)}, ordered_at FROM orders WHERE customer_id = ? "
            f"ORDER BY ordered_at DESC LIMIT 1) WHERE id = ?", (customer_id, customer_id))

    def set_source_dm_default(self, source: str, allowed: bool) -> None:
        """Change whether customers from ``source`` may get DMs by default, for everyone."""
        defaults = dict(self.shop.settings.get("dm_default_by_source") or {})
        defaults[source] = bool(allowed)
        with self.db.transaction():
            self.shop.settings.set("dm_default_by_source", defaults)
            self.refresh_dm_defaults()

    def refresh_dm_defaults(self, customer_ids: list[int] | None = None,
                            ordered_from: str | None = None) -> None:
        """A customer may get DMs by default when any of their sources allows it
        (Amazon buyers alone do not: Amazon forbids marketing use of buyer data).
        ``ordered_from``: a source every one of ``customer_ids`` has an order from
        (an import's): when it allows DMs their default is 1 without looking further."""
        defaults = self.shop.settings.get("dm_default_by_source") or {}
        case = "CASE o.source " + " ".join(
            f"WHEN '{source}' THEN {int(bool(v))}" for source, v in defaults.items()
            if plain_source_name(source)) + " ELSE 1 END" if defaults else "1"
        sql = (f"UPDATE customers SET dm_default = coalesce((SELECT max({case}) FROM orders o "
               f"WHERE o.customer_id = customers.id), 1)")
        conn = self.db.conn
        if customer_ids is None:
            conn.execute(sql)
            return
        if ordered_from is not None and dm_default_of(defaults, ordered_from):
            sql = "UPDATE customers SET dm_default = 1"
        identity_ids = np.unique(np.asarray(customer_ids, dtype="int64")).tolist()
        staged, params = self.db.dialect.staged_ids(conn, "stage_dm", identity_ids)
        conn.execute(sql + f" WHERE id IN {staged}", params)


def _version(conn, customer_id: int) -> str:
    """'' for no such customer; else its erasure and its latest separation (a split
    adds one, a merge moves them)."""
    row = conn.execute(
        "SELECT c.erased_at, (SELECT max(s.id) FROM identity_separations s WHERE "
        "s.customer_a = c.id OR s.customer_b = c.id) FROM customers c WHERE c.id = ?",
        (customer_id,)).fetchone()
    if row is None:
        return ""
    return f"erased {row[0]}" if row[0] else f"split {row[1] or 0}"


def _last_change(conn, customer_id: int) -> tuple[str | None, str | None, str | None]:
    """Who changed the customer's row last (an operation still in force), when, and
    what the operation was."""
    row = conn.execute(
        "SELECT o.staff, o.finished_at, o.label FROM journal j JOIN operations o "
        "ON o.id = j.op_id WHERE j.tbl = 'customers' AND j.row_id = ? "
        "AND o.undone_at IS NULL ORDER BY o.id DESC LIMIT 1", (customer_id,)).fetchone()
    return (row[0], row[1], row[2]) if row else (None, None, None)


__all__ = ["CustomerService", "TABLE_COLUMNS", "METRIC_COLUMNS"]
