"""Ordered children (questions of a survey, stages and rows of a journey map).

Each child row has an integer ``position`` within its parent. Positions are kept
dense (0, 1, 2 …) so that "move to index i" is a plain renumbering. Only rows
whose position really changes are updated, which keeps the undo journal small.
"""
from __future__ import annotations

import sqlite3


def ordered_ids(conn: sqlite3.Connection, table: str, parent_col: str,
                parent_id: int) -> list[int]:
    """Ids of the parent's children in display order."""
    return [r[0] for r in conn.execute(
        f"SELECT id FROM {table} WHERE {parent_col} = ? ORDER BY position, id",
        (parent_id,))]


def renumber(conn: sqlite3.Connection, table: str, ids: list[int | None]) -> None:
    """Give ``ids`` the positions 0, 1, 2 … in list order; a None leaves a gap."""
    present = [i for i in ids if i is not None]
    current = dict(conn.execute(
        f"SELECT id, position FROM {table} WHERE id IN ({','.join('?' * len(present))})",
        present).fetchall()) if present else {}
    for index, item in enumerate(ids):
        if item is not None and current.get(item) != index:
            conn.execute(f"UPDATE {table} SET position = ? WHERE id = ?", (index, item))


def insert_slot(conn: sqlite3.Connection, table: str, parent_col: str, parent_id: int,
                index: int | None) -> int:
    """Make room for a new child at ``index`` (None = at the end); return its position."""
    ids = ordered_ids(conn, table, parent_col, parent_id)
    index = len(ids) if index is None else min(max(index, 0), len(ids))
    renumber(conn, table, ids[:index] + [None] + ids[index:])
    return index


def move(conn: sqlite3.Connection, table: str, parent_col: str, parent_id: int,
         item_id: int, index: int) -> None:
    """Move one child to ``index`` (clamped to the list)."""
    ids = ordered_ids(conn, table, parent_col, parent_id)
    ids.remove(item_id)
    index = min(max(index, 0), len(ids))
    ids.insert(index, item_id)
    renumber(conn, table, ids)
