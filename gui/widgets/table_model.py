"""The one table model of the GUI: a lazy, sortable model over a pandas DataFrame
with typed, Japanese-headed columns, formatted by :mod:`gui.widgets.cell_format`.

Cells are formatted only when the view asks for them, and rows are handed to the
view in chunks (``canFetchMore``/``fetchMore``), so a 300 000-customer list opens
at once. Sorting reorders the whole frame, not only the rows shown so far.
Editable tables extend it with ``flags``/``setData`` and change cells through
:meth:`TableModel.set_value`, :meth:`TableModel.insert_row` and
:meth:`TableModel.remove_row`; how cells and headers look stays here.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush

from gui.widgets import cell_format

CHUNK = 500

# The raw value of a cell, for code that needs the number rather than its text.
VALUE_ROLE = Qt.ItemDataRole.UserRole


@dataclass(frozen=True)
class Column:
    """``key`` is the frame column; ``kind`` how its values show (see cell_format);
    ``width`` in characters of the Japanese font (0 = stretch to fit); ``blank``
    what a missing value shows as."""
    key: str
    header: str
    kind: str = "text"
    width: int = 8
    blank: str = ""

    def __post_init__(self) -> None:
        if self.kind not in cell_format.KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


def columns_of(frame: pd.DataFrame, width: int = 8) -> list[Column]:
    """Columns for a frame known only at run time (a survey's results, a file's first
    rows), headed by the frame's own names: whole numbers show as counts, other
    numbers as ratios, anything else as text."""
    def kind(values: pd.Series) -> str:
        if pd.api.types.is_integer_dtype(values):
            return "int"
        return "ratio" if pd.api.types.is_float_dtype(values) else "text"
    return [Column(key, str(key), kind(frame[key]), width) for key in frame.columns]


def plain(value):
    if cell_format.is_missing(value):
        return None
    return value.item() if isinstance(value, np.generic) else value


class TableModel(QAbstractTableModel):
    """``tone_key`` names a frame column whose value ("error", "muted") colours its
    row's text; ``header_key`` one whose value names its row in the vertical header
    (without it rows are numbered)."""

    def __init__(self, columns: list[Column], parent=None, tone_key: str | None = None,
                 header_key: str | None = None):
        super().__init__(parent)
        self.columns = columns
        self.tone_key = tone_key
        self.header_key = header_key
        self._labels: dict[str, Mapping[str, str]] = {}
        self._frame = pd.DataFrame(columns=[c.key for c in columns])
        self._arrays: list[np.ndarray] = []
        self._tones: np.ndarray | None = None
        self._headers: np.ndarray | None = None
        self._shown = 0
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self.set_frame(self._frame)

    # --- contents ---------------------------------------------------------------

    @property
    def frame(self) -> pd.DataFrame:
        return self._frame

    def set_frame(self, frame: pd.DataFrame, columns: list[Column] | None = None) -> None:
        """Show ``frame`` (sorted as the user last asked); the view scrolls in chunks.

        ``columns`` replaces the column set, for tables whose columns depend on the data.
        """
        self.beginResetModel()
        if columns is not None:
            self.columns, self._sort = columns, None
        self._frame = frame.reset_index(drop=True)
        if self._sort is not None:
            self._apply_sort(*self._sort)
        self._cache_arrays()
        self._shown = min(len(self._frame), CHUNK)
        self.endResetModel()

    def set_labels(self, kind: str, labels: Mapping[str, str]) -> None:
        """Name the codes of ``kind`` by ``labels`` (an order's source by the shop's
        presets) instead of the formatting policy's own."""
        self._labels[kind] = labels
        if self._shown and self.columns:
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(self._shown - 1, len(self.columns) - 1))

    def _cache_arrays(self) -> None:
        # Object arrays per column: data() then indexes a list, not a DataFrame.
        self._arrays = [self._column_array(c.key) for c in self.columns]
        self._tones = None if self.tone_key is None else self._column_array(self.tone_key)
        self._headers = None if self.header_key is None else self._column_array(self.header_key)

    def _column_array(self, key: str) -> np.ndarray:
        if key in self._frame:
            return self._frame[key].to_numpy(dtype=object)
        return np.full(len(self._frame), None, dtype=object)

    def row(self, row: int) -> dict:
        """One row of the frame as a dict of plain values (missing ones None)."""
        return {k: plain(v) for k, v in self._frame.iloc[row].items()}

    def records(self) -> list[dict]:
        """Every row of the frame, shown yet or not, as :meth:`row` gives it."""
        return [self.row(i) for i in range(len(self._frame))]

    def value(self, row: int, key: str):
        return plain(self._frame.at[row, key])

    def widest_numbers(self) -> dict[int, str]:
        """Per numeric column (by position): the longer text of its largest and its
        smallest value, for widening a column the figures would not fit."""
        widest = {}
        for index, column in enumerate(self.columns):
            if column.kind not in cell_format.NUMERIC_KINDS or column.key not in self.frame:
                continue
            values = pd.to_numeric(self.frame[column.key], errors="coerce").dropna()
            if len(values):
                texts = [cell_format.text(column.kind, v) for v in (values.max(), values.min())]
                widest[index] = max(texts, key=len)
        return widest

    def total_rows(self) -> int:
        return len(self._frame)

    def show_all(self) -> None:
        """Hand every row to the view (tests and ``select all`` need the whole list)."""
        while self.canFetchMore():
            self.fetchMore()

    # --- changing cells and rows (editable tables) --------------------------------

    def set_value(self, row: int, key: str, value) -> None:
        """Change one cell in place; the view repaints it."""
        self._frame.at[row, key] = value
        self._cache_arrays()
        column = next((i for i, c in enumerate(self.columns) if c.key == key), None)
        if column is not None and row < self._shown:
            index = self.index(row, column)
            self.dataChanged.emit(index, index)

    def insert_row(self, row: int, values: dict) -> None:
        """Insert a row of ``values`` (by key) before ``row``, shown at once."""
        self.beginInsertRows(QModelIndex(), row, row)
        records = self._frame.to_dict("records")
        records.insert(row, values)
        self._frame = pd.DataFrame(records, columns=self._frame.columns, dtype=object)
        self._cache_arrays()
        self._shown += 1
        self.endInsertRows()

    def remove_row(self, row: int) -> None:
        self.beginRemoveRows(QModelIndex(), row, row)
        self._frame = self._frame.drop(index=row).reset_index(drop=True)
        self._cache_arrays()
        self._shown -= 1
        self.endRemoveRows()

    # --- QAbstractTableModel --------------------------------------------------------

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else self._shown

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def canFetchMore(self, parent=QModelIndex()) -> bool:
        return not parent.isValid() and self._shown < len(self._frame)

    def fetchMore(self, parent=QModelIndex()) -> None:
        if parent.isValid():
            return
        more = min(CHUNK, len(self._frame) - self._shown)
        if more <= 0:
            return
        self.beginInsertRows(QModelIndex(), self._shown, self._shown + more - 1)
        self._shown += more
        self.endInsertRows()

    def data(self, index: QModelIndex | QPersistentModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        return self._cell(self.columns[index.column()],
                          self._arrays[index.column()][index.row()], index.row(), role)

    def _cell(self, column: Column, value, row: int, role):
        """What ``role`` of a cell of ``column`` holding ``value`` shows."""
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(column, value)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return cell_format.alignment(column.kind)
        if role == Qt.ItemDataRole.ToolTipRole:
            return cell_format.tooltip(column.kind, self._text(column, value), column.width)
        if role == Qt.ItemDataRole.ForegroundRole and self._tones is not None:
            tone = cell_format.TONES.get(self._tones[row])
            return None if tone is None else QBrush(tone)
        if role in (VALUE_ROLE, Qt.ItemDataRole.EditRole):
            return plain(value)
        return None

    def _text(self, column: Column, value) -> str:
        if cell_format.is_missing(value):
            return column.blank
        return cell_format.text(column.kind, value, self._labels.get(column.kind))

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role=Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self.columns[section].header if 0 <= section < len(self.columns) else None
        if self._headers is not None:
            return str(self._headers[section]) if 0 <= section < len(self._headers) else None
        return str(section + 1)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns):
            return
        self._sort = (column, order)
        self.layoutAboutToBeChanged.emit()
        self._apply_sort(column, order)
        self._cache_arrays()
        self.layoutChanged.emit()

    def _apply_sort(self, column: int, order: Qt.SortOrder) -> None:
        if self.columns[column].key not in self._frame or self._frame.empty:
            return
        self._frame = self._frame.take(self._sort_order(
            self._frame, column, order == Qt.SortOrder.DescendingOrder)).reset_index(drop=True)

    def _sort_order(self, frame: pd.DataFrame, column: int, descending: bool) -> np.ndarray:
        """Positions of ``frame``'s rows sorted by ``column`` (stable, missing last)."""
        spec = self.columns[column]
        ranked = frame.reset_index(drop=True).sort_values(
            spec.key, ascending=not descending, kind="mergesort", na_position="last",
            key=cell_format.sort_key(spec.kind, self._labels.get(spec.kind)))
        return ranked.index.to_numpy()
