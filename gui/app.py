"""Starts the desktop application."""
from __future__ import annotations

import sys
import time


def run(db_path=None) -> int:
    started = time.perf_counter()
    from PySide6.QtWidgets import QApplication

    import engine
    from engine.logs import setup_logging
    from gui import crash
    from gui.context import AppContext
    from gui.first_window import watch_first_window
    from gui.fonts import japanese_font_family
    from gui.main_window import MainWindow
    from gui.worker import wait_for_worker

    crash.install(setup_logging())
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Otokui")
    app.setWindowIcon(_icon())
    font = app.font()
    font.setFamily(japanese_font_family())
    app.setFont(font)
    ctx = AppContext(engine.Shop(db_path))
    window = MainWindow(ctx)
    window.show()
    watch_first_window(app, started)
    code = app.exec()
    wait_for_worker()
    ctx.shop.close()
    return code


def _icon():
    from importlib.resources import as_file, files

    from PySide6.QtGui import QIcon, QPixmap
    with as_file(files("resources") / "icon" / "otokui.png") as path:
        return QIcon(QPixmap(str(path)))  # read now: as_file may delete the path afterwards
