"""Opening a shop safely: one instance per database, and recovery from a damaged,
empty or missing database by restoring its newest good backup (with the user's
consent; damaged backups are passed over, not offered).

The shop is opened on the engine thread, the only thread that may use it; the
questions and errors are shown on the UI thread in between.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtWidgets import QWidget

import engine
from engine.errors import DatabaseCorruptError, OtokuiError
from engine.store.backups import list_backups, replace_database, usable_backups
from engine.store.paths import default_db_path
from gui.errors import show_error
from gui.widgets.confirm import confirm
from gui.worker import QueryOp

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
        return engine.Shop(path, single_instance=True)
    except DatabaseCorruptError as exc:
        exc.backups = usable_backups(exc.path)
        exc.damaged_backups = len(list_backups(exc.path)) - len(exc.backups)
        raise


def _offer_restore(exc: DatabaseCorruptError, parent, done: Opened, ask) -> None:
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
