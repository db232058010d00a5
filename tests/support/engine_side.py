"""The window's shop lives on the engine thread (gui/engine_thread.py): GUI tests open
it there and check what it holds there, waiting for the answer."""
from __future__ import annotations

import time
from typing import Callable, TypeVar

from engine import Shop
from gui.engine_thread import engine_thread

T = TypeVar("T")


def on_engine(fn: Callable[[], T]) -> T:
    """``fn()`` on the engine thread, after the jobs already queued."""
    return engine_thread().call(fn)


def engine_shop(path=":memory:") -> Shop:
    """A shop opened on the engine thread, as the window opens its own."""
    return on_engine(lambda: Shop(path))


def hold_engine(ctx, parent, seconds: float) -> None:
    """Keep the engine thread busy for ``seconds`` inside a write transaction, as an
    import does; returns at once."""
    def op(shop, progress, cancel):
        with shop.db.transaction():
            time.sleep(seconds)
    ctx.run(parent, op)


def ui_seconds(interaction: Callable[[], object]) -> float:
    """How long ``interaction()`` kept the UI thread before it could go back to the event loop."""
    started = time.perf_counter()
    interaction()
    return time.perf_counter() - started
