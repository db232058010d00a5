"""Blanking erased people in a database file, and the ledger of erasures kept
outside every database, so that no copy the app keeps brings them back.

An erasure (個人情報保護法) is recorded as the ids it covers: the customers (with
those merged into them) and their orders. ``redact`` blanks exactly those rows
and the undo journal's images of them — never text that merely looks the same
(another customer of the same name keeps everything). It works on any Otokui
database: the live one, each backup, and a backup just restored, which is why
the ledger lives beside the database and not in it. The ledger holds ids only.
"""
from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from engine.store.database import now_text
from engine.store.dialects import SQLITE
from engine.store.schema import ORDER_PERSONAL_FIELDS, PERSONAL_FIELDS, blank_sql

ERASED_NAME = "（削除済みの顧客）"
LEDGER_SUFFIX = ".erasures.json"


@dataclass
class Erasure:
    """The ids one erasure covers (customers folded into them included)."""
    customers: list[int]
    orders: list[int] = field(default_factory=list)
    erased_at: str = ""


def covered_ids(conn: sqlite3.Connection, customer_ids: list[int],
                dialect=SQLITE) -> Erasure:
    """The customers to erase (with every customer merged into them, as the merges
    recorded say) and all their orders."""
    customers = [r[0] for r in conn.execute(
        f"WITH RECURSIVE folded(id) AS (SELECT * FROM {dialect.ids_of('ids')} AS given UNION "
        "SELECT m.merged_id FROM customer_merges m JOIN folded f ON m.kept_id = f.id) "
        "SELECT id FROM folded ORDER BY id", {"ids": dialect.ids_value(customer_ids)})]
    orders = [r[0] for r in conn.execute(
        f"SELECT id FROM orders WHERE customer_id IN {dialect.ids_of('ids')} ORDER BY id",
        {"ids": dialect.ids_value(customers)})]
    return Erasure(customers, orders, now_text())


def _json_blank(dialect, fields, extra: dict | None = None) -> str:
    return dialect.json_set("before", {**{f: "''" for f in fields}, **(extra or {})})


def redact(conn: sqlite3.Connection, erasure: Erasure, dialect=SQLITE) -> None:
    """Blank the erasure's people in the open database (inside the caller's
    transaction): their rows, their orders' copied contact fields, their keys,
    the free text written about them, and the journal's before-images of all of it,
    so an undo brings none of it back and leaves them erased and opted out."""
    ids = dialect.ids_of("customers")
    order_ids = (f"(SELECT * FROM {dialect.ids_of('orders')} AS listed UNION "
                 f"SELECT id FROM orders WHERE customer_id IN {ids})")
    responses = f"(SELECT id FROM survey_responses WHERE customer_id IN {ids})"
    params = {"customers": dialect.ids_value(erasure.customers),
              "orders": dialect.ids_value(erasure.orders), "name": ERASED_NAME,
              "at": erasure.erased_at or now_text()}
    erased_state = {"name": ":name", "notes": "''", "dm_opt_out": "1", "dm_manual": "0",
                    "erased_at": f"coalesce({dialect.json_value('before', 'erased_at')}, :at)"}
    customer_of = dialect.json_id("before", "customer_id")
    statements = [
        # Labels of survey answers named the customer before labels used ids.
        "UPDATE operations SET label = replace(label, "
        "  (SELECT name FROM customers WHERE id = r.customer_id) || '様', "
        "  '顧客ID ' || r.customer_id) "
        "FROM (SELECT o.id AS op_id, s.customer_id FROM operations o "
        "      JOIN op_ranges g ON g.op_id = o.id AND g.tbl = 'survey_responses' "
        "      JOIN survey_responses s ON s.id BETWEEN g.first_id AND g.last_id "
        f"      WHERE o.kind = 'survey_answer' AND s.customer_id IN {ids} "
        f"      UNION SELECT j.op_id, {dialect.json_id('j.before', 'customer_id')} "
        "      FROM journal j WHERE j.tbl = 'survey_responses' "
        f"      AND {dialect.json_id('j.before', 'customer_id')} IN {ids}) r "
        "WHERE operations.id = r.op_id AND "
        "  (SELECT name FROM customers WHERE id = r.customer_id) NOT IN ('', :name)",
        f"UPDATE customers SET {blank_sql(PERSONAL_FIELDS[1:])}, name = :name, notes = '', "
        f"dm_opt_out = 1, dm_manual = 0, erased_at = coalesce(erased_at, :at) WHERE id IN {ids}",
        f"UPDATE orders SET {blank_sql(ORDER_PERSONAL_FIELDS)} WHERE id IN {order_ids}",
        f"DELETE FROM identity_keys WHERE customer_id IN {ids}",
        f"UPDATE touches SET result = '' WHERE customer_id IN {ids}",
        f"UPDATE followup_tasks SET result = '' WHERE customer_id IN {ids}",
        f"UPDATE survey_answers SET text = '' WHERE response_id IN {responses}",
        # The journal's images: keyed by row id for the customers' and orders' own
        # rows, by the image's customer for rows that belonged to them.
        f"UPDATE journal SET before = "
        f"{_json_blank(dialect, PERSONAL_FIELDS[1:], erased_state)} "
        f"WHERE tbl = 'customers' AND row_id IN {ids}",
        f"UPDATE journal SET before = {_json_blank(dialect, ORDER_PERSONAL_FIELDS)} "
        f"WHERE tbl = 'orders' AND row_id IN {order_ids}",
        # An undo must not bring their keys back (blank keys would collide).
        f"DELETE FROM journal WHERE tbl = 'identity_keys' AND {customer_of} IN {ids}",
        f"UPDATE journal SET before = {_json_blank(dialect, ['result'])} "
        f"WHERE tbl IN ('touches', 'followup_tasks') AND {customer_of} IN {ids}",
        f"UPDATE journal SET before = {_json_blank(dialect, ['text'])} "
        f"WHERE tbl = 'survey_answers' AND {dialect.json_id('before', 'response_id')} IN "
        f"({responses[1:-1]} UNION SELECT row_id FROM journal WHERE tbl = 'survey_responses' "
        f"AND {customer_of} IN {ids})",
    ]
    # The e-mail log keeps each attempt (so nothing is sent twice), not the address;
    # a backup written before the log existed has none.
    if dialect.has_table(conn, "mail_sends"):
        statements.append("UPDATE mail_sends SET address = '', subject = '' "
                          f"WHERE customer_id IN {ids}")
    for statement in statements:
        conn.execute(statement, {k: v for k, v in params.items() if f":{k}" in statement})
    if _has_pending_parts(conn, dialect):
        # A kept half of a two-file download may name them among many others; it
        # goes whole (the shop drops both files again).
        conn.execute("DELETE FROM pending_parts")


