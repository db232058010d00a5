"""The column-mapping dialog for an export whose layout no preset knows (SPEC §2).

Each column of the file gets a combo box with the target fields; choosing the
same field for several columns joins them in column order (姓 + 名 → 氏名). The
preview shows the first rows under their chosen fields. The caller saves the
mapping as a user preset, so files with these headers are recognised next time.
"""
from __future__ import annotations

import pandas as pd
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QGridLayout,
                               QGroupBox, QHeaderView, QLabel, QLineEdit, QScrollArea,
                               QVBoxLayout, QWidget)

from engine.imports import formats
from engine.imports.detection import header_key
from engine.imports.formats import FIELDS, FormatPreset
from gui.widgets.table_model import TableModel, columns_of
from gui.widgets.table_view import table_view

NOT_USED = "（使わない）"
# What a missing price may be filled with, as the dialog says it.
_MISSING_LABELS = {"unit_price": f"{FIELDS['unit_price']}または{FIELDS['line_amount']}"
                                 "（明細のない形式では注文の商品合計）"}


def guess_fields(headers: list[str], presets: list[FormatPreset]) -> dict[str, str]:
    """Header → field for headers that a known preset or a field label uses, whatever
    their width, case and spacing."""
    known: dict[str, str] = {header_key(label): field for field, label in FIELDS.items()}
    for preset in presets:
        for field, columns in preset.fields.items():
            for column in columns:
                known.setdefault(header_key(column), field)
    return {header: known[header_key(header)] for header in headers
            if header_key(header) in known}


def missing_fields(field_map: dict[str, list[str]]) -> list[str]:
    """Japanese labels of the required fields not yet mapped: order number, date,
    the amount, and at least one column saying who bought."""
    missing = [_MISSING_LABELS.get(f, FIELDS[f]) for f in formats.missing_fields(field_map)]
    if not any(f in field_map for f in formats.BUYER_FIELDS):
        missing.append("購入者（" + "・".join(FIELDS[f] for f in formats.BUYER_FIELDS) + "のどれか）")
    return missing


class MappingDialog(QDialog):
    def __init__(self, parent: QWidget | None, file_name: str, headers: list[str],
                 preview: pd.DataFrame, guesses: dict[str, str]):
        super().__init__(parent)
        self.setWindowTitle("列の対応付け — Otokui")
        self.headers = headers
        self.preview = preview
        intro = QLabel(
            f"「{file_name}」は、知っている注文データの形式ではありませんでした。\n"
            "それぞれの列がどの項目にあたるかを選んでください。同じ項目を複数の列に選ぶと、"
            "列の順につなげます（例: 姓と名 → 氏名）。\n保存した対応付けは、"
            "同じ見出しのファイルを次に取り込むときに自動で使われます。")
        intro.setWordWrap(True)

        self.name_edit = QLineEdit(f"{file_name.rsplit('.', 1)[0]} の形式")
        self.name_edit.textChanged.connect(self._update)
        name_form = QFormLayout()
        name_form.addRow("この形式の名前", self.name_edit)

        self.combos: dict[str, QComboBox] = {}
        grid = QGridLayout()
        grid.addWidget(_bold("ファイルの列"), 0, 0)
        grid.addWidget(_bold("1行目の値"), 0, 1)
        grid.addWidget(_bold("Otokuiの項目"), 0, 2)
        first = preview.iloc[0] if len(preview) else None
        for row, header in enumerate(headers, start=1):
            combo = QComboBox()
            combo.addItem(NOT_USED, None)
            for field, label in FIELDS.items():
                combo.addItem(label, field)
            guessed = guesses.get(header)
            if guessed is not None:
                combo.setCurrentIndex(combo.findData(guessed))
            combo.currentIndexChanged.connect(self._update)
            self.combos[header] = combo
            sample = QLabel(str(first[header]) if first is not None and header in first else "")
            sample.setMaximumWidth(260)
            grid.addWidget(QLabel(header), row, 0)
            grid.addWidget(sample, row, 1)
            grid.addWidget(combo, row, 2)
        grid.setColumnStretch(1, 1)
        form = QWidget()
        form.setLayout(grid)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(form)

        self.preview_model = TableModel([], self)
        self.preview_view = table_view(self.preview_model, sortable=False)
        self.preview_view.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.preview_view.setMaximumHeight(200)
        preview_box = QGroupBox(f"先頭の{len(preview)}行（選んだ項目で表示）")
        preview_layout = QVBoxLayout(preview_box)
        preview_layout.addWidget(self.preview_view)

        self.problem = QLabel()
        self.problem.setStyleSheet("color: #b3261e;")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("保存して取り込む")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("このファイルを飛ばす")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(name_form)
        layout.addWidget(scroll, 1)
        layout.addWidget(preview_box)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.resize(760, 720)
        self._update()

    def choose(self, header: str, field: str | None) -> None:
        """Select ``field`` (None = not used) for the column ``header``."""
        combo = self.combos[header]
        combo.setCurrentIndex(combo.findData(field))

    def field_map(self) -> dict[str, list[str]]:
        """Field → columns in the file's column order."""
        mapping: dict[str, list[str]] = {}
        for header in self.headers:
            field = self.combos[header].currentData()
            if field is not None:
                mapping.setdefault(field, []).append(header)
        return mapping

    def label(self) -> str:
        return self.name_edit.text().strip()

    def _update(self) -> None:
        mapping = self.field_map()
        problems = missing_fields(mapping)
        if problems:
            self.problem.setText("まだ選ばれていない必須の項目: " + "、".join(problems))
        else:
            self.problem.setText("")
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(not problems and bool(self.label()))
        preview = self._mapped_preview(mapping)
        self.preview_model.set_frame(preview, columns_of(preview))

    def _mapped_preview(self, mapping: dict[str, list[str]]) -> pd.DataFrame:
        columns = {}
        for field, headers in mapping.items():
            columns[FIELDS[field]] = self.preview[headers].astype(str).agg(" ".join, axis=1)
        return pd.DataFrame(columns, index=self.preview.index)


def _bold(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label
