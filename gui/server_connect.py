"""ファイル → 共有データベースに接続…: a shop on a PostgreSQL server that several PCs share.

The dialog asks for the server, port, database, user and password, whether to
insist on TLS, and the staff name this PC works under (named to the other PCs).
It connects on the engine thread (the window stays responsive, a wait cursor
and a progress dialog meanwhile) and shows why it could not in the dialog, in
the engine's Japanese.

TLS: checked (the default) is ``sslmode=require``: the connection is encrypted
or not made, so a password never crosses the network in the clear. Unchecked is
``sslmode=prefer``, not ``disable``: the box then means "also without
encryption" (a NAS in the shop without a certificate), and a server that offers
TLS is still used with it. Neither checks the server's certificate: shops' own
servers have self-signed ones, and no one would know where to put the CA.

The password goes to the operating system's credential store (``keyring``) when
the user asks and one works; never into gui.json, the URL kept there, or a log.
Without a working store (Linux without a secret service) the dialog says the
password will be asked at each start, and still connects.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable
from urllib.parse import quote, urlsplit, urlunsplit

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QCheckBox, QDialog, QDialogButtonBox, QFormLayout, QLabel,
                               QLineEdit, QSpinBox, QVBoxLayout, QWidget)

import engine
from engine.store import postgres, server_lock
from gui import state
from gui.errors import ERROR_STYLE, error_text, show_error
from gui.worker import QueryOp

MENU_LABEL = "共有データベースに接続…"
TLS_ON, TLS_OFF = "require", "prefer"
NO_KEYRING = ("このパソコンにはパスワードを保存する場所（資格情報の保存先）がないため、"
              "パスワードは起動のたびに尋ねます。")


@dataclass(frozen=True)
class ServerPlace:
    """Where a shared shop is, as the dialog asks for it (no password)."""
    host: str
    port: int
    dbname: str
    user: str
    tls: bool = True

    def url(self, password: str | None = None) -> str:
        """The postgresql:// URL; with ``password`` only for opening, never to keep."""
        auth = quote(self.user, safe="")
        if password:
            auth += ":" + quote(password, safe="")
        host = f"[{self.host}]" if ":" in self.host else self.host
        mode = TLS_ON if self.tls else TLS_OFF
        return f"postgresql://{auth}@{host}:{self.port}/{quote(self.dbname, safe='')}?sslmode={mode}"

    @property
    def title(self) -> str:
        """「host/db」, as the window title shows it."""
        return f"{self.host}/{self.dbname}"

    @classmethod
    def of(cls, url: str) -> "ServerPlace":
        params, target = postgres.parse(url)
        return cls(target.host, target.port, target.dbname, target.user,
                   params.get("sslmode") not in ("prefer", "allow", "disable"))


def with_password(url: str, password: str | None) -> str:
    """``url`` carrying ``password`` (None: none, what may be kept in gui.json); its
    other parts as they are."""
    parts = urlsplit(url)
    user, at, host = parts.netloc.rpartition("@")
    user = user.split(":", 1)[0]
    if password:
        user += ":" + quote(password, safe="")
    return urlunsplit(parts._replace(netloc=f"{user}{at or ('@' if user else '')}{host}"))


def without_password(url: str) -> str:
    """``url`` with any password taken out (what may be kept in gui.json)."""
    return with_password(url, None)


def remembered_staff() -> str:
    """The staff name this PC works under (gui.json), default the computer's user."""
    name = str(state.load().get("staff") or "").strip()
    return name or server_lock.staff_name()


def keyring_works() -> bool:
    """Whether a credential store is there to keep the password in."""
    try:
        import keyring
        from keyring.backends import fail, null
        backend = keyring.get_keyring()
    except Exception:   # noqa: BLE001 — a broken keyring installation keeps nothing
        return False
    return not isinstance(backend, (fail.Keyring, null.Keyring))


def forget_password(place: ServerPlace) -> None:
    try:
        import keyring
        keyring.delete_password(postgres.KEYRING_SERVICE, postgres.parse(place.url())[1].keyring_user)
    except Exception:   # noqa: BLE001 — nothing stored, or no store: nothing to forget
        pass


def open_server_shop(url: str, staff: str, password: str = "", save_password: bool = False
                     ) -> engine.Shop:
    """On the engine thread: the shop at ``url`` as ``staff``; the password kept in the
    credential store, or forgotten there, as the user chose."""
    place = ServerPlace.of(url)
    shop = engine.Shop(with_password(url, password) if password else url, staff=staff)
    if password and save_password:
        try:
            postgres.store_password(url, password)
        except Exception:   # noqa: BLE001 — said in the dialog beforehand; still connected
            pass
    elif password and not save_password:
        forget_password(place)
    return shop


