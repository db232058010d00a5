"""What every tab shares: the open shop, the engine thread, one ``data_changed`` signal
and the as-of date (基準日) every figure is computed for."""
from __future__ import annotations

import traceback
from datetime import date
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from engine.store.postgres import ServerUnavailableError
from gui.engine_thread import engine_thread
from gui.errors import show_error
from gui.worker import QueryOp


class AppContext(QObject):
    """Tabs take an ``AppContext``; they refresh themselves on ``data_changed``.

    Anything that changes the database (import, undo, edit, restore) emits
    ``data_changed`` once it is done, so every tab shows the same state.
    ``shop_changed`` is emitted when another database file is opened.

    The shop was opened on the engine thread (gui/recovery.py) and is only used
    there: through ``run``. Reading plain attributes such as ``shop.path`` is fine.

    ``as_of`` is the one 基準日 of the window (today unless the user picks another
    day): tabs compute their figures for it and reload on ``as_of_changed``, so no
    two tabs ever show figures of different days.

    A job that fails because the shared database's server cannot be reached emits
    ``server_lost`` (the window shows a banner and connects again, gui/server_link.py)
    instead of an error dialog for every job; a job's own ``failure`` still runs.
    """

    data_changed = Signal()
    shop_changed = Signal()
    as_of_changed = Signal()
    server_lost = Signal(object)

    def __init__(self, shop, parent: QObject | None = None):
        super().__init__(parent)
        self.shop = shop
        self.as_of = date.today()

    def set_as_of(self, day: date) -> None:
        """Compute every figure as of ``day`` from now on."""
        if day != self.as_of:
            self.as_of = day
            self.as_of_changed.emit()

    def run(self, parent: QWidget, op: Callable[[Any, Callable, Callable], Any],
            success: Callable[[Any], None] | None = None, *, label: str | None = None,
            changes_data: bool = False, **callbacks) -> QueryOp:
        """Run ``op(shop, progress, cancel)`` on the engine thread; ``label`` shows a progress dialog.

        With ``changes_data`` the context emits ``data_changed`` after ``success``.
        """
        def done(result):
            if success is not None:
                success(result)
            if changes_data:
                self.data_changed.emit()

        failure = callbacks.pop("failure", None)

        def failed(exc: BaseException) -> None:
            if isinstance(exc, ServerUnavailableError):
                self.server_lost.emit(exc)
                if failure is None:
                    return
            if failure is not None:
                failure(exc)
            else:
                show_error(parent, exc, "".join(traceback.format_exception(exc)))

        query = QueryOp(parent, self.shop, op, success=done, failure=failed, **callbacks)
        if label is not None:
            query.with_progress(label)
        return query.run_in_background()

    @property
    def on_server(self) -> bool:
        """Whether the shop is a shared one on a PostgreSQL server (it has no file)."""
        return getattr(self.shop.db, "url", None) is not None

    def set_shop(self, shop) -> None:
        """Use ``shop`` from now on; the old one is closed once the jobs queued for it ran."""
        old, self.shop = self.shop, shop
        if old is not None and old is not shop:
            engine_thread().submit(old.close)
        self.shop_changed.emit()
        self.data_changed.emit()

    def close(self) -> None:
        """At exit: wait for the queued jobs, then close the shop on the engine thread."""
        engine_thread().call(self.shop.close)


class LatestLoad:
    """A series of loads (the search as the user types, the survey they chose) in which
    only the newest counts: one overtaken while still queued is skipped on the engine
    thread, one overtaken while running is not shown."""

    def __init__(self, ctx: AppContext, parent: QWidget):
        self.ctx = ctx
        self.parent = parent
        self._newest = 0

    def run(self, load: Callable[[Any], Any], show: Callable[[Any], None]) -> None:
        """``load(shop)`` on the engine thread, then ``show(result)`` unless a newer load began."""
        self._newest += 1
        number = self._newest

        def op(shop, progress, cancel):
            return load(shop) if number == self._newest else None

        def done(result) -> None:
            if number == self._newest:
                show(result)
        self.ctx.run(self.parent, op, done)
