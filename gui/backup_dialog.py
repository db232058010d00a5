"""ファイル → バックアップを作成 / バックアップから復元… (SPEC §7)."""
from __future__ import annotations

from PySide6.QtWidgets import (QAbstractItemView, QDialog, QDialogButtonBox, QHeaderView, QLabel,
                               QMessageBox, QTableView, QVBoxLayout, QWidget)

from gui.context import AppContext
from gui.widgets.confirm import confirm
from gui.widgets.record_table_model import Column, RecordTableModel

IN_MEMORY = "メモリ上のデータベースにはバックアップがありません。ファイルのデータベースを開いてください。"


def size_text(size_bytes: int) -> str:
    if size_bytes >= 1024 * 1024:
        return f"{size_bytes / (1024 * 1024):,.1f} MB"
    return f"{max(1, round(size_bytes / 1024)):,} KB"


class BackupListModel(RecordTableModel):
    """``shop.backups.list()``, newest first."""

    COLUMNS = [Column("作成日時", "created_at"), Column("サイズ", "size", True),
               Column("きっかけ", "reason")]

    def set_backups(self, backups) -> None:
        self.set_rows([{"created_at": b.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                        "size": size_text(b.size_bytes), "reason": b.reason, "backup": b}
                       for b in backups])


def create_backup(parent: QWidget, ctx: AppContext) -> None:
    """Back up the open database on the worker and say where the copy is."""
    if ctx.shop.path is None:
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
        self.model = BackupListModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().setVisible(False)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.view.horizontalHeader().setStretchLastSection(True)
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
        self.ctx.run(self, lambda shop, progress, cancel: shop.backups.list(), self._show)

    def _show(self, backups) -> None:
        self.model.set_backups(backups)
        if self.ctx.shop.path is None:
            self.empty.setText(IN_MEMORY)
        elif not backups:
            self.empty.setText("まだバックアップがありません。取込の前には自動で作成されます。")
        else:
            self.empty.setText(f"バックアップの保存場所: {backups[0].path.parent}")
        if backups:
            self.view.selectRow(0)
        self._update_buttons()

    def selected(self):
        rows = self.view.selectionModel().selectedRows()
        return self.model.rows[rows[0].row()]["backup"] if rows else None

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

