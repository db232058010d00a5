"""ファイル → バックアップを作成 / バックアップから復元… (SPEC §7)."""
from __future__ import annotations

import pandas as pd
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QDialogButtonBox, QLabel, QMessageBox,
                               QVBoxLayout, QWidget)

from gui.context import AppContext
from gui.widgets.cell_format import FORMATS
from gui.widgets.confirm import confirm
from gui.widgets.table_model import Column, TableModel
from gui.widgets.table_view import table_view

IN_MEMORY = "メモリ上のデータベースにはバックアップがありません。ファイルのデータベースを開いてください。"


BACKUP_COLUMNS = [Column("created_at", "作成日時", "datetime", 9),
                  Column("size_bytes", "サイズ", "bytes", 4), Column("kind", "内容", "text", 5),
                  Column("reason", "きっかけ", "text", 0)]
FULL, CHANGES = "全体", "前回からの変更分"


def backup_frame(backups) -> pd.DataFrame:
    """``shop.backups.list()`` as rows, each keeping its BackupInfo under "backup"."""
    return pd.DataFrame({"created_at": [b.created_at for b in backups],
                         "size_bytes": [b.size_bytes for b in backups],
                         "kind": [FULL if b.full else CHANGES for b in backups],
                         "reason": [b.reason for b in backups], "backup": backups},
                        dtype=object)


def disk_text(backups, database_bytes: int) -> str:
    """What the backups cost on disk, e.g. 「バックアップ 10件・合計 620.0 MB（データベースの 18%）」."""
    total = sum(b.size_bytes for b in backups)
    share = f"（データベースの {total / database_bytes:.0%}）" if database_bytes else ""
    return f"バックアップ {len(backups)}件・合計 {FORMATS['bytes'](total)}{share}"


def _listing(shop):
    """The backups and the database file's size (0 for a shop on a server: its
    backups are kept on this PC, of a database whose size is the server's)."""
    path = shop.path
    return shop.backups.list(), (path.stat().st_size if path is not None and path.exists() else 0)


def create_backup(parent: QWidget, ctx: AppContext) -> None:
    """Back up the open database on the worker and say where the copy is."""
    if ctx.shop.path is None and not ctx.on_server:
        QMessageBox.information(parent, "Otokui", IN_MEMORY)
        return

    def done(info) -> None:
        QMessageBox.information(parent, "Otokui", f"バックアップを作成しました。\n{info.path}")

    ctx.run(parent, lambda shop, progress, cancel: shop.backups.create("手動で作成", progress),
            done, label="バックアップを作成しています…")


class BackupDialog(QDialog):
    """The backups of the open database; the chosen one replaces its content."""

    def __init__(self, parent: QWidget, ctx: AppContext):
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("バックアップから復元")
        self.model = TableModel(BACKUP_COLUMNS, self)
        self.view = table_view(self.model, sortable=False)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.doubleClicked.connect(lambda _index: self.restore_selected())
        intro = QLabel("復元すると、今のデータは選んだバックアップの時点の内容に置き換わります。"
                       "今のデータも復元の前に自動でバックアップされるので、あとで戻すこともできます。")
        intro.setWordWrap(True)
        self.empty = QLabel()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.restore_button = self.buttons.addButton(
            "選んだバックアップから復元…", QDialogButtonBox.ButtonRole.ActionRole)
        self.restore_button.clicked.connect(self.restore_selected)
        self.buttons.rejected.connect(self.reject)
        self.view.selectionModel().selectionChanged.connect(self._update_buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.empty)
        layout.addWidget(self.buttons)
        self.resize(640, 420)
        self.refresh()

    def refresh(self) -> None:
        self.ctx.run(self, lambda shop, progress, cancel: _listing(shop), self._show)

    def _show(self, listing) -> None:
        backups, database_bytes = listing
        self.model.set_frame(backup_frame(backups))
        if self.ctx.shop.path is None and not self.ctx.on_server:
            self.empty.setText(IN_MEMORY)
        elif not backups:
            self.empty.setText("まだバックアップがありません。取込の前には自動で作成されます。")
        else:
            self.empty.setText(f"{disk_text(backups, database_bytes)}\n"
                               "取込の前のバックアップは前回からの変更分だけを保存します"
                               "（復元には、その前のバックアップも使います）。\n"
                               f"バックアップの保存場所: {backups[0].path.parent}")
        if backups:
            self.view.selectRow(0)
        self._update_buttons()

    def selected(self):
        rows = self.view.selectionModel().selectedRows()
        return self.model.value(rows[0].row(), "backup") if rows else None

    def _update_buttons(self, *_args) -> None:
        self.restore_button.setEnabled(self.selected() is not None)

    def restore_selected(self) -> None:
        backup = self.selected()
        if backup is None:
            return
        when = backup.created_at.strftime("%Y-%m-%d %H:%M")
        if not confirm(self, f"{when} のバックアップ（{backup.reason}）から復元しますか？\n"
                             "今のデータはこの時点の内容に置き換わります。", "復元する"):
            return
        self.ctx.run(self, lambda shop, progress, cancel: shop.backups.restore(backup.path, progress),
                     self._restored, label="バックアップから復元しています…", changes_data=True)

    def _restored(self, _result) -> None:
        self.refresh()
        QMessageBox.information(self, "Otokui", "バックアップから復元しました。")

