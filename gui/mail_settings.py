"""ファイル → メールの設定…: the shop's own mail server, the sender the footer names,
the password in the operating system's credential store, and a test send."""
from __future__ import annotations

from dataclasses import asdict

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout,
                               QLabel, QLineEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from engine.marketing.mail_templates import COMMON
from gui.context import AppContext
from gui.errors import ERROR_STYLE, error_text, show_error

MENU_LABEL = "メールの設定…"
SECURITY_CHOICES = [("starttls", "STARTTLS（ポート587など・ふつうはこれ）"),
                    ("ssl", "SSL/TLS（ポート465など）"),
                    ("none", "なし（店内の中継サーバー）")]
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
PASSWORD_SAVED = "保存済み（変えるときだけ入力）"
PASSWORD_NONE = "まだ保存されていません"
TEXT_FIELDS = [  # (key, label, placeholder)
    ("host", "送信サーバー", "例: smtp.example.jp（プロバイダーの案内を見てください）"),
    ("user", "ユーザー名", "例: info@example.jp（ログインが不要なら空欄）"),
    ("from_address", "差出人アドレス", "例: info@example.jp"),
    ("sender_name", "送信者名（店名）", "例: 手づくり雑貨 さくら"),
    ("sender_address", "送信者の住所", "例: 東京都千代田区1-2-3"),
    ("contact", "お問い合わせ先", "例: 03-1234-5678 / info@example.jp"),
    ("unsubscribe", "配信停止の受付アドレス", "空欄なら差出人アドレスで受け付けます"),
]


