"""GUI test helpers: a shop with every sample imported, and waiting for the engine worker."""
from functools import lru_cache

from engine import Shop
from gui.worker import wait_for_worker
from tests.support.snapshot import sample_files


@lru_cache(maxsize=1)
def _imported() -> Shop:
    shop = Shop(":memory:")
    for path in sample_files():
        shop.imports.import_file(path)
    return shop


def sample_shop() -> Shop:
    """A fresh in-memory copy of the sample shop (importing once per test run)."""
    shop = Shop(":memory:")
    with _imported().db.lock:
        _imported().db.conn.backup(shop.db.conn)
    return shop


def settle(qtbot, rounds: int = 6) -> None:
    """Let queued engine jobs and the UI callbacks they trigger (which may queue more) finish."""
    for _ in range(rounds):
        assert wait_for_worker(30000)
        qtbot.wait(15)
