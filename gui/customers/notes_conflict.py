"""A note someone else saved while this desktop was editing it: both texts side by
side, nothing lost — the user joins them, copies theirs, or keeps editing."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QGridLayout, QHBoxLayout, QLabel, QPlainTextEdit, \
    QPushButton, QVBoxLayout


def joined_notes(current: str, mine: str, seen: str = "") -> str:
    """The stored note, then the user's text: only what they added to ``seen`` (the
    note they started from) when they added at its end; once, when one holds the
    other."""
    if seen and mine.startswith(seen):
        added = mine[len(seen):].lstrip("\n")
        return f"{current}\n{added}" if current and added else current or added
    if not current or mine.startswith(current):
        return mine
    if current.startswith(mine) or not mine:
        return current
    return f"{current}\n{mine}"


class NotesConflictDialog(QDialog):
    """Shows the stored note and the user's unsaved one. ``join_chosen`` gives the
    text to edit on with both; closing keeps the user's text in the editor."""

    join_chosen = Signal(str)

    def __init__(self, parent, message: str, current: str, mine: str, seen: str = ""):
        super().__init__(parent)
        self.setWindowTitle("メモがほかの方に変更されています")
        self.current, self.mine, self.seen = current, mine, seen
        text = QLabel(message)
        text.setWordWrap(True)
        self.current_view = QPlainTextEdit(current)
        self.mine_view = QPlainTextEdit(mine)
        grid = QGridLayout()
        for column, (caption, view) in enumerate((("いま保存されているメモ", self.current_view),
                                                   ("あなたの入力（まだ保存していません）",
                                                    self.mine_view))):
            view.setReadOnly(True)
            grid.addWidget(QLabel(caption), 0, column)
            grid.addWidget(view, 1, column)
        self.join_button = QPushButton("両方をつなげて編集する")
        self.join_button.setDefault(True)
        self.join_button.clicked.connect(self._join)
        self.copy_button = QPushButton("自分の入力をコピー")
        self.copy_button.clicked.connect(
            lambda: QGuiApplication.clipboard().setText(self.mine))
        self.close_button = QPushButton("自分の入力のまま閉じる")
        self.close_button.setToolTip("入力はメモ欄に残ります。「メモを保存」を押すまで保存しません。")
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.join_button)
        buttons.addWidget(self.copy_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addLayout(grid, 1)
        layout.addLayout(buttons)
        self.resize(720, 360)

    def _join(self) -> None:
        self.join_chosen.emit(joined_notes(self.current, self.mine, self.seen))
        self.accept()
