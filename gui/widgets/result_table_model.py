"""A read-only table model over a small pandas DataFrame whose columns vary
(survey result tables: one column per cluster or scale value)."""
from __future__ import annotations

import math

import pandas as pd
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class ResultTableModel(QAbstractTableModel):
    """Numbers are right-aligned; floats show two decimals; missing values are blank.

    With ``shares_of_last_row`` each count also shows its share of the column's
    last row (the 回答数 row of a choice question), e.g. "3（60%）".
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self._headers: list[str] = []
        self._rows: list[list] = []
        self._shares = False

    def set_frame(self, frame: pd.DataFrame, shares_of_last_row: bool = False) -> None:
        self.beginResetModel()
        self._headers = [str(c) for c in frame.columns]
        # to_dict gives Python ints and floats, not numpy scalars.
        self._rows = [[None if _missing(v) else v for v in row]
                      for row in frame.to_dict(orient="split", index=False)["data"]]
        self._shares = shares_of_last_row
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._headers)

    def data(self, index: QModelIndex | QPersistentModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        value = self._rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(index.row(), index.column(), value)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return RIGHT if _is_number(value) else LEFT
        if role == Qt.ItemDataRole.UserRole:
            return value
        return None

    def _text(self, row: int, column: int, value) -> str:
        if value is None:
            return ""
        if isinstance(value, float):
            return f"{value:.2f}"
        if self._shares and _is_number(value) and row < len(self._rows) - 1:
            total = self._rows[-1][column]
            if _is_number(total) and total:
                return f"{value}（{value * 100 / total:.0f}%）"
        return str(value)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role=Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self._headers[section] if 0 <= section < len(self._headers) else None
        return str(section + 1)


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))
