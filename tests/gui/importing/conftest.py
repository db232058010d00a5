"""The main window on a new shop, shown, for the 取込 tab tests that drop files on it."""
import pytest
from PySide6.QtWidgets import QApplication

from gui.context import AppContext
from gui.main_window import MainWindow
from gui.worker import wait_for_worker
from tests.support.engine_side import engine_shop


@pytest.fixture
def window(qtbot):
    window = MainWindow(AppContext(engine_shop()))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    yield window
    wait_for_worker()
    # Deliver what the worker queued for this window while the window still exists.
    QApplication.processEvents()
