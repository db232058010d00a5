"""The shop's own mail server (SMTP): settings, the password in the operating
system's credential store, composing a message and talking to the server.

The password never enters the database, a log or a backup: it lives in the
credential store (Windows 資格情報マネージャー, macOS キーチェーン, the Secret
Service on Linux) through ``keyring``, or comes from OTOKUI_SMTP_PASSWORD for
scripts.
"""
from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import asdict, dataclass, fields
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate, make_msgid

from engine.errors import InvalidInputError, OtokuiError
from engine.marketing.mail_templates import Sender
from engine.text import user_text

SETTING = "mail.server"
PASSWORD_ENV = "OTOKUI_SMTP_PASSWORD"
KEYRING_SERVICE = "Otokui メール送信"
SECURITY = {"starttls": "STARTTLS（ポート587など）", "ssl": "SSL/TLS（ポート465など）",
            "none": "暗号化なし（社内の中継サーバー用）"}
TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class MailSettings:
    host: str = ""
    port: int = 587
    security: str = "starttls"
    user: str = ""
    from_address: str = ""
    sender_name: str = ""
    sender_address: str = ""
    contact: str = ""
    unsubscribe: str = ""          # default: from_address
    per_minute: int = 20           # messages a minute at most (providers limit bursts)

    def missing(self) -> list[str]:
        """What must be filled in before anything is sent, in words."""
        need = {"host": "送信サーバー", "from_address": "差出人のメールアドレス",
                "sender_name": "送信者名（店名）", "sender_address": "送信者の住所",
                "contact": "お問い合わせ先"}
        return [label for key, label in need.items() if not getattr(self, key)]

    @property
    def sender(self) -> Sender:
        return Sender(self.sender_name, self.sender_address, self.contact,
                      self.unsubscribe or self.from_address)

    @property
    def keyring_user(self) -> str:
        return f"{self.user}@{self.host}:{self.port}"


def clean_settings(values: dict) -> MailSettings:
    """Settings from what the user typed, or an error naming the field."""
    known = {f.name for f in fields(MailSettings)}
    values = {k: v for k, v in values.items() if k in known and v is not None}
    text = {k: user_text(v) for k, v in values.items() if k not in ("port", "per_minute")}
    settings = MailSettings(**{**asdict(MailSettings()), **values, **text})
    try:
        port, rate = int(settings.port), int(settings.per_minute)
    except (TypeError, ValueError):
        raise InvalidInputError("ポート番号と1分あたりの送信数は数字で入力してください。") from None
    if not 1 <= port <= 65535:
        raise InvalidInputError(f"ポート番号「{port}」は 1〜65535 で指定してください。")
    if not 1 <= rate <= 6000:
        raise InvalidInputError("1分あたりの送信数は 1〜6000 で指定してください。")
    if settings.security not in SECURITY:
        raise InvalidInputError(f"暗号化の方式「{settings.security}」は使えません。"
                                + "、".join(SECURITY) + " のいずれかにしてください。")
    for label, address in (("差出人", settings.from_address),
                           ("配信停止の受付", settings.unsubscribe)):
        if address and not _plain_address(address):
            raise InvalidInputError(f"{label}のメールアドレス「{address}」が正しくありません。")
    return MailSettings(**{**asdict(settings), "port": port, "per_minute": rate})


def _plain_address(address: str) -> bool:
    local, at, domain = address.partition("@")
    return bool(at and local and "." in domain and address.isascii() and " " not in address)


# --- the password ---------------------------------------------------------------

def _keyring():
    import keyring
    return keyring


def get_password(settings: MailSettings) -> str | None:
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    if not settings.user:
        return None
    try:
        return _keyring().get_password(KEYRING_SERVICE, settings.keyring_user)
    except Exception:   # noqa: BLE001 — any backend failure means "not stored here"
        return None


def set_password(settings: MailSettings, password: str) -> None:
    try:
        _keyring().set_password(KEYRING_SERVICE, settings.keyring_user, password)
    except Exception as exc:   # noqa: BLE001 — keyring backends raise their own types
        raise OtokuiError(
            "パスワードをこのパソコンの資格情報に保存できませんでした"
            f"（{type(exc).__name__}）。保存せずに送る場合は、環境変数 {PASSWORD_ENV} に"
            "パスワードを入れてから実行してください。") from None


# --- messages ---------------------------------------------------------------------

def compose(settings: MailSettings, to: str, subject: str, body: str) -> EmailMessage:
    """A UTF-8 message that any mail client shows correctly, with List-Unsubscribe."""
    message = EmailMessage(policy=SMTP_POLICY)
    message["Subject"] = subject
    message["From"] = Address(display_name=settings.sender_name,
                              addr_spec=settings.from_address)
    message["To"] = to
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=settings.from_address.partition("@")[2])
    unsubscribe = settings.unsubscribe or settings.from_address
    message["List-Unsubscribe"] = f"<mailto:{unsubscribe}?subject=unsubscribe>"
    message.set_content(body, charset="utf-8", cte="base64")
    return message


class Connection:
    """One SMTP session (opened on first use, reopened once after a drop)."""

    def __init__(self, settings: MailSettings, password: str | None,
                 context: ssl.SSLContext | None = None):
        self.settings = settings
        self.password = password
        self.context = context or ssl.create_default_context()
        self.smtp: smtplib.SMTP | None = None

    def open(self) -> None:
        s = self.settings
        try:
            self.smtp = self._connect()
        except UnicodeEncodeError:
            # smtplib sends the login as ASCII; servers expect nothing else either.
            raise OtokuiError("メールサーバーのユーザー名かパスワードに全角文字が入っています。"
                              "半角の英数字と記号で入力し直してください。") from None
        except smtplib.SMTPAuthenticationError:
            raise OtokuiError("メールサーバーにログインできませんでした。ユーザー名とパスワードを"
                              "メール設定で確かめてください。") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise OtokuiError(f"メールサーバー {s.host}:{s.port} に接続できませんでした"
                              f"（{describe(exc)}）。サーバー名・ポート・暗号化の方式と、"
                              "インターネットへの接続を確かめてください。") from None

    def _connect(self) -> smtplib.SMTP:
        """A connected, logged-in session; the socket closed again on any failure."""
        s = self.settings
        if s.security == "ssl":
            smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=TIMEOUT_SECONDS,
                                    context=self.context)
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=TIMEOUT_SECONDS)
        try:
            if s.security == "starttls":
                smtp.starttls(context=self.context)
            if s.user:
                if not self.password:
                    raise OtokuiError(
                        "メールサーバーのパスワードが保存されていません。メール設定でパスワードを"
                        f"入力するか、環境変数 {PASSWORD_ENV} に入れてください。")
                smtp.login(s.user, self.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, message: EmailMessage) -> None:
        """Hand one message over; raises smtplib's error when the server refuses it."""
        if self.smtp is None:
            self.open()
        try:
            self.smtp.send_message(message)
        except smtplib.SMTPServerDisconnected:
            self.smtp = None
            self.open()
            self.smtp.send_message(message)

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self.smtp.close()
            self.smtp = None


def describe(exc: Exception) -> str:
    """A refusal or failure in a few words (the server's own reply when it gave one)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(exc.recipients.values()))
        return f"宛先を受け付けませんでした: {code} {_text(reply)}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"サーバーの応答: {exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, TimeoutError):
        return "応答がありません（時間切れ）"
    return str(exc) or type(exc).__name__


def _text(reply) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
