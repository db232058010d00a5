"""Opening a shop safely: one instance per database, and recovery from a
damaged database by restoring its latest backup (with the user's consent)."""
from __future__ import annotations

from typing import Callable

from PySide6.QtWidgets import QWidget

import engine
from engine.errors import DatabaseCorruptError, OtokuiError
from engine.store.backups import list_backups, replace_database
from engine.store.paths import default_db_path
from gui.errors import show_error
from gui.widgets.confirm import confirm


def ask_to_restore(parent: QWidget | None, text: str) -> bool:
    return confirm(parent, text, "復元する")


def open_shop(db_path=None, parent: QWidget | None = None,
              ask: Callable[[QWidget | None, str], bool] = ask_to_restore) -> engine.Shop | None:
    """The shop for the window, or None after telling the user why it cannot open."""
    path = default_db_path() if db_path is None else db_path
    try:
        return engine.Shop(path, single_instance=True)
    except DatabaseCorruptError as exc:
        return _recover(exc, parent, ask)
    except OtokuiError as exc:
        show_error(parent, exc)
        return None


def _recover(exc: DatabaseCorruptError, parent, ask) -> engine.Shop | None:
    backups = list_backups(exc.path)
    if not backups:
        show_error(parent, OtokuiError(f"{exc}\nバックアップがないため復元できません。"))
        return None
    latest = backups[0]
    question = (f"{exc}\n\n最新のバックアップ（{latest.created_at:%Y-%m-%d %H:%M}、"
                f"{latest.reason}）から復元しますか？\nそれ以降の変更は失われます。"
                "壊れたファイルは削除せず、名前を変えて残します。")
    if not ask(parent, question):
        return None
    try:
        replace_database(exc.path, latest.path)
        return engine.Shop(exc.path, single_instance=True)
    except OtokuiError as error:
        show_error(parent, error)
        return None
