"""Which database the app opens: the one used last (a file, or a shared one on a
PostgreSQL server), or on a first start the user's choice between the demo shop,
a new database and an existing file."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtWidgets import (QDialog, QFileDialog, QLabel, QMessageBox, QPushButton, QVBoxLayout,
                               QWidget)

import engine
from engine.store import postgres
from engine.store.paths import default_db_path
from gui import state
from gui.errors import show_error
from gui.worker import QueryOp, wait_for

Location = Path | str   # a database file, or a shared shop's postgresql:// URL
RETRY, LOCAL, SETTINGS = "retry", "local", "settings"


def last_database() -> Location | None:
    """The database opened last: its URL if it was a shared one, else the file if it
    still exists."""
    location = str(state.load().get("database", "") or "")
    if postgres.is_url(location):
        return location
    path = Path(location)
    return path if location not in ("", ".") and path.is_file() else None


def remember_database(location: Location) -> None:
    """Open ``location`` at the next start; a file is also the one ローカルのデータベース
    goes back to. A URL is kept without its password."""
    if postgres.is_url(str(location)):
        from gui.server_connect import without_password
        url = without_password(str(location))
        state.remember(database=url, server=url)
        return
    path = str(Path(location).resolve())
    state.remember(database=path, local_database=path)


def local_database() -> Path | None:
    """The database file opened last, else the default one if it exists."""
    path = Path(state.load().get("local_database", "") or "")
    if str(path) not in ("", ".") and path.is_file():
        return path
    default = default_db_path()
    return default if default.is_file() else None


def database_to_open() -> Location | None:
    """The last database, else the default one if it exists; None on a first start."""
    return last_database() or local_database()


def ask_server_down(parent: QWidget | None, text: str) -> str:
    """The shared database cannot be reached at start: RETRY, LOCAL or SETTINGS."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Otokui")
    box.setText(text)
    retry = box.addButton("再試行", QMessageBox.ButtonRole.AcceptRole)
    local = box.addButton("ローカルのデータベースを開く", QMessageBox.ButtonRole.RejectRole)
    box.addButton("接続の設定…", QMessageBox.ButtonRole.ActionRole)
    box.setDefaultButton(retry)
    box.exec()
    clicked = box.clickedButton()
    return RETRY if clicked is retry else LOCAL if clicked is local else SETTINGS


def open_server_at_start(url: str, parent: QWidget | None = None,
                         ask: Callable[[QWidget | None, str], str] = ask_server_down,
                         ) -> tuple[engine.Shop, str] | None:
    """Connect again to the shared shop used last: the connection dialog when the
    server wants a password not stored on this PC (or refuses the stored one); when
    the server cannot be reached, 再試行 / ローカルのデータベースを開く (None) / 接続の
    設定…. (shop, url to remember) once connected."""
    from gui.server_connect import ask_and_connect, connect_in_background, remembered_staff
    while True:
        result = wait_for(lambda done: connect_in_background(
            parent, url, remembered_staff(), "", False, done, done))
        if isinstance(result, engine.Shop):
            return result, url
        if isinstance(result, postgres.PasswordRefusedError):
            stored = postgres.stored_password(postgres.parse(url)[1])
            return ask_and_connect(parent, url, str(result) if stored
                                   else "パスワードを入力してください。")
        if not isinstance(result, postgres.ServerUnavailableError):
            show_error(parent, result)
            return None
        choice = ask(parent, f"{result}\n\n共有データベースにつながるまで待つか、"
                             "このパソコンのデータベースを開くか選んでください。")
        if choice == SETTINGS:
            return ask_and_connect(parent, url, str(result))
        if choice == LOCAL:
            return None


class WelcomeDialog(QDialog):
    """First start: try the demo shop, start an empty database, or open a file."""

    DEMO, NEW, OPEN = 1, 2, 3

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Otokui（お得意様）へようこそ")
        self.choice: int | None = None
        title = QLabel("Otokui（お得意様）へようこそ")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        title.setFont(font)
        text = QLabel(
            "まだデータベースがありません。どちらから始めますか？\n\n"
            "デモのお店には、架空のお客様345人と先月までの27か月分の注文（楽天・Amazon・"
            "Shopify・BASE・カラーミー・自社Excel）、アンケートとカスタマージャーニーの"
            "記入例が入っています。前年比や時間軸も含め、すべての画面を気軽に試せます。")
        text.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(text)
        for choice, label in [(self.DEMO, "デモのお店で試す"),
                              (self.NEW, "新しいデータベースで始める"),
                              (self.OPEN, "既存のデータベースを開く…")]:
            button = QPushButton(label)
            button.setMinimumHeight(36)
            button.clicked.connect(lambda _checked=False, c=choice: self._choose(c))
            layout.addWidget(button)
            if choice == self.DEMO:
                button.setDefault(True)
        self.resize(480, 300)

    def _choose(self, choice: int) -> None:
        self.choice = choice
        self.accept()


def open_demo(parent: QWidget | None, done: Callable[[Path | None], None]) -> None:
    """``done(path)`` with the demo database, built on the engine thread on first use
    (with a progress dialog); ``done(None)`` when the build was cancelled or failed."""
    # Imported here, not at the top: the demo and its history (openpyxl) cost ~90 ms
    # that every start would otherwise pay before the first window.
    from engine.app.demo import build_demo, demo_db_path
    path = demo_db_path()
    if path.is_file():
        done(path)
        return

    def failed(exc: BaseException) -> None:
        show_error(parent, exc)
        done(None)

    QueryOp(parent, None,
            lambda _shop, progress, cancel: build_demo(path, progress=progress, cancel=cancel),
            success=done, failure=failed, cancelled=lambda: done(None),
            ).with_progress("デモのお店を準備しています…").run_in_background()


def choose_first_database(parent: QWidget | None = None) -> Path | None:
    """Ask on a first start; None when the user closed the dialog."""
    dialog = WelcomeDialog(parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    if dialog.choice == WelcomeDialog.DEMO:
        return wait_for(lambda done: open_demo(parent, done))
    if dialog.choice == WelcomeDialog.NEW:
        return default_db_path()
    name, _ = QFileDialog.getOpenFileName(parent, "データベースを開く", str(Path.home()),
                                          "Otokuiデータベース (*.db);;すべてのファイル (*)")
    return Path(name) if name else None

