"""Downloads that come as two files: one row per order and one row per line, joined
on the order number (Yahoo!ショッピング's 注文 and 商品).

The two files may be dropped together or one after the other, in either order: a
file whose partner has not come yet is kept in the database (``pending_parts``)
until it does, and the pair is then imported as one operation. The order file
can also be imported on its own, with each order's goods subtotal and no lines
(the customers and sales are right at once; the lines come with the other file).
A line file on its own cannot be imported: it has no buyer and no date.
"""
from __future__ import annotations

import hashlib
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from engine.errors import BadFileError
from engine.imports.detection import bind, require_columns
from engine.imports.formats import FilePart, FormatPreset
from engine.imports.reader import OpenedFile, Origin, Table, open_file
from engine.store.database import now_text

# A half kept waiting for its partner is a month or a year of orders, not more.
MAX_PENDING_BYTES = 200 << 20


class PartMissingError(BadFileError):
    """One file of a two-file download came alone and cannot be imported alone;
    it is kept until the other file comes (the message names that file)."""


@dataclass
class JoinedFile:
    """The two files as one export: each row of the line file with its order's
    columns. Read like an OpenedFile; errors name the line file's rows."""
    lines_file: OpenedFile
    orders_file: OpenedFile
    line_key: str
    order_key: str
    headers: list[str] = field(init=False)

    def __post_init__(self):
        extra = [h for h in self.orders_file.headers if h not in self.lines_file.headers]
        self.headers = self.lines_file.headers + extra
        self._extra = extra

    @property
    def path(self) -> Path:
        return self.lines_file.path

    @property
    def name(self) -> str:
        return f"{self.orders_file.path.name}＋{self.lines_file.path.name}"

    @property
    def sha256(self) -> str:
        pair = self.orders_file.sha256 + self.lines_file.sha256
        return hashlib.sha256(pair.encode()).hexdigest()

    @property
    def encoding(self) -> str:
        return self.lines_file.encoding

    @property
    def lines(self) -> int:
        return self.lines_file.lines

    def chunks(self, rows: int | None = None) -> Iterator[Table]:
        orders = next(self.orders_file.chunks(None))
        keys = orders.frame[self.order_key].str.strip()
        repeated = keys.duplicated().to_numpy()
        if repeated.any():
            raise BadFileError(self.orders_file.path, "同じ注文番号の注文が2行あります。",
                               row=int(orders.rows[np.flatnonzero(repeated)[0]]),
                               column=self.order_key)
        columns = orders.frame[self._extra].set_axis(keys.to_numpy())
        order_rows = pd.Series(orders.rows, index=keys.to_numpy())
        seen = set()
        for table in self.lines_file.chunks(rows):
            numbers = table.frame[self.line_key].str.strip()
            unknown = ~numbers.isin(columns.index).to_numpy()
            if unknown.any():
                raise BadFileError(self.lines_file.path,
                                   f"注文番号「{numbers.iloc[np.flatnonzero(unknown)[0]]}」の注文が"
                                   f"{self.orders_file.path.name} にありません。同じ期間にダウンロード"
                                   "した2つのファイルか確認してください。",
                                   row=int(table.rows[np.flatnonzero(unknown)[0]]),
                                   column=self.line_key)
            seen.update(numbers.unique().tolist())
            frame = table.frame.join(columns.reindex(numbers.to_numpy())
                                     .set_axis(table.frame.index))
            origin = Origin(self.orders_file.path, frozenset(self._extra),
                            order_rows.reindex(numbers.to_numpy()).to_numpy())
            yield Table(self.headers, frame, table.rows, table.encoding, origin=origin)
        lonely = ~keys.isin(seen).to_numpy()
        if lonely.any():
            first = np.flatnonzero(lonely)[0]
            raise BadFileError(self.orders_file.path,
                               f"注文番号「{keys.iloc[first]}」の商品が {self.lines_file.path.name} "
                               "にありません。同じ期間にダウンロードした2つのファイルか確認してください。",
                               row=int(orders.rows[first]), column=self.order_key)


@dataclass
class Assembly:
    """What one import reads: ``source`` with ``preset`` bound to it, shown as
    ``name``; the kept files it uses (removed when it commits) and the file to keep
    for its partner once imported (an order file imported on its own)."""
    source: OpenedFile | JoinedFile
    preset: FormatPreset
    name: str
    consumed: list[int] = field(default_factory=list)
    keep: OpenedFile | None = None


