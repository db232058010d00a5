"""Entering a custom label sheet (任意のラベル用紙) in mm."""
from __future__ import annotations

from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QLabel,
                               QLineEdit, QSpinBox)

from engine.printing.label_sheet import LabelSheet

# (key, label, minimum, maximum, default)
MM_FIELDS = [
    ("label_width", "ラベルの幅", 10.0, 300.0, 86.4),
    ("label_height", "ラベルの高さ", 10.0, 300.0, 42.3),
    ("left", "左余白（用紙の左端から1列目まで）", 0.0, 200.0, 18.6),
    ("top", "上余白（用紙の上端から1行目まで）", 0.0, 200.0, 21.2),
    ("pitch_x", "横のピッチ（左のラベルの左端から右のラベルの左端まで）", 10.0, 300.0, 86.4),
    ("pitch_y", "縦のピッチ（上のラベルの上端から下のラベルの上端まで）", 10.0, 300.0, 42.3),
    ("page_width", "用紙の幅", 50.0, 500.0, 210.0),
    ("page_height", "用紙の高さ", 50.0, 500.0, 297.0),
]


class LabelSheetDialog(QDialog):
    """The fields of :class:`LabelSheet`; the engine checks them when they are saved."""

    def __init__(self, parent=None, sheet: LabelSheet | None = None):
        super().__init__(parent)
        self.setWindowTitle("ラベル用紙の登録")
        form = QFormLayout(self)
        form.addRow(QLabel("寸法はラベル用紙のパッケージに書かれている値（mm）を入力してください。"))
        self.sheet_id = QLineEdit(sheet.id if sheet else "")
        self.sheet_id.setPlaceholderText("例: my-18（半角英数字）")
        self.name = QLineEdit(sheet.name if sheet else "")
        self.name.setPlaceholderText("例: 自社用 18面")
        form.addRow("ID", self.sheet_id)
        form.addRow("名前", self.name)
        self.columns = QSpinBox(minimum=1, maximum=10, value=sheet.columns if sheet else 2)
        self.rows = QSpinBox(minimum=1, maximum=20, value=sheet.rows if sheet else 6)
        form.addRow("列数（横に並ぶ数）", self.columns)
        form.addRow("行数（縦に並ぶ数）", self.rows)
        self.mm: dict[str, QDoubleSpinBox] = {}
        for key, label, low, high, default in MM_FIELDS:
            box = QDoubleSpinBox(minimum=low, maximum=high, decimals=1, singleStep=0.1,
                                 suffix=" mm")
            box.setValue(getattr(sheet, key) if sheet else default)
            self.mm[key] = box
            form.addRow(label, box)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> dict:
        data = {"id": self.sheet_id.text().strip(), "name": self.name.text().strip(),
                "columns": self.columns.value(), "rows": self.rows.value()}
        data.update({key: box.value() for key, box in self.mm.items()})
        return data