def connect_in_background(parent: QWidget | None, url: str, staff: str, password: str,
                          save_password: bool, success: Callable[[engine.Shop], None],
                          failure: Callable[[BaseException], None]) -> QueryOp:
    """Connect on the engine thread with a wait cursor and a progress dialog."""
    QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)

    def done(shop) -> None:
        QGuiApplication.restoreOverrideCursor()
        success(shop)

    def failed(exc: BaseException) -> None:
        QGuiApplication.restoreOverrideCursor()
        failure(exc)

    return QueryOp(parent, None,
                   lambda _shop, _p, _c: open_server_shop(url, staff, password, save_password),
                   success=done, failure=failed,
                   ).with_progress("共有データベースに接続しています…", cancellable=False
                                   ).run_in_background()


class ConnectDialog(QDialog):
    """The connection's fields; after 接続 succeeded, ``shop`` is the open shop and
    ``url`` its address without the password (to remember)."""

    def __init__(self, parent: QWidget | None = None, url: str | None = None,
                 message: str = ""):
        super().__init__(parent)
        self.setWindowTitle("共有データベースに接続")
        self.shop: engine.Shop | None = None
        self.url = ""
        place = ServerPlace.of(url) if url else None
        self.host = QLineEdit(place.host if place else "")
        self.host.setPlaceholderText("例: 192.168.1.10 または nas.local")
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(place.port if place else postgres.DEFAULT_PORT)
        self.dbname = QLineEdit(place.dbname if place else "otokui")
        self.user = QLineEdit(place.user if place else "")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.tls = QCheckBox("暗号化して接続する（TLS）")
        self.tls.setChecked(place.tls if place else True)
        self.tls.setToolTip("オフにすると、サーバーが暗号化に対応していないときは暗号化せずに"
                            "接続します（対応していれば暗号化します）。店内のネットワークだけで"
                            "使うサーバー向けです。")
        self.staff = QLineEdit(remembered_staff())
        self.staff.setToolTip("ほかのパソコンの画面や履歴に、この名前で表示されます。")
        self.save_password = QCheckBox("パスワードを保存する")
        self.keyring_ok = keyring_works()
        self.save_password.setChecked(self.keyring_ok)
        self.save_password.setEnabled(self.keyring_ok)

        form = QFormLayout()
        form.addRow("サーバー（ホスト名）", self.host)
        form.addRow("ポート", self.port)
        form.addRow("データベース名", self.dbname)
        form.addRow("ユーザー名", self.user)
        form.addRow("パスワード", self.password)
        form.addRow("", self.save_password)
        form.addRow("", self.tls)
        form.addRow("あなたの名前（担当者名）", self.staff)
        note = QLabel("パスワードはこのパソコンの資格情報（Windowsの資格情報マネージャーなど）に"
                      "保存され、Otokuiの設定ファイルやログには入りません。"
                      + ("" if self.keyring_ok else "\n" + NO_KEYRING))
        note.setWordWrap(True)
        note.setStyleSheet("color: #555")
        self.note = note
        self.error = QLabel(message)
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setVisible(bool(message))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.connect_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.connect_button.setText("接続")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("やめる")
        self.buttons.accepted.connect(self.connect_to_server)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.resize(520, self.sizeHint().height())
        (self.password if place else self.host).setFocus()

    def place(self) -> ServerPlace:
        return ServerPlace(self.host.text().strip(), self.port.value(),
                           self.dbname.text().strip(), self.user.text().strip(),
                           self.tls.isChecked())

    def connect_to_server(self) -> None:
        place = self.place()
        missing = [label for label, value in (("サーバー", place.host), ("データベース名", place.dbname),
                                              ("ユーザー名", place.user)) if not value]
        if missing:
            self._show_error(f"{'・'.join(missing)}を入力してください。")
            return
        staff = self.staff.text().strip() or server_lock.staff_name()
        self.url = place.url()
        self.connect_button.setEnabled(False)
        self.error.hide()
        connect_in_background(self, self.url, staff, self.password.text(),
                              self.save_password.isChecked() and self.keyring_ok,
                              lambda shop: self._connected(shop, staff), self._failed)

    def _connected(self, shop: engine.Shop, staff: str) -> None:
        self.connect_button.setEnabled(True)
        state.remember(staff=staff)
        self.shop = shop
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.connect_button.setEnabled(True)
        text = error_text(exc)
        if text is None:
            show_error(self, exc)
        else:
            self._show_error(text)

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()


def ask_and_connect(parent: QWidget | None, url: str | None = None,
                    message: str = "") -> tuple[engine.Shop, str] | None:
    """The dialog, modal; (shop, url to remember) once connected, None if given up."""
    dialog = ConnectDialog(parent, url, message)
    if dialog.exec() != QDialog.DialogCode.Accepted or dialog.shop is None:
        return None
    return dialog.shop, dialog.url
