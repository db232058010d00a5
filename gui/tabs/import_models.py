"""Table models of the 取込 tab: this session's result lines and the import history."""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from engine.errors import BadFileError, CancelledError

RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
ERROR_COLOR = QColor("#b3261e")
MUTED_COLOR = QColor("#6b6b6b")


@dataclass(frozen=True)
class Column:
    title: str
    key: str
    number: bool = False


class RecordTableModel(QAbstractTableModel):
    """Read-only rows of dicts shown through a fixed list of columns.

    Numbers are right-aligned with thousands separators; ``UserRole`` on any cell
    returns the whole row dict.
    """

    COLUMNS: list[Column] = []

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[dict] = []

    def set_rows(self, rows: list[dict]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def data(self, index: QModelIndex | QPersistentModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        column = self.COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            value = self.text(row, column)
            if column.number and isinstance(value, int):
                return f"{value:,}"
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return RIGHT if column.number else LEFT
        if role == Qt.ItemDataRole.ForegroundRole:
            color = self.color(row)
            return QBrush(color) if color is not None else None
        if role == Qt.ItemDataRole.ToolTipRole and column.key == "message":
            return row.get("message") or None
        if role == Qt.ItemDataRole.UserRole:
            return row
        return None

    def text(self, row: dict, column: Column):
        return row.get(column.key)

    def color(self, row: dict) -> QColor | None:
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role=Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self.COLUMNS[section].title if 0 <= section < len(self.COLUMNS) else None
        return str(section + 1)


class ImportResultsModel(RecordTableModel):
    """One line per file imported in this session, newest last."""

    COLUMNS = [Column("ファイル", "file"), Column("形式", "format"),
               Column("新規注文", "added", True), Column("更新", "updated", True),
               Column("変更なし", "unchanged", True), Column("新しい顧客", "customers", True),
               Column("結果", "message")]

    def add_result(self, result, format_label: str) -> None:
        if result.already_imported:
            message = "取込済みのファイルです。変更はありません。"
        else:
            message = f"取り込みました（{result.rows_read:,}行、明細 {result.lines:,}件）"
        self._append({"file": result.file_name, "format": format_label,
                      "added": result.orders_added, "updated": result.orders_updated,
                      "unchanged": result.orders_unchanged, "customers": result.customers_added,
                      "message": message, "ok": True})

    def add_error(self, file_name: str, exc: BaseException) -> None:
        self._append({"file": file_name, "format": "", "message": error_text(exc),
                      "ok": isinstance(exc, CancelledError), "error": True})

    def _append(self, row: dict) -> None:
        self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows))
        self.rows.append(row)
        self.endInsertRows()

    def color(self, row: dict) -> QColor | None:
        if row.get("error"):
            return MUTED_COLOR if row["ok"] else ERROR_COLOR
        return None


def error_text(exc: BaseException) -> str:
    """The message without the file name (the line already shows it)."""
    if isinstance(exc, CancelledError):
        return "中止しました。このファイルのデータは変更されていません。"
    if isinstance(exc, BadFileError):
        where = []
        if exc.row is not None:
            where.append(f"{exc.row}行目")
        if exc.column:
            where.append(f"「{exc.column}」列")
        return (f"{''.join(where)}: " if where else "") + exc.reason
    return str(exc)


class ImportHistoryModel(RecordTableModel):
    """``shop.imports.history()``: every import, newest first."""

    COLUMNS = [Column("取込日時", "started_at"), Column("ファイル", "file_name"),
               Column("形式", "source"), Column("読込行数", "rows_read", True),
               Column("新規注文", "orders_added", True), Column("更新", "orders_updated", True),
               Column("変更なし", "orders_unchanged", True),
               Column("新しい顧客", "customers_added", True), Column("状態", "state")]

    def __init__(self, parent=None):
        super().__init__(parent)
        self.labels: dict[str, str] = {}

    def set_history(self, rows: list[dict], labels: dict[str, str]) -> None:
        self.labels = labels
        self.set_rows(rows)

    def text(self, row: dict, column: Column):
        if column.key == "source":
            return self.labels.get(row["source"], row["source"])
        if column.key == "started_at":
            return (row["started_at"] or "")[:16]
        if column.key == "state":
            if row["undone_at"]:
                return f"取り消し済み（{row['undone_at'][:16]}）"
            if row["finished_at"] is None:
                return "未完了"
            return "取り消しできます" if row["can_undo"] else "後の変更があるため取り消せません"
        return row.get(column.key)

    def color(self, row: dict) -> QColor | None:
        return MUTED_COLOR if row["undone_at"] else None
