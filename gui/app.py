"""Starts the desktop application."""
from __future__ import annotations

import sys


def run(db_path=None) -> int:
    from PySide6.QtWidgets import QApplication

    from gui.context import AppContext
    from gui.fonts import japanese_font_family
    from gui.main_window import MainWindow
    from gui.startup import open_shop
    from gui.worker import wait_for_worker

    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Otokui")
    font = app.font()
    font.setFamily(japanese_font_family())
    app.setFont(font)
    shop = open_shop(db_path)
    if shop is None:
        return 1
    ctx = AppContext(shop)
    window = MainWindow(ctx)
    window.show()
    code = app.exec()
    wait_for_worker()
    ctx.shop.close()
    return code
