"""Connecting to a PostgreSQL shop (psycopg 3).

A shop on a server is named by a URL: ``postgresql://user@host:port/database``.
TLS is tried first and plain connections accepted (``sslmode=prefer``) unless
the URL says otherwise. The password comes from the URL, from libpq's own places
(PGPASSWORD, the .pgpass / pgpass.conf file) or from the operating system's
credential store (``keyring``), as the SMTP password does; it never goes into a
file of Otokui's or a message.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from engine.errors import OtokuiError

URL_PREFIXES = ("postgresql://", "postgres://")
KEYRING_SERVICE = "Otokui PostgreSQL"
DEFAULT_PORT = 5432
CONNECT_TIMEOUT_SECONDS = 10


class ServerUnavailableError(OtokuiError):
    """The PostgreSQL server cannot be reached or refuses the connection."""


class PasswordRefusedError(ServerUnavailableError):
    """The server refuses this user: a wrong or missing password, or no permission."""


def is_url(location: str) -> bool:
    return str(location).startswith(URL_PREFIXES)


@dataclass(frozen=True)
class Target:
    """Where a URL points, for messages and the credential store (no password)."""
    host: str
    port: int
    dbname: str
    user: str

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def keyring_user(self) -> str:
        return f"{self.user}@{self.host}:{self.port}/{self.dbname}"


def parse(url: str) -> tuple[dict, Target]:
    """The URL's connection parameters (with our defaults) and where it points."""
    from psycopg.conninfo import conninfo_to_dict
    try:
        params = conninfo_to_dict(url)
    except Exception as exc:   # noqa: BLE001 — psycopg raises ProgrammingError for bad URLs
        raise OtokuiError(
            f"PostgreSQLの接続先の書き方が正しくありません（{exc}）。"
            "postgresql://ユーザー名@サーバー名:ポート番号/データベース名 の形で指定してください。"
        ) from None
    params.setdefault("sslmode", "prefer")
    params.setdefault("connect_timeout", str(CONNECT_TIMEOUT_SECONDS))
    params.setdefault("application_name", "Otokui")
    host = str(params.get("host") or "localhost")
    port = int(params.get("port") or DEFAULT_PORT)
    user = str(params.get("user") or "")
    dbname = str(params.get("dbname") or user)
    return params, Target(host, port, dbname, user)


def describe(url: str) -> str:
    """The URL without its password, for messages."""
    _, target = parse(url)
    user = f"{target.user}@" if target.user else ""
    return f"postgresql://{user}{target.where}/{target.dbname}"


def _keyring():
    import keyring
    return keyring


def stored_password(target: Target) -> str | None:
    try:
        return _keyring().get_password(KEYRING_SERVICE, target.keyring_user)
    except Exception:   # noqa: BLE001 — any backend failure means "not stored here"
        return None


def store_password(url: str, password: str) -> None:
    """Keep the password for this server, user and database in the OS credential store."""
    _, target = parse(url)
    try:
        _keyring().set_password(KEYRING_SERVICE, target.keyring_user, password)
    except Exception as exc:   # noqa: BLE001 — keyring backends raise their own types
        raise OtokuiError(
            "パスワードをこのパソコンの資格情報に保存できませんでした"
            f"（{type(exc).__name__}）。接続先のURLにパスワードを含めるか、"
            "環境変数 PGPASSWORD に入れてから実行してください。") from None


def connect(url: str, *, autocommit: bool = False):
    """A psycopg connection to the shop at ``url``, or a Japanese ServerUnavailableError
    naming the server and what to do."""
    import os

    import psycopg
    params, target = parse(url)
    if not params.get("password") and not os.environ.get("PGPASSWORD"):
        password = stored_password(target)
        if password:
            params["password"] = password
    try:
        return _connection_class().connect(**params, autocommit=autocommit)
    except psycopg.OperationalError as exc:
        raise connection_error(exc, target) from None


@lru_cache(maxsize=1)
def _connection_class():
    import psycopg

    class ShopConnection(psycopg.Connection):
        """Ends its server session when let go without close() — a Shop dropped
        unclosed, as a sqlite3 connection ends with its object — where psycopg
        would warn: when the shop and its services are garbage together, the
        collector may end this connection before anything that would close it."""

        def __del__(self, *args) -> None:
            if hasattr(self, "pgconn") and not self.closed:
                self.pgconn.finish()

    return ShopConnection


def connection_error(exc: Exception, target: Target) -> ServerUnavailableError:
    """What a failed connection means for the shop, in Japanese."""
    detail = " ".join(str(exc).split())
    lower = detail.lower()
    code = getattr(exc, "sqlstate", None) or ""
    if code in ("28P01", "28000") or "password authentication failed" in lower \
            or "no password supplied" in lower:
        return PasswordRefusedError(
            f"PostgreSQLサーバー {target.where} に接続できません: ユーザー「{target.user}」の"
            "パスワードが違うか、接続が許可されていません。ユーザー名とパスワード、サーバーの"
            f"接続許可の設定（pg_hba.conf）を確認してください。（{detail}）")
    if code == "3D000" or ("database" in lower and "does not exist" in lower):
        return ServerUnavailableError(
            f"PostgreSQLサーバー {target.where} にデータベース「{target.dbname}」がありません。"
            "サーバーで作成してから（例: createdb）、もう一度お試しください。")
    if "does not support ssl" in lower:
        return ServerUnavailableError(
            f"PostgreSQLサーバー {target.where} は暗号化（TLS）した接続に対応していません。"
            "サーバーでTLSを有効にする（postgresql.conf の ssl = on と証明書）か、店内のネットワーク"
            "だけで使うサーバーなら「暗号化して接続する」をオフにしてから、もう一度お試しください。")
    return ServerUnavailableError(
        f"PostgreSQLサーバー {target.where} に接続できません。サーバーが起動しているか、"
        "サーバー名とポート番号、ファイアウォールの設定を確認してから、もう一度お試しください。"
        f"（{detail}）")
