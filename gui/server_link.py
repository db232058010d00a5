"""The window's link to a shared database on a PostgreSQL server: other PCs' changes
and a lost server.

Other PCs' changes arrive through a ``ChangeListener`` (engine/store/server_changes.py,
a thread of its own); each is handed to the UI thread by a queued signal, and the
window then does what it does after its own changes: ``data_changed``, which
reloads the tab on screen (the others when shown), and the status bar says who
changed it. Several notices within a moment make one reload.

When the server goes away — a job fails with ``ServerUnavailableError``
(``ctx.server_lost``), or the listener loses its connection and a check of the
shop's connection fails too — a banner says so above the tabs, without a dialog
in the way, and the shop's connection is checked again after 1, 2, 4 … up to 30
seconds (``PostgresDatabase.ping`` connects again). Nothing is rebuilt meanwhile,
so what the user typed stays in its field; once connected, everything reloads.
"""
from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from engine.customers.privacy import ERASURE_NOTICE
from engine.store.server_changes import ChangeListener, ChangeNotice
from gui.worker import QueryOp

_log = logging.getLogger(__name__)

LOST_TEXT = "サーバーに接続できません。再接続を試みています…"
BACK_TEXT = "サーバーにつなぎ直しました。最新のデータを読み込みました。"
FIRST_RETRY_MS, LONGEST_RETRY_MS = 1000, 30000
# Notices this close together make one reload (an import's steps, a burst of check-offs).
GATHER_MS = 300
# How long the status bar says who changed the data.
NOTICE_MS = 60000


def changed_text(who: list[str]) -> str:
    """「山田（PC-1）がデータを更新しました」 (who changed, each once, in order)."""
    names = dict.fromkeys(name or "ほかのパソコン" for name in who)
    return f"{'、'.join(names)}がデータを更新しました"


class ConnectionBanner(QFrame):
    """The yellow line above the tabs while the server cannot be reached."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("connectionBanner")
        self.setStyleSheet("#connectionBanner { background: #fff4c2; border-bottom: 1px solid #e0c050; }")
        self.text = QLabel(LOST_TEXT)
        self.text.setWordWrap(True)
        self.retry_button = QPushButton("今すぐ再試行")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.retry_button)
        self.hide()

    def show_lost(self, detail: str = "") -> None:
        self.text.setText(LOST_TEXT + (f"\n{detail}" if detail else ""))
        self.text.setToolTip(detail)
        self.show()


class ServerLink(QObject):
    """Listens for the shop's other PCs and watches its server; see the module."""

    _notice = Signal(object)
    _listener_lost = Signal()

    def __init__(self, ctx, parent: QWidget, banner: ConnectionBanner, notice: QLabel):
        """``notice``: the status bar's place for who changed what (beside the shop's
        name, which a temporary status message would hide)."""
        super().__init__(parent)
        self.ctx, self.parent_widget, self.banner, self.notice = ctx, parent, banner, notice
        self.shop = ctx.shop
        self.delay_ms = FIRST_RETRY_MS
        self._checking = False
        self._who: list[str] = []
        self._retry = QTimer(self, singleShot=True)
        self._retry.timeout.connect(self.check_now)
        self._gather = QTimer(self, singleShot=True, interval=GATHER_MS)
        self._gather.timeout.connect(self._reload_for_others)
        self._clear_notice = QTimer(self, singleShot=True, interval=NOTICE_MS)
        self._clear_notice.timeout.connect(notice.clear)
        self._notice.connect(self._heard)
        self._listener_lost.connect(self.check_now)
        ctx.server_lost.connect(self.lost)
        banner.retry_button.clicked.connect(self.check_now)
        # The listener calls back on its own thread: the signals hand over to ours.
        self.listener = ChangeListener(self.shop.db.url, self._notice.emit,
                                       on_lost=self._listener_lost.emit)

    def start(self) -> "ServerLink":
        self.listener.start(timeout=0)
        return self

    def stop(self) -> None:
        """Stop listening (another database opened, or the window closes)."""
        self._retry.stop()
        self._gather.stop()
        self._clear_notice.stop()
        self.notice.clear()
        self.listener.on_change = self.listener.on_lost = None
        self.listener.stop()

    @property
    def lost_shown(self) -> bool:
        return not self.banner.isHidden()

    # -- other PCs ----------------------------------------------------------------------
    def _heard(self, notice: ChangeNotice) -> None:
        if self.ctx.shop is not self.shop:
            return
        if notice.reconnected:
            # Notices may have been missed while the listener was away.
            if self.lost_shown:
                self.check_now()
            else:
                self.ctx.data_changed.emit()
            return
        if notice.what == ERASURE_NOTICE:
            self._forget_backups_of_erased()
        self._who.append(notice.who)
        self._gather.start()

    def _forget_backups_of_erased(self) -> None:
        """Another desktop erased someone: the server shop's backups kept on this PC
        were taken before and still hold them, so they go (as on the erasing PC)."""
        try:
            self.shop.backups.redact(None)
        except OSError as exc:
            _log.warning("消去の知らせで、このPCのバックアップを削除できませんでした（%s）", exc)

    def _reload_for_others(self) -> None:
        self._say(changed_text(self._who))
        self._who.clear()
        self.ctx.data_changed.emit()

    # -- a lost server ------------------------------------------------------------------
    def lost(self, exc: BaseException | None = None) -> None:
        """A job found the server gone: the banner, and checks until it is back."""
        if self.ctx.shop is not self.shop:
            return
        self.banner.show_lost(str(exc) if exc is not None else "")
        if not self._checking and not self._retry.isActive():
            self._retry.start(self.delay_ms)

    def check_now(self) -> None:
        """Check (and restore) the shop's connection on the engine thread."""
        if self._checking or self.ctx.shop is not self.shop:
            return
        self._retry.stop()
        self._checking = True
        QueryOp(self.parent_widget, self.shop, lambda shop, _p, _c: shop.db.ping(),
                success=self._back, failure=self._still_lost).run_in_background()

    def _still_lost(self, exc: BaseException) -> None:
        self._checking = False
        self.banner.show_lost(str(exc))
        self.delay_ms = min(self.delay_ms * 2, LONGEST_RETRY_MS)
        self._retry.start(self.delay_ms)

    def _back(self, _result) -> None:
        self._checking = False
        self.delay_ms = FIRST_RETRY_MS
        if not self.lost_shown:
            return
        self.banner.hide()
        self._say(BACK_TEXT)
        self.ctx.data_changed.emit()

    def _say(self, text: str) -> None:
        self.notice.setText(text)
        self._clear_notice.start()
