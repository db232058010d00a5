"""A lazy, sortable table model over a pandas DataFrame with typed, Japanese-labelled columns.

Cells are formatted only when the view asks for them, and rows are handed to the
view in chunks (``canFetchMore``/``fetchMore``), so a 300 000-customer list opens
at once. Sorting reorders the whole frame, not only the rows shown so far.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QTableView

from gui.widgets.labels import CLUSTER_LABELS, MEDIUM_LABELS, ORDER_STATUS_LABELS, SOURCE_LABELS, \
    TASK_STATUS_LABELS, TOUCH_SOURCE_LABELS

RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
CENTER = Qt.AlignmentFlag.AlignCenter
CHUNK = 500

# The raw value of a cell, for code that needs the number rather than its text.
VALUE_ROLE = Qt.ItemDataRole.UserRole


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _integer(value) -> str:
    return f"{int(value):,}"


FORMATS: dict[str, Callable[[object], str]] = {
    "text": str,
    "int": _integer,
    "yen": lambda v: f"¥{int(v):,}",
    "days": lambda v: f"{int(v):,}日",
    "percent": lambda v: f"{float(v) * 100:.1f}%",
    "ratio": lambda v: f"{float(v):.2f}",
    "date": lambda v: str(v)[:10],
    "yesno": lambda v: "○" if v else "×",
    "cluster": lambda v: CLUSTER_LABELS.get(v, str(v)),
    "medium": lambda v: MEDIUM_LABELS.get(v, str(v)),
    "source": lambda v: SOURCE_LABELS.get(v, str(v)),
    "order_status": lambda v: ORDER_STATUS_LABELS.get(v, str(v)),
    "task_status": lambda v: TASK_STATUS_LABELS.get(v, str(v)),
    "touch_source": lambda v: TOUCH_SOURCE_LABELS.get(v, str(v)),
}
_CLUSTER_RANK = {code: rank for rank, code in enumerate(CLUSTER_LABELS)}
NUMERIC_KINDS = {"int", "yen", "days", "percent", "ratio"}


@dataclass(frozen=True)
class Column:
    """``key`` is the frame column; ``kind`` picks a formatter from FORMATS; ``width`` in
    characters of the Japanese font (0 = stretch to fit)."""
    key: str
    header: str
    kind: str = "text"
    width: int = 8


class FrameModel(QAbstractTableModel):
    def __init__(self, columns: list[Column], parent=None):
        super().__init__(parent)
        self.columns = columns
        self._frame = pd.DataFrame(columns=[c.key for c in columns])
        self._arrays: list[np.ndarray] = []
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
            self._frame = self._sorted(self._frame, *self._sort)
        self._cache_arrays()
        self._shown = min(len(self._frame), CHUNK)
        self.endResetModel()

    def _cache_arrays(self) -> None:
        # Object arrays per column: data() then indexes a list, not a DataFrame.
        self._arrays = [self._frame[c.key].to_numpy(dtype=object) if c.key in self._frame
                        else np.full(len(self._frame), None, dtype=object)
                        for c in self.columns]

    def row(self, row: int) -> dict:
        """One row of the frame as a dict of plain values."""
        return {k: (None if _missing(v) else v.item() if isinstance(v, np.generic) else v)
                for k, v in self._frame.iloc[row].items()}

    def value(self, row: int, key: str):
        value = self._frame.at[row, key]
        return None if _missing(value) else value

    def widest_numbers(self) -> dict[int, str]:
        """Per numeric column (by position): the longer text of its largest and its
        smallest value, for widening a column the figures would not fit."""
        widest = {}
        for index, column in enumerate(self.columns):
            if column.kind not in NUMERIC_KINDS or column.key not in self._frame:
                continue
            values = pd.to_numeric(self._frame[column.key], errors="coerce").dropna()
            if len(values):
                texts = [FORMATS[column.kind](v) for v in (values.max(), values.min())]
                widest[index] = max(texts, key=len)
        return widest

    def total_rows(self) -> int:
        return len(self._frame)

    def show_all(self) -> None:
        """Hand every row to the view (tests and ``select all`` need the whole list)."""
        while self.canFetchMore():
            self.fetchMore()

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
        column = self.columns[index.column()]
        value = self._arrays[index.column()][index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return "" if _missing(value) else FORMATS[column.kind](value)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if column.kind in NUMERIC_KINDS:
                return RIGHT
            return CENTER if column.kind == "yesno" else LEFT
        if role == Qt.ItemDataRole.ToolTipRole and column.kind == "text" and not _missing(value):
            text = str(value)
            return text if len(text) > column.width else None
        if role == VALUE_ROLE:
            return None if _missing(value) else value.item() if isinstance(value, np.generic) \
                else value
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role=Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self.columns[section].header if 0 <= section < len(self.columns) else None
        return str(section + 1)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns):
            return
        self._sort = (column, order)
        self.layoutAboutToBeChanged.emit()
        self._frame = self._sorted(self._frame, column, order)
        self._cache_arrays()
        self.layoutChanged.emit()

    def _sorted(self, frame: pd.DataFrame, column: int, order: Qt.SortOrder) -> pd.DataFrame:
        key = self.columns[column].key
        if key not in frame or frame.empty:
            return frame
        ascending = order == Qt.SortOrder.AscendingOrder
        # Clusters sort in their rank order (TOP1% first), not alphabetically.
        by_rank = (lambda s: s.map(_CLUSTER_RANK)) if self.columns[column].kind == "cluster" \
            else None
        return frame.sort_values(key, ascending=ascending, kind="mergesort", na_position="last",
                                 key=by_rank).reset_index(drop=True)


def table_view(model: FrameModel, sortable: bool = True):
    """A read-only, row-selecting view for ``model`` with the columns' widths."""
    from PySide6.QtWidgets import QAbstractItemView

    view = FrameView()
    view.setModel(model)
    model.modelReset.connect(view.fit_numbers)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 8)
    view.horizontalHeader().setHighlightSections(False)
    # No indicator first, so enabling sorting keeps the engine's order.
    view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
    view.setSortingEnabled(sortable)
    apply_widths(view, model.columns)
    return view


class FrameView(QTableView):
    """Widens a numeric column when its largest figure would not fit (a top
    customer's ¥12,345,678), never narrows one."""

    def fit_numbers(self) -> None:
        model = self.model()
        if not isinstance(model, FrameModel):
            return
        metrics = self.fontMetrics()
        for index, text in model.widest_numbers().items():
            needed = metrics.horizontalAdvance(text) + 16
            if self.columnWidth(index) < needed:
                self.setColumnWidth(index, needed)


def apply_widths(view, columns: list[Column]) -> None:
    """Column widths from the model's character widths; a width of 0 stretches."""
    from PySide6.QtWidgets import QHeaderView

    header = view.horizontalHeader()
    char = view.fontMetrics().horizontalAdvance("あ")
    for index, column in enumerate(columns):
        if column.width:
            view.setColumnWidth(index, column.width * char + 12)
        else:
            header.setSectionResizeMode(index, QHeaderView.ResizeMode.Stretch)
    if isinstance(view, FrameView):
        view.fit_numbers()
