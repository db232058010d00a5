"""Starts the desktop application."""
from __future__ import annotations

import sys


def run() -> int:
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication.instance() or QApplication(sys.argv)
    window = QMainWindow()
    window.setWindowTitle("Otokui")
    window.show()
    return app.exec()
