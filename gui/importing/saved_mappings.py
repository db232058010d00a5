"""The shop's saved column mappings, shared as files: a consultant sets up a shop's
own-cart template once, exports it, and the shop imports it on its own PC."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (QComboBox, QFileDialog, QGroupBox, QHBoxLayout, QLabel,
                               QPushButton, QVBoxLayout, QWidget)

from engine.errors import OtokuiError
from gui.context import AppContext
from gui.errors import show_error

FILE_FILTER = "対応付けファイル (*.json);;すべてのファイル (*)"


class SavedMappings(QGroupBox):
    """Saved mappings: export the chosen one to a file, or import one from a file."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__("保存した列の対応付け", parent)
        self.ctx = ctx
        self.mappings = QComboBox()
        self.mappings.setMinimumContentsLength(12)
        self.export_button = QPushButton("書き出す…")
        self.export_button.clicked.connect(self.export_chosen)
        self.import_button = QPushButton("読み込む…")
        self.import_button.clicked.connect(self.import_file)
        self.status = QLabel("見慣れない形式のファイルを取り込むときに作った対応付けです。"
                             "ファイルに書き出すと、ほかのPCで読み込めます。")
        self.status.setWordWrap(True)
        self.status.setStyleSheet("color: #555;")
        row = QHBoxLayout()
        row.addWidget(self.mappings, 1)
        row.addWidget(self.export_button)
        row.addWidget(self.import_button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.status)
        self.show_mappings([])

    def refresh(self) -> None:
        def load(shop, progress, cancel):
            return [(p.name, p.label) for p in shop.formats.presets() if p.user]
        self.ctx.run(self, load, self.show_mappings)

    def show_mappings(self, mappings: list[tuple[str, str]]) -> None:
        chosen = self.mappings.currentData()
        self.mappings.clear()
        for name, label in mappings:
            self.mappings.addItem(label, name)
        if not mappings:
            self.mappings.addItem("（まだありません）", None)
        self.mappings.setCurrentIndex(max(0, self.mappings.findData(chosen)))
        self.export_button.setEnabled(bool(mappings))

    def export_chosen(self) -> None:
        name, label = self.mappings.currentData(), self.mappings.currentText()
        if name is None:
            return
        target, _ = QFileDialog.getSaveFileName(self, "対応付けを書き出す", f"{label}.json", FILE_FILTER)
        if not target:
            return
        self.ctx.run(self, lambda shop, progress, cancel: shop.formats.export_user_preset(
            name, Path(target)), lambda path: self.status.setText(
            f"「{label}」を {path.name} に書き出しました。ほかのPCの取込タブで読み込めます。"),
            failure=self._failed)

    def import_file(self) -> None:
        source, _ = QFileDialog.getOpenFileName(self, "対応付けを読み込む", "", FILE_FILTER)
        if not source:
            return
        self.ctx.run(self, lambda shop, progress, cancel: shop.formats.import_user_preset(
            Path(source)), self._imported, failure=self._failed)

    def _imported(self, preset) -> None:
        self.status.setText(f"「{preset.label}」を読み込みました。同じ見出しのファイルはこの形式で取り込みます。")
        self.refresh()

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, OtokuiError):
            self.status.setText(str(exc))
        else:
            show_error(self, exc)
