"""Asked when a file's header row fits two formats equally well: which one it is."""
from __future__ import annotations

from PySide6.QtWidgets import (QButtonGroup, QDialog, QDialogButtonBox, QLabel, QRadioButton,
                               QVBoxLayout, QWidget)


class FormatChoiceDialog(QDialog):
    def __init__(self, parent: QWidget | None, file_name: str, candidates: list[tuple[str, str]]):
        """``candidates``: (format name, label) of the formats the file fits."""
        super().__init__(parent)
        self.setWindowTitle("形式を選ぶ — Otokui")
        intro = QLabel(f"「{file_name}」は、見出しだけではどの形式か決められませんでした。"
                       "どのサービスからダウンロードしたファイルですか？")
        intro.setWordWrap(True)
        self.choices = QButtonGroup(self)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        self.names = [name for name, _ in candidates]
        for index, (_, label) in enumerate(candidates):
            button = QRadioButton(label)
            self.choices.addButton(button, index)
            layout.addWidget(button)
        self.choices.button(0).setChecked(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("この形式で取り込む")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("このファイルを飛ばす")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def choose(self, name: str) -> None:
        self.choices.button(self.names.index(name)).setChecked(True)

    def chosen(self) -> str:
        return self.names[self.choices.checkedId()]
