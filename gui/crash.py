"""Unexpected exceptions become a Japanese dialog with the log path, never a silent exit.

Qt swallows exceptions raised in slots after calling ``sys.excepthook``, so the
window stays open and the user can carry on (or close it) after reading the dialog.
"""
from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtWidgets import QApplication, QMessageBox

from engine.app.logs import describe_exception

logger = logging.getLogger(__name__)

MESSAGE = ("予期しないエラーが起きました。申し訳ありません。\n"
           "作業中の内容は保存されていない可能性があります。\n\n"
           "問題が続くときは、次のフォルダーのログファイルを添えてご連絡ください:\n{folder}")


def install(log_path: Path) -> None:
    """Make ``sys.excepthook`` log the error and show :func:`crash_dialog`."""
    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        handle_exception(kind, exc, tb, log_path)
    sys.excepthook = hook


def handle_exception(kind: type[BaseException], exc: BaseException,
                     tb: TracebackType | None, log_path: Path) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, exc, tb)
        return
    if exc.__traceback__ is None:
        exc = exc.with_traceback(tb)
    logger.critical("Unexpected error\n%s", describe_exception(exc))
    try:
        crash_dialog(kind, exc, tb, log_path).exec()
    except Exception:  # the dialog itself failed: at least leave the usual trace on stderr
        logger.exception("Could not show the crash dialog")
        sys.__excepthook__(kind, exc, tb)


def crash_dialog(kind: type[BaseException], exc: BaseException, tb: TracebackType | None,
                 log_path: Path) -> QMessageBox:
    """The dialog: a plain Japanese message, the full traceback under 詳細."""
    if QApplication.instance() is None:  # crashed before the application object existed
        QApplication(sys.argv[:1])
    box = QMessageBox()
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle("Otokui — エラー")
    box.setText(MESSAGE.format(folder=log_path.parent))
    box.setDetailedText(f"ログファイル: {log_path}\n\n"
                        + "".join(traceback.format_exception(kind, exc, tb)))
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    return box
