"""Plain-Japanese yes/no questions before an action that changes data (undo, restore, merge…)."""
from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMessageBox, QWidget


def confirm(parent: QWidget | None, text: str, action: str = "実行する") -> bool:
    """Ask before doing ``action`` (the button's label); the safe answer is the default."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Otokui")
    box.setText(text)
    yes = box.addButton(action, QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(box.addButton("やめる", QMessageBox.ButtonRole.RejectRole))
    box.exec()
    return box.clickedButton() is yes


def tell(parent: QWidget | None, text: str) -> None:
    """A short note the user only has to acknowledge."""
    QMessageBox.information(parent, "Otokui", text)


def ok_cancel(dialog: QDialog, action: str) -> QDialogButtonBox:
    """The buttons of a dialog that asks for something: ``action`` (accepts) and やめる."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                               | QDialogButtonBox.StandardButton.Cancel)
    buttons.button(QDialogButtonBox.StandardButton.Ok).setText(action)
    buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("やめる")
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons
