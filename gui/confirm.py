"""Plain-Japanese yes/no questions before changes that are hard to see afterwards."""
from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget


def confirm(parent: QWidget | None, text: str, ok_text: str = "実行する") -> bool:
    """Ask before doing something; ``ok_text`` names the action on the button."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Otokui")
    box.setText(text)
    ok = box.addButton(ok_text, QMessageBox.ButtonRole.AcceptRole)
    box.addButton("やめる", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(ok)
    box.exec()
    return box.clickedButton() is ok


def tell(parent: QWidget | None, text: str) -> None:
    """A short note the user only has to acknowledge."""
    QMessageBox.information(parent, "Otokui", text)
