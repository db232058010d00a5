"""Starts the desktop application: font and style, which database to open, the window."""
from __future__ import annotations

import logging
import sys
from pathlib import Path

BASE_POINT_SIZE = 10


def setup_application():
    """The QApplication with the bundled Japanese font and one look on every platform."""
    from PySide6.QtWidgets import QApplication

    from gui.fonts import japanese_font_family

    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Otokui")
    app.setApplicationDisplayName("Otokui（お得意様）")
    app.setStyle("Fusion")
    font = app.font()
    font.setFamily(japanese_font_family())
    font.setPointSize(BASE_POINT_SIZE)
    app.setFont(font)
    return app


def _start_log() -> None:
    from engine.paths import log_dir

    folder = log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(filename=folder / "otokui.log", level=logging.INFO, encoding="utf-8",
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def run(db_path: Path | None = None) -> int:
    import engine
    from engine.errors import OtokuiError
    from gui.context import AppContext
    from gui.errors import show_error
    from gui.main_window import MainWindow
    from gui.startup import choose_first_database, database_to_open, remember_database
    from gui.worker import wait_for_worker

    app = setup_application()
    _start_log()
    path = db_path or database_to_open() or choose_first_database()
    if path is None:
        return 0
    try:
        shop = engine.Shop(path)
    except OtokuiError as exc:
        show_error(None, exc)
        return 1
    remember_database(path)
    ctx = AppContext(shop)
    window = MainWindow(ctx)
    window.show()
    code = app.exec()
    wait_for_worker()
    ctx.shop.close()
    return code