class Downloads:
    """Putting the files of a two-file download together (shop.imports uses it)."""

    def __init__(self, db, registry):
        self.db, self.registry = db, registry

    def assemble(self, opened: OpenedFile, preset: FormatPreset, partners: list[Path],
                 stack: ExitStack) -> Assembly:
        """``opened`` (with ``preset`` bound to it) ready to import: alone, or joined
        with its partner among ``partners`` or kept from an earlier drop. Temporary
        copies of kept files live as long as ``stack``."""
        if preset.part is None:
            if partners:
                raise BadFileError(partners[0], f"{opened.path.name} と一緒に取り込むファイルでは"
                                                "ありません（2つに分かれたダウンロードではありません）。")
            return Assembly(opened, preset, opened.path.name)
        full = self.registry.by_name(preset.name)
        files = {preset.part: opened}
        for path in partners:
            other = open_file(path)
            bound = self.registry.detect(path, other.headers)
            if bound.name != preset.name or bound.part is None or bound.part in files:
                raise BadFileError(path, f"{opened.path.name} と一緒に取り込むファイルではありません"
                                         f"（「{full.label}」のもう一方のファイルではありません）。")
            files[bound.part] = other
        consumed = []
        for part in full.files:
            if part.name not in files:
                kept = self._kept(full.name, part.name, stack)
                # A kept file of another download (another month) waits on.
                if kept is not None and _shared_orders(full, kept[1], opened):
                    consumed.append(kept[0])
                    files[part.name] = kept[1]
        if len(files) == len(full.files):
            joined = self._joined(full, files)
            bound = bind(full, joined.headers)
            require_columns(joined.name, full, bound)
            return Assembly(joined, bound, joined.name, consumed)
        if "quantity" not in preset.fields and "order_amount" in preset.fields:
            require_columns(opened.path, full, preset)
            return Assembly(opened, preset, opened.path.name, keep=opened)
        self._keep(full.name, preset.part, opened)
        other = next(part for part in full.files if part.name not in files)
        raise PartMissingError(opened.path, _missing_message(full, full.file_part(preset.part),
                                                             other), row=None)

    def settle(self, assembly: Assembly, preset: FormatPreset) -> None:
        """Inside the import's transaction: forget the kept files it used, keep the
        file imported on its own for its partner."""
        if assembly.consumed:
            marks = ",".join("?" * len(assembly.consumed))
            self.db.conn.execute(f"DELETE FROM pending_parts WHERE id IN ({marks})",
                                 assembly.consumed)
        if assembly.keep is not None:
            self._store(self.db.conn, preset.name, preset.part, assembly.keep)

    def _joined(self, full: FormatPreset, files: dict[str, OpenedFile]) -> JoinedFile:
        bound = {name: bind(full, opened.headers) for name, opened in files.items()}
        lines_part = next(name for name, b in bound.items() if "quantity" in b.fields)
        orders_part = next(name for name in files if name != lines_part)
        return JoinedFile(files[lines_part], files[orders_part],
                          bound[lines_part].fields["order_no"][0],
                          bound[orders_part].fields["order_no"][0])

    def _kept(self, preset: str, part: str, stack: ExitStack) -> tuple[int, OpenedFile] | None:
        row = self.db.conn.execute(
            "SELECT id, file_name, content FROM pending_parts WHERE format = ? AND part = ?",
            (preset, part)).fetchone()
        if row is None:
            return None
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="otokui-")))
        copy = folder / row[1]
        copy.write_bytes(row[2])
        return row[0], open_file(copy)

    def _keep(self, preset: str, part: str, opened: OpenedFile) -> None:
        with self.db.transaction() as conn:
            self._store(conn, preset, part, opened)

    @staticmethod
    def _store(conn, preset: str, part: str, opened: OpenedFile) -> None:
        if opened.path.stat().st_size > MAX_PENDING_BYTES:
            raise BadFileError(opened.path, "もう一方のファイルを待つには大きすぎます。"
                                            "2つのファイルを一緒に取り込んでください。")
        conn.execute(
            "INSERT INTO pending_parts (format, part, file_name, sha256, content, kept_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (format, part) DO UPDATE SET "
            "file_name = excluded.file_name, sha256 = excluded.sha256, "
            "content = excluded.content, kept_at = excluded.kept_at",
            (preset, part, opened.path.name, opened.sha256, opened.path.read_bytes(), now_text()))


def _shared_orders(preset: FormatPreset, one: OpenedFile, other: OpenedFile) -> bool:
    """Whether two files of ``preset``'s download have an order number in common."""
    def numbers(opened: OpenedFile) -> set[str]:
        column = bind(preset, opened.headers).fields["order_no"][0]
        return set(next(opened.chunks(None)).frame[column].str.strip())
    return bool(numbers(one) & numbers(other))


def _missing_message(preset: FormatPreset, have: FilePart, need: FilePart) -> str:
    names = "」と「".join(part.label for part in preset.files)
    where = f"（{need.download}）" if need.download else ""
    platform = preset.label.split("（")[0]
    return (f"{platform}の注文データは「{names}」の{len(preset.files)}つのファイルです。"
            f"これは「{have.label}」のファイルです。「{need.label}」のファイル{where}も一緒に"
            "取り込んでください。このファイルは、もう一方を取り込むまで覚えておきます。")


def group_downloads(registry, paths: list[Path], peek) -> list[tuple[Path, ...]]:
    """``paths`` as import units, in the order given: the files of one two-file
    download together (the first file of each part not yet taken), every other
    file alone. ``peek(path)`` gives a header row, or None when it cannot."""
    units: list[list[Path]] = []
    open_units: dict[str, list[tuple[set[str], list[Path]]]] = {}
    for path in map(Path, paths):
        headers = peek(path)
        part = preset = None
        if headers is not None:
            try:
                bound = registry.detect(path, headers)
            except BadFileError:
                bound = None
            if bound is not None and bound.part is not None:
                preset, part = bound.name, bound.part
        if part is None:
            units.append([path])
            continue
        waiting = next((unit for unit in open_units.get(preset, []) if part not in unit[0]), None)
        if waiting is None:
            unit = [path]
            units.append(unit)
            open_units.setdefault(preset, []).append(({part}, unit))
        else:
            waiting[0].add(part)
            waiting[1].append(path)
    return [tuple(unit) for unit in units]
