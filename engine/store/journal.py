"""Undo for whole operations (an import, a merge, a split …).

While an operation runs, triggers copy the before-image of every pre-existing
row it updates or deletes into ``journal`` (SQLite: TEMP triggers made for the
operation; PostgreSQL: lasting ones that record while the transaction names an
operation, see pg_triggers.py); rows it inserts are
recorded as id ranges (all journaled tables use AUTOINCREMENT, so ids only grow).
Undo deletes the inserted ranges and writes the before-images back, so the
database returns exactly to its earlier state. An operation whose rows a later,
still-active operation changed or builds on cannot be undone before that one.
"""
from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator, Mapping

from engine.errors import NotFoundError, OtokuiError, UndoBlockedError
from engine.store.database import Database, now_text
from engine.store.schema import JOURNALED_TABLES


@dataclass
class Operation:
    id: int
    kind: str
    label: str


@dataclass(frozen=True)
class Change:
    """What a change to the shop did, for a front end to report and to offer undo.

    ``operation`` is the journal operation that undoes it (None when nothing
    changed); ``created`` the id of the one thing it made (a survey, a question, a
    response, a map, a stage or row, the customer split off), if any; ``counts``
    the figures worth telling the user (a plan's tasks created, kept, removed …).
    """
    operation: int | None = None
    created: int | None = None
    counts: Mapping[str, int] = field(default_factory=dict)


class Journal:
    def __init__(self, db: Database):
        self.db = db
        self._columns: dict[str, list[str]] = {}

    def columns(self, table: str) -> list[str]:
        if table not in self._columns:
            self._columns[table] = self.db.columns(table)
        return self._columns[table]

    @contextmanager
    def operation(self, kind: str, label: str) -> Iterator[Operation]:
        """Run the body as one undoable operation inside one transaction, naming
        the database's staff member (who works at this desktop)."""
        dialect = self.db.dialect
        with self.db.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO operations (kind, label, started_at, staff) VALUES (?, ?, ?, ?)",
                (kind, label, now_text(), self.db.staff))
            op = Operation(cur.lastrowid, kind, label)
            starts = {t: dialect.last_id(conn, t) for t in JOURNALED_TABLES}
            dialect.begin_journal(conn, op.id, starts,
                                  {t: self.columns(t) for t in JOURNALED_TABLES})
            try:
                yield op
            finally:
                dialect.end_journal(conn, JOURNALED_TABLES)
            for table, start in starts.items():
                end = dialect.last_id(conn, table)
                if end > start:
                    dialect.claim_ids(conn, table, end)
                    conn.execute(
                        "INSERT INTO op_ranges (op_id, tbl, first_id, last_id) VALUES (?,?,?,?)",
                        (op.id, table, start + 1, end))
            conn.execute("UPDATE operations SET finished_at = ? WHERE id = ?",
                         (now_text(), op.id))

    def blockers(self, op_id: int) -> list[int]:
        """Later active operations that changed rows this one wrote."""
        rows = self.db.conn.execute(
            """
            SELECT DISTINCT j.op_id FROM journal j
            JOIN operations o ON o.id = j.op_id AND o.undone_at IS NULL
            WHERE j.op_id > :op AND (
                EXISTS (SELECT 1 FROM journal k WHERE k.op_id = :op
                        AND k.tbl = j.tbl AND k.row_id = j.row_id)
                OR EXISTS (SELECT 1 FROM op_ranges r WHERE r.op_id = :op
                        AND r.tbl = j.tbl AND j.row_id BETWEEN r.first_id AND r.last_id))
            ORDER BY j.op_id
            """, {"op": op_id}).fetchall()
        return [r[0] for r in rows]

    def undo(self, op_id: int) -> None:
        """Return the database to its state before ``op_id`` (one transaction)."""
        row = self.db.conn.execute(
            "SELECT undone_at, finished_at FROM operations WHERE id = ?", (op_id,)).fetchone()
        if row is None or row[1] is None:
            raise NotFoundError("取り消す操作が見つかりません。")
        if row[0] is not None:
            raise OtokuiError("この操作はすでに取り消されています。")
        blocking = self.blockers(op_id)
        if blocking:
            raise UndoBlockedError(self._blocked_message(blocking))
        with self.db.transaction() as conn:
            self.db.dialect.defer_foreign_keys(conn)
            ranges = conn.execute(
                "SELECT tbl, first_id, last_id FROM op_ranges WHERE op_id = ?",
                (op_id,)).fetchall()
            for table, first, last in ranges:
                conn.execute(f"DELETE FROM {table} WHERE id BETWEEN ? AND ?", (first, last))
            images: dict[str, list[dict]] = {}
            for table, before in conn.execute(
                    "SELECT tbl, before FROM journal WHERE op_id = ? ORDER BY seq", (op_id,)):
                images.setdefault(table, []).append(json.loads(before))
            for table, rows in images.items():
                cols = self.columns(table)
                updates = ", ".join(f"{c} = excluded.{c}" for c in cols if c != "id")
                conn.executemany(
                    f"INSERT INTO {table} ({', '.join(cols)}) "
                    f"VALUES ({', '.join('?' * len(cols))}) "
                    f"ON CONFLICT(id) DO UPDATE SET {updates}",
                    [tuple(r.get(c) for c in cols) for r in rows])
            if self.db.dialect.foreign_keys_broken(conn):
                raise UndoBlockedError(
                    "このあとに行った操作がこのデータを使っているため取り消せません。"
                    "新しい操作から順に取り消してください。")
            conn.execute("DELETE FROM journal WHERE op_id = ?", (op_id,))
            conn.execute("DELETE FROM op_ranges WHERE op_id = ?", (op_id,))
            conn.execute("UPDATE operations SET undone_at = ? WHERE id = ?", (now_text(), op_id))

    def _blocked_message(self, blocking: list[int]) -> str:
        labels = [r[0] for r in self.db.conn.execute(
            f"SELECT label FROM operations WHERE id IN ({','.join('?' * len(blocking))})",
            blocking)]
        return ("このあとに行った操作が同じデータを変更しているため、先にそちらを取り消してください: "
                + "、".join(labels))
