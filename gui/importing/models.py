"""Table models of the 取込 tab: this session's result lines and the import history."""
from __future__ import annotations

import pandas as pd

from engine.errors import BadFileError, CancelledError
from gui.widgets.table_model import Column, TableModel

RESULT_COLUMNS = [Column("file", "ファイル", "text", 12), Column("format", "形式", "text", 12),
                  Column("added", "新規注文", "int", 4), Column("updated", "更新", "int", 3),
                  Column("unchanged", "変更なし", "int", 4),
                  Column("customers", "新しい顧客", "int", 5), Column("message", "結果", "text", 0)]
PRODUCT_LIST_FORMAT = "商品リスト（消費サイクル）"
HISTORY_COLUMNS = [Column("started_at", "取込日時", "datetime", 9),
                   Column("file_name", "ファイル", "text", 12),
                   Column("source", "形式", "source", 12),
                   Column("rows_read", "読込行数", "int", 4),
                   Column("orders_added", "新規注文", "int", 4),
                   Column("orders_updated", "更新", "int", 3),
                   Column("orders_unchanged", "変更なし", "int", 4),
                   Column("customers_added", "新しい顧客", "int", 5),
                   Column("state", "状態", "text", 0),
                   Column("staff", "担当", "text", 8)]


class ImportResultsModel(TableModel):
    """One line per file imported in this session, newest last."""

    def __init__(self, parent=None):
        super().__init__(RESULT_COLUMNS, parent, tone_key="tone")
        self._lines: list[dict] = []

    def add_result(self, result, format_label: str) -> None:
        if result.already_imported:
            message = "取込済みのファイルです。変更はありません。"
        else:
            message = f"取り込みました（{result.rows_read:,}行、明細 {result.lines:,}件）"
        self._append({"file": result.file_name, "format": format_label,
                      "added": result.orders_added, "updated": result.orders_updated,
                      "unchanged": result.orders_unchanged, "customers": result.customers_added,
                      "message": message})

    def add_product_list(self, file_name: str, change) -> None:
        """A product list's usage cycles were imported (``change`` from
        ``shop.products.import_cycles``); its line can be undone."""
        self._append({"file": file_name, "format": PRODUCT_LIST_FORMAT,
                      "message": product_list_message(change.counts),
                      "operation": change.operation})

    def undoable_operation(self, row: int) -> int | None:
        """The journal operation that undoes line ``row`` (a product list not yet undone)."""
        if not 0 <= row < len(self._lines):
            return None
        return self._lines[row].get("operation")

    def mark_undone(self, row: int) -> None:
        line = self._lines[row]
        line.update(operation=None, tone="muted",
                    message=line["message"] + "（取り消しました）")
        self._append(None)

    def add_error(self, file_name: str, exc: BaseException) -> None:
        self._append({"file": file_name, "format": "", "message": error_text(exc),
                      "tone": "muted" if isinstance(exc, CancelledError) else "error"})

    def _append(self, line: dict | None) -> None:
        if line is not None:
            self._lines.append(line)
        self.set_frame(pd.DataFrame(self._lines, columns=[*(c.key for c in RESULT_COLUMNS),
                                                          "tone"], dtype=object))


def product_list_message(counts) -> str:
    """What a product list's import did, for the 結果 column."""
    changes = [f"{label} {counts[key]:,}" for key, label in
               (("set", "新規"), ("updated", "更新"), ("cleared", "解除")) if counts[key]]
    return (f"商品リストを取り込みました：消費サイクル {counts['cycles']:,}商品"
            f"（{'、'.join(changes) or '変更なし'}）")


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


def import_state(row: dict) -> str:
    """Whether an import (a row of ``shop.imports.history()``) can still be undone."""
    if row["undone_at"]:
        return f"取り消し済み（{row['undone_at'][:16]}）"
    if row["finished_at"] is None:
        return "未完了"
    return "取り消しできます" if row["can_undo"] else "後の変更があるため取り消せません"


class ImportHistoryModel(TableModel):
    """``shop.imports.history()``: every import, newest first; its format is named by
    the preset's label."""

    def __init__(self, parent=None):
        super().__init__(HISTORY_COLUMNS, parent, tone_key="tone")

    def set_history(self, rows: list[dict], labels: dict[str, str]) -> None:
        self.set_labels("source", labels)
        frame = pd.DataFrame(rows, dtype=object)
        frame["state"] = [import_state(row) for row in rows]
        frame["tone"] = ["muted" if row["undone_at"] else None for row in rows]
        self.set_frame(frame)
