"""A read-only table in a dialog: a note above it and 閉じる below (lists such as who a
plan left out, who it held out, a consent history)."""
from __future__ import annotations

import pandas as pd
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from gui.widgets.table_model import Column, TableModel
from gui.widgets.table_view import table_view


class TableDialog(QDialog):
    def __init__(self, parent: QWidget | None, title: str, note: str, columns: list[Column],
                 frame: pd.DataFrame, size: tuple[int, int] = (720, 480),
                 sortable: bool = True):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.model = TableModel(columns, self)
        self.model.set_frame(frame)
        self.view = table_view(self.model, sortable=sortable)
        self.note = QLabel(note)
        self.note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("閉じる")
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)
        self.resize(*size)
