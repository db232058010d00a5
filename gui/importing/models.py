"""Table models of the 取込 tab: this session's result lines and the import history."""
from __future__ import annotations

from PySide6.QtCore import QModelIndex
from PySide6.QtGui import QColor

from engine.errors import BadFileError, CancelledError
from gui.widgets.record_table_model import Column, RecordTableModel

ERROR_COLOR = QColor("#b3261e")
MUTED_COLOR = QColor("#6b6b6b")


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
