"""Start-up report: when the first window is on screen (and with the bundled font and icon),
and the smoke test's automatic quit.

With ``OTOKUI_SMOKE_QUIT_MS=N`` in the environment the program prints
``otokui: first window shown`` once the event loop has shown the main window and quits
N milliseconds later; ``packaging/build.py`` times the packaged program with it.
"""
from __future__ import annotations

import logging
import os
import time

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtGui import QFontDatabase, QGuiApplication

from gui.widgets.fonts import japanese_font_family

SMOKE_QUIT_ENV = "OTOKUI_SMOKE_QUIT_MS"
MARKER = "otokui: first window shown"

logger = logging.getLogger(__name__)


def watch_first_window(app: QCoreApplication, started: float) -> None:
    """Log the seconds since ``started`` (a ``time.perf_counter()``) at the first window."""
    delay = os.environ.get(SMOKE_QUIT_ENV, "")

    def shown() -> None:
        seconds = time.perf_counter() - started
        # Resources missing from a broken build show up here (and the smoke test checks it).
        font = "bundled" if japanese_font_family() in QFontDatabase.families() else "MISSING"
        icon = "MISSING" if QGuiApplication.windowIcon().isNull() else "set"
        logger.info("First window shown %.2f s after start-up began; Japanese font %s, icon %s",
                    seconds, font, icon)
        if delay.isdigit():
            print(f"{MARKER} ({seconds:.2f} s in Qt start-up)", flush=True)
            QTimer.singleShot(int(delay), app.quit)

    # Runs once the event loop has processed the pending show and paint events.
    QTimer.singleShot(0, shown)