class MailSettingsDialog(QDialog):
    """Every field of ``shop.mail.setup``; the password goes to the credential store."""

    def __init__(self, parent: QWidget | None, ctx: AppContext):
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("メールの設定")
        self.texts: dict[str, QLineEdit] = {}
        for key, _label, placeholder in TEXT_FIELDS:
            edit = QLineEdit()
            edit.setPlaceholderText(placeholder)
            self.texts[key] = edit
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(587)
        self.security = QComboBox()
        for code, label in SECURITY_CHOICES:
            self.security.addItem(label, code)
        self.security.currentIndexChanged.connect(self._security_changed)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_state = QLabel(PASSWORD_NONE)
        self.password_state.setStyleSheet("color: #555")
        self.per_minute = QSpinBox()
        self.per_minute.setRange(1, 6000)
        self.per_minute.setValue(20)
        self.per_minute.setSuffix(" 通")
        self.per_minute.setToolTip("プロバイダーの上限より少なめに（多くの場合 20〜30通）。")
        per_minute = QHBoxLayout()
        per_minute.addWidget(self.per_minute)
        per_minute.addStretch(1)

        server = QHBoxLayout()
        server.addWidget(self.texts["host"], 1)
        server.addWidget(QLabel("ポート"))
        server.addWidget(self.port)
        password = QHBoxLayout()
        password.addWidget(self.password, 1)
        password.addWidget(self.password_state)
        form = QFormLayout()
        form.addRow("送信サーバー", server)
        form.addRow("暗号化", self.security)
        form.addRow("ユーザー名", self.texts["user"])
        form.addRow("パスワード", password)
        for key in ("from_address", "sender_name", "sender_address", "contact", "unsubscribe"):
            label = next(text for k, text, _ in TEXT_FIELDS if k == key)
            form.addRow(label, self.texts[key])
        form.addRow("1分あたりの送信数", per_minute)

        note = QLabel("パスワードはこのパソコンの資格情報（Windowsの資格情報マネージャーなど）に"
                      "保存され、データベースやバックアップには入りません。\n"
                      "送信者名・住所・お問い合わせ先は、特定電子メール法によりすべてのメールの末尾に"
                      "自動で入ります。")
        note.setWordWrap(True)
        note.setStyleSheet("color: #555")
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.hide()
        self.status = QLabel()
        self.status.setWordWrap(True)

        self.test_button = QPushButton("テスト送信")
        self.test_button.setToolTip("入力した設定を保存してから、差出人アドレス（お店自身）に"
                                    "見本のメールを送ります。")
        self.test_button.clicked.connect(self.send_test)
        buttons = QDialogButtonBox()
        self.save_button = buttons.addButton("保存", QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button = buttons.addButton("閉じる", QDialogButtonBox.ButtonRole.RejectRole)
        self.save_button.clicked.connect(self.save)
        self.close_button.clicked.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.test_button)
        bottom.addStretch(1)
        bottom.addWidget(buttons)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(self.status)
        layout.addLayout(bottom)
        self.resize(640, self.sizeHint().height())
        self.load()

    # --- loading --------------------------------------------------------------------

    def load(self) -> None:
        self.ctx.run(self, lambda shop, p, c: (asdict(shop.mail.settings()),
                                               shop.mail.has_password()), self._show)

    def _show(self, loaded: tuple[dict, bool]) -> None:
        values, has_password = loaded
        for key, edit in self.texts.items():
            edit.setText(str(values.get(key) or ""))
        self.security.blockSignals(True)
        self.security.setCurrentIndex(max(0, self.security.findData(values["security"])))
        self.security.blockSignals(False)
        self.port.setValue(int(values["port"]))
        self.per_minute.setValue(int(values["per_minute"]))
        self._show_password_state(has_password)

    def _show_password_state(self, saved: bool) -> None:
        self.password.clear()
        self.password_state.setText(PASSWORD_SAVED if saved else PASSWORD_NONE)
        self.password.setPlaceholderText("変えないときは空欄のまま" if saved else "")

    def _security_changed(self) -> None:
        # A port still at another method's usual number follows the method.
        if self.port.value() in DEFAULT_PORTS.values():
            self.port.setValue(DEFAULT_PORTS[self.security.currentData()])

    # --- saving ---------------------------------------------------------------------

    def values(self) -> dict:
        values = {key: edit.text().strip() for key, edit in self.texts.items()}
        values.update(port=self.port.value(), security=self.security.currentData(),
                      per_minute=self.per_minute.value())
        return values

    def _setup_op(self):
        values, password = self.values(), self.password.text()

        def setup(shop) -> bool:
            shop.mail.setup(password=password or None, **values)
            return shop.mail.has_password()
        return setup

    def _failed(self, exc: BaseException) -> None:
        self._busy(False)
        text = error_text(exc)
        if text is None:
            show_error(self, exc)
            return
        self.error.setText(text)
        self.error.show()
        self.status.clear()

    def _busy(self, busy: bool) -> None:
        for button in (self.test_button, self.save_button):
            button.setEnabled(not busy)

    def _password_ok(self) -> bool:
        """Mail servers take only half-width passwords (smtplib cannot even send others):
        said here, before anything is stored."""
        if self.password.text().isascii():
            return True
        self.error.setText("パスワードに全角の文字が入っています。メールサーバーのパスワードは"
                           "半角の英数字・記号で入力してください（入力モードを半角にしてください）。")
        self.error.show()
        self.status.clear()
        return False

    def save(self) -> None:
        if not self._password_ok():
            return
        setup = self._setup_op()
        self.error.hide()
        self._busy(True)

        def done(has_password: bool) -> None:
            self._busy(False)
            self._show_password_state(has_password)
            self.status.setText("保存しました。")
        self.ctx.run(self, lambda shop, p, c: setup(shop), done, failure=self._failed)

    def send_test(self) -> None:
        """Save what is typed, then send the common message for a sample customer to the
        shop's own address (on the worker: a slow server never freezes the window)."""
        if not self._password_ok():
            return
        setup = self._setup_op()
        self.error.hide()
        self.status.setText("送信しています…")
        self._busy(True)

        def op(shop, progress, cancel):
            has_password = setup(shop)
            return has_password, shop.mail.send_test(COMMON)

        def done(result) -> None:
            has_password, to = result
            self._busy(False)
            self._show_password_state(has_password)
            self.status.setText(f"設定を保存し、{to} にテストメールを送りました。"
                                "受信箱（迷惑メールフォルダも）を確かめてください。")
        self.ctx.run(self, op, done, failure=self._failed)


def open_mail_settings(parent: QWidget, ctx: AppContext) -> MailSettingsDialog:
    dialog = MailSettingsDialog(parent, ctx)
    dialog.open()
    return dialog
