"""Opening a shop safely: one instance per database, and recovery from a damaged,
empty or missing database by restoring its newest good backup (with the user's
consent; damaged backups are passed over, not offered).

The shop is opened on the engine thread, the only thread that may use it; the
questions and errors are shown on the UI thread in between.

SQLite's check of the whole file (seconds on a big shop) runs before the window
only after an unclean exit (crash, power cut); after a clean one the window opens
at once and ``check_in_background`` runs the check on a thread of its own, with
the same offer to restore when it finds damage.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

import engine
from engine.errors import DatabaseCorruptError, OtokuiError
from engine.store.backups import list_backups, replace_database, usable_backups
from engine.store.database import check_file
from engine.store.paths import default_db_path
from gui.engine_thread import engine_thread
from gui.errors import show_error
from gui.widgets.confirm import confirm
from gui.worker import QueryOp

log = logging.getLogger(__name__)
# The background check waits for the engine thread's first jobs this long at most.
IDLE_POLL_MS, IDLE_WAIT_MS = 20, 5000

Opened = Callable[[engine.Shop | None], None]


def ask_to_restore(parent: QWidget | None, text: str) -> bool:
    return confirm(parent, text, "復元する")


def open_shop(db_path: Path | None, parent: QWidget | None, done: Opened,
              ask: Callable[[QWidget | None, str], bool] = ask_to_restore) -> None:
    """Open the shop for the window; ``done(shop)`` follows on the UI thread, or
    ``done(None)`` after telling the user why it cannot open."""
    path = default_db_path() if db_path is None else db_path

    def failed(exc: BaseException) -> None:
        if isinstance(exc, DatabaseCorruptError):
            _offer_restore(exc, parent, done, ask)
        else:
            show_error(parent, exc)
            done(None)

    _on_engine(parent, "データベースを開いています…", lambda: _open(path), done, failed)


def _open(path) -> engine.Shop:
    """On the engine thread: the shop, or DatabaseCorruptError carrying its usable
    backups (newest first) and how many others are damaged."""
    try:
        return engine.Shop(path, single_instance=True, check="after_unclean_exit")
    except DatabaseCorruptError as exc:
        _find_backups(exc)
        raise


def _find_backups(exc: DatabaseCorruptError) -> None:
    exc.backups = usable_backups(exc.path)
    exc.damaged_backups = len(list_backups(exc.path)) - len(exc.backups)


class BackgroundCheck(QObject):
    """SQLite's check of the open shop's file on a thread of its own, through a
    read-only connection of its own (the shop's connection belongs to the engine
    thread, and the window's jobs go on meanwhile). On damage the user is offered
    the newest good backup, as at start-up; accepted, the shop is closed, the file
    replaced and the restored shop put in the window."""

    _failed = Signal(object)
    _finished = Signal()

    def __init__(self, ctx, parent: QWidget | None, ask, on_done: Callable[[], None] | None):
        super().__init__(parent if parent is not None else QCoreApplication.instance())
        self.ctx, self.parent_widget, self.ask = ctx, parent, ask
        self.shop = ctx.shop
        self.on_done = on_done
        self._failed.connect(self._offer)
        self._finished.connect(self._done)
        self.thread = threading.Thread(target=self._run, name="otokui-check", daemon=True)

    def start(self) -> None:
        """Once the window's first loads are done (they read the same disk), at most
        a few seconds later."""
        self._waited = 0

        def when_idle() -> None:
            if engine_thread().busy() and self._waited < IDLE_WAIT_MS:
                self._waited += IDLE_POLL_MS
                QTimer.singleShot(IDLE_POLL_MS, when_idle)
            else:
                self.thread.start()
        when_idle()

    def _run(self) -> None:
        try:
            check_file(self.shop.path)
        except DatabaseCorruptError as exc:
            # Damaged: the next start checks before opening, whatever happens now.
            self.shop.db.mark_damaged()
            _find_backups(exc)
            self._tell(self._failed, exc)
        except Exception:  # noqa: BLE001 — a check that cannot run is no finding
            log.exception("background integrity check failed to run")
        finally:
            self._tell(self._finished)

    @staticmethod
    def _tell(signal, *args) -> None:
        """Emit from the check's thread; the window (this object's parent) may have
        been closed while the file was read, and then there is no one to tell (the
        damage mark stays for the next start)."""
        try:
            signal.emit(*args)
        except RuntimeError:
            log.info("background check finished after its window closed")

    def _offer(self, exc: DatabaseCorruptError) -> None:
        if self.ctx.shop is not self.shop:   # another database was opened meanwhile
            return

        def close_first() -> None:
            self.shop.close()

        def opened(shop) -> None:
            if shop is not None:
                self.ctx.set_shop(shop)
        _offer_restore(exc, self.parent_widget, opened, self.ask, before=close_first)

    def _done(self) -> None:
        if self.on_done is not None:
            self.on_done()
        self.deleteLater()


def check_in_background(ctx, parent: QWidget | None = None,
                        ask: Callable[[QWidget | None, str], bool] = ask_to_restore,
                        on_done: Callable[[], None] | None = None) -> BackgroundCheck | None:
    """Run the check the shop skipped at opening (the last exit was clean) once the
    window is up; None when there is none to run."""
    db = ctx.shop.db
    if ctx.shop.path is None or not db.check_pending:
        return None
    db.check_pending = False
    check = BackgroundCheck(ctx, parent, ask, on_done)
    check.start()
    return check


def _offer_restore(exc: DatabaseCorruptError, parent, done: Opened, ask,
                   before: Callable[[], None] | None = None) -> None:
    damaged = (f"（より新しいバックアップ {exc.damaged_backups}件は壊れているため使えません）"
               if exc.damaged_backups else "")
    if not exc.backups:
        show_error(parent, OtokuiError(f"{exc}\n使えるバックアップがないため復元できません{damaged}。"))
        done(None)
        return
    latest = exc.backups[0]
    question = (f"{exc}\n\n壊れていない最新のバックアップ（{latest.created_at:%Y-%m-%d %H:%M}、"
                f"{latest.reason}）から復元しますか？{damaged}\nそれ以降の変更は失われます。"
                "元のファイルは削除せず、名前を変えて残します。")
    if not ask(parent, question):
        done(None)
        return

    def restore() -> engine.Shop:
        if before is not None:
            before()
        replace_database(exc.path, latest.path)
        return engine.Shop(exc.path, single_instance=True)

    def failed(error: BaseException) -> None:
        show_error(parent, error)
        done(None)

    _on_engine(parent, "バックアップから復元しています…", restore, done, failed)


def _on_engine(parent, label: str, job: Callable[[], engine.Shop], done: Opened,
               failed: Callable[[BaseException], None]) -> None:
    QueryOp(parent, None, lambda _shop, _progress, _cancel: job(), success=done,
            failure=failed).with_progress(label, cancellable=False).run_in_background()
