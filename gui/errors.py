"""Friendly error dialogs: known engine errors in plain Japanese, others with the log path."""
from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from engine.errors import OtokuiError

# A message shown in a form, next to what it is about, rather than in a dialog.
ERROR_STYLE = "color: #b00020"


def error_text(exc: BaseException) -> str | None:
    """The engine's own Japanese message for a known error, None for an unexpected one
    (which deserves the dialog that points to the log)."""
    return str(exc) if isinstance(exc, OtokuiError) else None


def show_error(parent: QWidget | None, exc: BaseException, details: str = "") -> None:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Otokui")
    if isinstance(exc, OtokuiError):
        box.setText(str(exc))
    else:
        from engine.store.paths import log_dir
        box.setText("予期しないエラーが起きました。データは変更されていません。\n"
                    f"詳しい記録はログフォルダにあります: {log_dir()}")
        box.setDetailedText(details or repr(exc))
    box.exec()


def show_in_form(parent: QWidget, label, exc: BaseException) -> None:
    """A known error in ``label`` (a QLabel styled with ERROR_STYLE) under the form it is
    about; an unexpected one in the dialog that points to the log."""
    text = error_text(exc)
    if text is None:
        show_error(parent, exc)
    else:
        label.setText(text)
