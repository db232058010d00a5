"""Customer journey maps: per persona or cluster, stages (columns) × rows of notes.

A map's stages and rows are both editable lists ("lanes"); a cell is the text
where a stage and a row cross. Every change is one journaled, undoable operation.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from engine.errors import InvalidInputError, NotFoundError, OtokuiError
from engine.research import positions
from engine.resources import read_json
from engine.store.database import now_text
from engine.store.journal import Change
from engine.text import user_text

if TYPE_CHECKING:
    from engine.shop import Shop

STAGE, ROW = "stage", "row"
_TABLES = {STAGE: "journey_stages", ROW: "journey_rows"}
_NAMES = {STAGE: "段階", ROW: "項目"}


@dataclass(frozen=True)
class Lane:
    """One stage (column) or row of a map."""
    id: int
    name: str


@dataclass(frozen=True)
class JourneyMap:
    id: int
    name: str
    cluster: str
    persona: str
    stages: tuple[Lane, ...] = ()
    rows: tuple[Lane, ...] = ()
    cells: dict[tuple[int, int], str] = field(default_factory=dict)

    def cell(self, stage_id: int, row_id: int) -> str:
        return self.cells.get((stage_id, row_id), "")

    def lanes(self, axis: str) -> tuple[Lane, ...]:
        return self.stages if axis == STAGE else self.rows


def default_layout() -> dict[str, list[str]]:
    """The default stages and rows from resources/journeys/default_map.json."""
    raw = read_json("journeys", "default_map.json")
    return {"stages": list(raw["stages"]), "rows": list(raw["rows"])}


def _table(axis: str) -> str:
    if axis not in _TABLES:
        raise ValueError(f"axis must be {STAGE!r} or {ROW!r}, not {axis!r}")
    return _TABLES[axis]


def _clean_name(axis: str, name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise InvalidInputError(f"{_NAMES[axis]}の名前を入力してください。")
    return name


class JourneyService:
    """``shop.journeys``: create, edit and delete journey maps."""

    def __init__(self, shop: "Shop"):
        self.shop = shop
        self.db = shop.db

    def list_maps(self) -> list[dict]:
        """All maps (id, name, cluster, updated_at), in creation order."""
        return self.db.query(
            "SELECT id, name, cluster, updated_at FROM journey_maps ORDER BY id")

    def get(self, map_id: int) -> JourneyMap:
        rows = self.db.query("SELECT * FROM journey_maps WHERE id = ?", (map_id,))
        if not rows:
            raise NotFoundError("このジャーニーマップはもうありません。画面を更新してください。")
        m = rows[0]
        lanes = {axis: tuple(Lane(r["id"], r["name"]) for r in self.db.query(
            f"SELECT id, name FROM {table} WHERE map_id = ? ORDER BY position, id", (map_id,)))
            for axis, table in _TABLES.items()}
        cells = {(r["stage_id"], r["row_id"]): r["text"] for r in self.db.query(
            """SELECT c.stage_id, c.row_id, c.text FROM journey_cells c
               JOIN journey_stages s ON s.id = c.stage_id WHERE s.map_id = ?""", (map_id,))}
        return JourneyMap(m["id"], m["name"], m["cluster"], m["persona"],
                          lanes[STAGE], lanes[ROW], cells)

    def create(self, name: str, cluster: str = "", persona: str = "",
               stages: list[str] | None = None, rows: list[str] | None = None) -> Change:
        """A new map (``created``); stages and rows default to
        resources/journeys/default_map.json."""
        name = user_text(name)
        if not name:
            raise InvalidInputError("マップの名前を入力してください。")
        layout = default_layout()
        stages = layout["stages"] if stages is None else stages
        rows = layout["rows"] if rows is None else rows
        with self.shop.journal.operation("journey", f"ジャーニーマップ作成（{name}）") as op:
            map_id = self._insert_map(name, cluster, persona, stages, rows)
        return Change(op.id, map_id)

    def _insert_map(self, name: str, cluster: str, persona: str, stages: list[str],
                    rows: list[str]) -> int:
        conn = self.db.conn
        map_id = conn.execute(
            "INSERT INTO journey_maps (name, cluster, persona, created_at, updated_at) "
            "VALUES (?,?,?,?,?)", (name, cluster, user_text(persona), now_text(), now_text())
        ).lastrowid
        for axis, names in ((STAGE, stages), (ROW, rows)):
            conn.executemany(
                f"INSERT INTO {_table(axis)} (map_id, position, name) VALUES (?,?,?)",
                [(map_id, i, _clean_name(axis, n)) for i, n in enumerate(names)])
        return map_id

    def duplicate(self, map_id: int, name: str, cluster: str | None = None) -> Change:
        """A copy of a map (``created``), cells included (e.g. to start the TOP10% map
        from TOP1%)."""
        name = user_text(name)
        if not name:
            raise InvalidInputError("マップの名前を入力してください。")
        source = self.get(map_id)
        conn = self.db.conn
        with self.shop.journal.operation("journey", f"ジャーニーマップ複製（{name}）") as op:
            new_id = self._insert_map(name, source.cluster if cluster is None else cluster,
                                      source.persona, [s.name for s in source.stages],
                                      [r.name for r in source.rows])
            copy = self.get(new_id)
            stage_ids = dict(zip((s.id for s in source.stages), (s.id for s in copy.stages)))
            row_ids = dict(zip((r.id for r in source.rows), (r.id for r in copy.rows)))
            conn.executemany(
                "INSERT INTO journey_cells (stage_id, row_id, text) VALUES (?,?,?)",
                [(stage_ids[s], row_ids[r], text) for (s, r), text in source.cells.items()])
        return Change(op.id, new_id)

    def update(self, map_id: int, *, name: str | None = None, cluster: str | None = None,
               persona: str | None = None) -> Change:
        """Change the map's name, cluster or persona description."""
        current = self.get(map_id)
        name = current.name if name is None else user_text(name)
        if not name:
            raise InvalidInputError("マップの名前を入力してください。")
        with self.shop.journal.operation("journey", f"ジャーニーマップ変更（{name}）") as op:
            self.db.conn.execute(
                "UPDATE journey_maps SET name = ?, cluster = ?, persona = ?, updated_at = ? "
                "WHERE id = ?",
                (name, current.cluster if cluster is None else cluster,
                 current.persona if persona is None else user_text(persona), now_text(), map_id))
        return Change(op.id)

    def delete(self, map_id: int) -> Change:
        """Delete a map with its stages, rows and cells (undoable)."""
        current = self.get(map_id)
        conn = self.db.conn
        with self.shop.journal.operation("journey", f"ジャーニーマップ削除（{current.name}）") as op:
            conn.execute("""DELETE FROM journey_cells WHERE stage_id IN
                            (SELECT id FROM journey_stages WHERE map_id = ?)""", (map_id,))
            for table in _TABLES.values():
                conn.execute(f"DELETE FROM {table} WHERE map_id = ?", (map_id,))
            conn.execute("DELETE FROM journey_maps WHERE id = ?", (map_id,))
        return Change(op.id)

    def set_cell(self, stage_id: int, row_id: int, text: str) -> Change:
        """Save one cell's text; empty text removes the cell (no operation when the
        cell already says so)."""
        map_id = self._map_of(STAGE, stage_id)
        if self._map_of(ROW, row_id) != map_id:
            raise InvalidInputError("段階と項目が別のマップのものです。")
        text = user_text(text)
        old = self.db.scalar("SELECT text FROM journey_cells WHERE stage_id = ? AND row_id = ?",
                             (stage_id, row_id))
        if (old or "") == text:
            return Change()
        conn = self.db.conn
        with self.shop.journal.operation("journey", "ジャーニーマップの記入") as op:
            if not text:
                conn.execute("DELETE FROM journey_cells WHERE stage_id = ? AND row_id = ?",
                             (stage_id, row_id))
            elif old is None:
                conn.execute("INSERT INTO journey_cells (stage_id, row_id, text) VALUES (?,?,?)",
                             (stage_id, row_id, text))
            else:
                conn.execute("UPDATE journey_cells SET text = ? WHERE stage_id = ? AND row_id = ?",
                             (text, stage_id, row_id))
            self._touch(map_id)
        return Change(op.id)

    # -- stages and rows ("lanes") ------------------------------------------

    def _map_of(self, axis: str, lane_id: int) -> int:
        map_id = self.db.scalar(f"SELECT map_id FROM {_table(axis)} WHERE id = ?", (lane_id,))
        if map_id is None:
            raise NotFoundError(f"この{_NAMES[axis]}はもうありません。画面を更新してください。")
        return map_id

    def _touch(self, map_id: int) -> None:
        self.db.conn.execute("UPDATE journey_maps SET updated_at = ? WHERE id = ?",
                             (now_text(), map_id))

    def add_lane(self, map_id: int, axis: str, name: str, index: int | None = None) -> Change:
        """Add a stage (axis "stage") or row (axis "row") at ``index`` (None = last);
        ``created`` is its id."""
        name = _clean_name(axis, name)
        self.get(map_id)
        table = _table(axis)
        with self.shop.journal.operation("journey", f"{_NAMES[axis]}の追加（{name}）") as op:
            position = positions.insert_slot(self.db.conn, table, "map_id", map_id, index)
            lane_id = self.db.conn.execute(
                f"INSERT INTO {table} (map_id, position, name) VALUES (?,?,?)",
                (map_id, position, name)).lastrowid
            self._touch(map_id)
        return Change(op.id, lane_id)

    def rename_lane(self, axis: str, lane_id: int, name: str) -> Change:
        name = _clean_name(axis, name)
        map_id = self._map_of(axis, lane_id)
        with self.shop.journal.operation("journey", f"{_NAMES[axis]}の名前変更（{name}）") as op:
            self.db.conn.execute(f"UPDATE {_table(axis)} SET name = ? WHERE id = ?",
                                 (name, lane_id))
            self._touch(map_id)
        return Change(op.id)

    def move_lane(self, axis: str, lane_id: int, index: int) -> Change:
        """Move a stage or row to ``index`` (clamped)."""
        map_id = self._map_of(axis, lane_id)
        with self.shop.journal.operation("journey", f"{_NAMES[axis]}の並べ替え") as op:
            positions.move(self.db.conn, _table(axis), "map_id", map_id, lane_id, index)
            self._touch(map_id)
        return Change(op.id)

    def delete_lane(self, axis: str, lane_id: int) -> Change:
        """Delete a stage or row and the texts in it (undoable)."""
        map_id = self._map_of(axis, lane_id)
        table = _table(axis)
        if len(positions.ordered_ids(self.db.conn, table, "map_id", map_id)) <= 1:
            raise OtokuiError(f"最後の{_NAMES[axis]}は削除できません。")
        column = "stage_id" if axis == STAGE else "row_id"
        conn = self.db.conn
        with self.shop.journal.operation("journey", f"{_NAMES[axis]}の削除") as op:
            conn.execute(f"DELETE FROM journey_cells WHERE {column} = ?", (lane_id,))
            conn.execute(f"DELETE FROM {table} WHERE id = ?", (lane_id,))
            positions.renumber(conn, table, positions.ordered_ids(conn, table, "map_id", map_id))
            self._touch(map_id)
        return Change(op.id)
