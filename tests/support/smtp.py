"""A real SMTP server (aiosmtpd) on localhost for the e-mail tests: it keeps every
message it accepts, can refuse chosen recipients, speak STARTTLS or SSL with a
throwaway certificate authority, and ask for a login."""
from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

import keyring
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from keyring.backend import KeyringBackend


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def body(self) -> str:
        """The text as a mail client shows it (MIME sends lines ending in CRLF)."""
        return self.message.get_body(("plain",)).get_content().replace("\r\n", "\n")


@dataclass
class Handler:
    received: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)      # recipients answered with 550

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 メールボックスがありません (no such user)"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=default)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``with Server(security=...) as server``: server.port, server.handler.received."""

    def __init__(self, security: str = "none", login: tuple[str, str] | None = None):
        self.security = security
        self.login = login
        self.handler = Handler()
        self.port = free_port()
        self.authority = trustme.CA()
        self.client_context = ssl.create_default_context()
        self.authority.configure_trust(self.client_context)
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.authority.issue_cert("localhost", "127.0.0.1").configure_cert(server_context)
        options = {}
        if security == "starttls":
            options.update(tls_context=server_context, require_starttls=True)
        elif security == "ssl":
            options.update(ssl_context=server_context)
        if login is not None:
            # aiosmtpd cannot tell an implicit-SSL connection is encrypted (it would not
            # offer AUTH), so it is told TLS is not required there; pyproject.toml
            # silences the warning it gives for every connection about that.
            options.update(authenticator=self._authenticate, auth_required=True,
                           auth_require_tls=security == "starttls")
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                     server_hostname="localhost", **options)

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and (auth_data.login.decode(), auth_data.password.decode()) == self.login)
        return AuthResult(success=ok, handled=False)

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def __enter__(self) -> Server:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


class MemoryKeyring(KeyringBackend):
    """The credential store, in memory (CI machines have none)."""
    priority = 1

    def __init__(self):
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.passwords.get((service, username))

    def set_password(self, service, username, password):
        self.passwords[(service, username)] = password

    def delete_password(self, service, username):
        self.passwords.pop((service, username), None)


def memory_keyring() -> MemoryKeyring:
    store = MemoryKeyring()
    keyring.set_keyring(store)
    return store
