"""GUI test helpers: a shop with every sample imported, and waiting for the engine thread."""
from functools import lru_cache

from engine import Shop
from gui.worker import wait_for_worker
from tests.support.engine_side import on_engine
from tests.support.snapshot import imported_shop


@lru_cache(maxsize=1)
def _imported() -> Shop:
    return on_engine(imported_shop)


def sample_shop() -> Shop:
    """A fresh in-memory copy of the sample shop (importing once per test run), opened
    on the engine thread."""
    source = _imported()

    def copy() -> Shop:
        shop = Shop(":memory:")
        source.db.conn.backup(shop.db.conn)
        return shop
    return on_engine(copy)


def settle(qtbot, rounds: int = 6) -> None:
    """Let queued engine jobs and the UI callbacks they trigger (which may queue more) finish."""
    for _ in range(rounds):
        assert wait_for_worker(30000)
        qtbot.wait(15)


def show_active(qtbot, widget, width: int, height: int):
    """Show ``widget`` as the active window (keyboard tests need focus), settled."""
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    qtbot.waitUntil(widget.isActiveWindow)
    settle(qtbot)
    return widget