def _has_pending_parts(conn: sqlite3.Connection, dialect=SQLITE) -> bool:
    """Whether the database keeps a half of a download (a backup written before the
    table existed has none)."""
    return dialect.has_table(conn, "pending_parts") and bool(conn.execute(
        "SELECT EXISTS (SELECT 1 FROM pending_parts)").fetchone()[0])


def outstanding(conn: sqlite3.Connection, erasure: Erasure, dialect=SQLITE) -> bool:
    """Whether the database still holds anything the erasure blanks (cheap: indexes)."""
    return _has_pending_parts(conn, dialect) or bool(conn.execute(
        f"SELECT EXISTS (SELECT 1 FROM customers WHERE id IN {dialect.ids_of('customers')} "
        "AND erased_at IS NULL) OR EXISTS (SELECT 1 FROM orders WHERE id IN "
        f"{dialect.ids_of('orders')} AND (name != '' OR email != '' OR phone != ''))",
        {"customers": dialect.ids_value(erasure.customers),
         "orders": dialect.ids_value(erasure.orders)}).fetchone()[0])


def redact_file(path: Path, erasure: Erasure) -> None:
    """Redact a database file that is not open (a backup), overwriting freed bytes."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("BEGIN IMMEDIATE")
        try:
            redact(conn, erasure)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    finally:
        conn.close()


class ErasureLedger:
    """``<database>.erasures.json``: every erasure of this shop, as ids.

    Written before the erasure commits (atomically, by rename), so a crash in
    between is completed the next time the shop opens; read on every open and
    restore.
    """

    def __init__(self, db_path: Path):
        self.path = Path(f"{db_path}{LEDGER_SUFFIX}")

    def erasures(self) -> list[Erasure]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        return [Erasure([int(i) for i in e["customers"]], [int(i) for i in e["orders"]],
                        str(e.get("erased_at", ""))) for e in raw["erasures"]]

    def add(self, erasure: Erasure) -> None:
        entries = self.erasures() + [erasure]
        partial = self.path.with_name(self.path.name + ".partial")
        with open(partial, "w", encoding="utf-8") as out:
            json.dump({"version": 1, "erasures": [e.__dict__ for e in entries]}, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, self.path)

    def reapply(self, conn: sqlite3.Connection) -> int:
        """Redact every recorded erasure the database still shows (after a restore,
        or a crash between the ledger and the commit); returns how many."""
        pending = [e for e in self.erasures() if outstanding(conn, e)]
        for erasure in pending:
            redact(conn, erasure)
        return len(pending)


def record_erasure(db, erasure: Erasure) -> None:
    """Note ``erasure`` in the shop's ledger before it commits: the file beside a
    SQLite shop (none for one in memory), or the server shop's own setting."""
    if db.dialect.name == "postgresql":
        ServerErasureLedger(db.dialect).add(db.conn, erasure)
    elif db.path is not None:
        ErasureLedger(db.path).add(erasure)


class ServerErasureLedger:
    """The erasures of a shop on a PostgreSQL server, kept in the shop itself (the
    ``erasures`` setting: ids only), as every desktop reads the same database.

    Written in the erasure's own transaction, so the two commit together. A
    restore (server_backups.py) replaces every table, this setting's row too: it
    reads the ledger first and applies and keeps it in the restored state, so a
    backup taken on any desktop before the erasure never brings the people back.
    """

    KEY = "erasures"

    def __init__(self, dialect):
        self.dialect = dialect

    def erasures(self, conn) -> list[Erasure]:
        row = conn.execute("SELECT value FROM settings WHERE key = ?", (self.KEY,)).fetchone()
        if row is None:
            return []
        return [Erasure([int(i) for i in e["customers"]], [int(i) for i in e["orders"]],
                        str(e.get("erased_at", ""))) for e in json.loads(row[0])]

    def add(self, conn, erasure: Erasure) -> None:
        self.keep(conn, self.erasures(conn) + [erasure])

    def keep(self, conn, erasures: list[Erasure]) -> None:
        """Make ``erasures`` the ledger (with those already in it)."""
        known = self.erasures(conn)
        entries = known + [e for e in erasures if e not in known]
        if entries == known:
            return
        conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) "
                     "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                     (self.KEY, json.dumps([e.__dict__ for e in entries])))

    def reapply(self, conn, erasures: list[Erasure] | None = None) -> int:
        """Redact every erasure of the ledger (or ``erasures``) the database still
        shows; returns how many."""
        erasures = self.erasures(conn) if erasures is None else erasures
        pending = [e for e in erasures if outstanding(conn, e, self.dialect)]
        for erasure in pending:
            redact(conn, erasure, self.dialect)
        return len(pending)
