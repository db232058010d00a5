"""Tabs reload on ``data_changed`` only while they are on screen; a hidden tab reloads when shown."""
from __future__ import annotations

from PySide6.QtWidgets import QWidget


class RefreshOnShow:
    """Mixin for a tab QWidget with a ``refresh()`` that runs its engine work on the worker.

    Every import or edit emits ``data_changed``; recomputing seven tabs for each one
    would queue needless work on the single engine thread.
    """

    _stale = True

    def watch(self, ctx, *, as_of: bool = False) -> None:
        """Reload on ``data_changed``; with ``as_of`` also when the 基準日 changes."""
        ctx.data_changed.connect(self.mark_stale)
        if as_of:
            ctx.as_of_changed.connect(self.mark_stale)

    def mark_stale(self) -> None:
        self._stale = True
        if self.isVisible():
            self.refresh_now()

    def refresh_now(self) -> None:
        self._stale = False
        self.refresh()

    def showEvent(self, event) -> None:
        QWidget.showEvent(self, event)
        if self._stale:
            self.refresh_now()
