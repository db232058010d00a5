"""Starts the desktop application: logging and crash dialog, font and style, which database, the window."""
from __future__ import annotations

import sys
import time
from pathlib import Path

BASE_POINT_SIZE = 10


def setup_application():
    """The QApplication with the bundled Japanese font, the icon and one look on every platform."""
    from PySide6.QtWidgets import QApplication

    from gui.widgets.fonts import japanese_font_family

    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Otokui")
    app.setApplicationDisplayName("Otokui（お得意様）")
    app.setStyle("Fusion")
    app.setWindowIcon(_icon())
    font = app.font()
    font.setFamily(japanese_font_family())
    font.setPointSize(BASE_POINT_SIZE)
    app.setFont(font)
    return app


def run(db_path: Path | None = None) -> int:
    started = time.perf_counter()
    from engine.app.logs import setup_logging
    from engine.store.postgres import is_url
    from gui import crash
    from gui.context import AppContext
    from gui.engine_thread import engine_thread
    from gui.first_window import watch_first_window
    from gui.main_window import MainWindow
    from gui.recovery import check_in_background, open_shop
    from gui.startup import (choose_first_database, database_to_open, local_database,
                             open_server_at_start, remember_database)
    from gui.worker import wait_for

    crash.install(setup_logging())
    app = setup_application()
    location = db_path or database_to_open()
    shop = None
    if location is not None and is_url(str(location)):
        opened = open_server_at_start(str(location))
        if opened is not None:
            shop, location = opened
        else:   # ローカルのデータベースを開く, or the dialog was closed
            location = local_database()
    if shop is None:
        location = location or choose_first_database()
        if location is None:
            return 0
        shop = wait_for(lambda done: open_shop(location, None, done))
        if shop is None:
            return 1
    remember_database(location)
    ctx = AppContext(shop)
    window = MainWindow(ctx)
    window.show()
    watch_first_window(app, started)
    check_in_background(ctx, window)
    code = app.exec()
    window.stop_watching_server()
    ctx.close()
    engine_thread().stop()
    return code


def _icon():
    from PySide6.QtGui import QIcon, QPixmap

    from engine.resources import read_bytes
    pixmap = QPixmap()
    pixmap.loadFromData(read_bytes("icon", "otokui.png"))
    return QIcon(pixmap)
