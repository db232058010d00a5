"""The import history names who imported each file (担当)."""
import pytest
from PySide6.QtCore import Qt

from tests.gui.importing.test_tab import drop, tab_of, wait_idle
from tests.support.engine_side import on_engine
from tests.support.snapshot import SAMPLES

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


def test_the_history_names_who_imported(qtbot, window):
    shop = window.ctx.shop
    on_engine(lambda: setattr(shop, "staff", "山田"))
    drop(window, [SAMPLES / "rakuten" / "rakuten_202507.csv"])
    tab = tab_of(window)
    wait_idle(qtbot, tab)
    headers = [tab.history.headerData(i, Qt.Orientation.Horizontal)
               for i in range(tab.history.columnCount())]
    staff = headers.index("担当")
    assert tab.history.rowCount() == 1
    assert (tab.history.index(0, 1).data(), tab.history.index(0, staff).data()) == (
        "rakuten_202507.csv", "山田")
