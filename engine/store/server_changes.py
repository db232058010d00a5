"""Telling the other desktops of a shop on a PostgreSQL server that data changed.

A desktop that changes the shop calls ``announce(conn, what)`` inside the change's
transaction: PostgreSQL delivers the notice (NOTIFY) to every listening desktop
when, and only when, the transaction commits — a rolled-back change is never
announced. Each desktop runs one ``ChangeListener`` (LISTEN on a connection of its
own, on a thread of its own) that counts the changes of the *other* desktops and
calls back, so the window refreshes what it shows and the engine's memos (which
on SQLite follow ``PRAGMA data_version``) are dropped.

Notices are not kept by the server for a desktop that is not listening: when the
listener's connection is lost it connects again and reports a change of unknown
extent ("reconnected"), so nothing missed in between is shown stale. It calls
``on_lost()`` when it loses (or cannot make) its connection, once until it is
back: a front end can tell the user the server is gone before they try anything.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from dataclasses import dataclass
from typing import Callable

from engine.store import postgres

_log = logging.getLogger(__name__)

CHANNEL = "otokui_changes"
# This program's mark on its own notices, so its listener leaves them out.
SENDER = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
# Seconds between the listener's checks whether it should stop.
_WAKE_SECONDS = 0.5
# Seconds to wait before connecting again after the connection was lost.
_RETRY_SECONDS = 2.0


@dataclass(frozen=True)
class ChangeNotice:
    """What another desktop changed (``what``: e.g. "orders", "tasks"; "" when it
    did not say), who (their staff name), or ``reconnected``: notices may have been
    missed, so anything may have changed."""
    what: str = ""
    who: str = ""
    reconnected: bool = False


def announce(conn, what: str = "", who: str = "") -> None:
    """Tell the other desktops, when the caller's transaction commits, that ``what``
    changed (``conn``: a psycopg connection inside that transaction)."""
    payload = json.dumps({"sender": SENDER, "what": what, "who": who}, ensure_ascii=False)
    conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))


class ChangeListener:
    """Listens for the other desktops' changes to the shop at ``url`` and calls
    ``on_change(notice)`` for each, on the listener's own thread (a front end
    hands it over to its own thread). ``generation`` counts them: a reader that
    kept a figure at one generation knows it is stale at another."""

    def __init__(self, url: str, on_change: Callable[[ChangeNotice], None] | None = None,
                 sender: str = SENDER, on_lost: Callable[[], None] | None = None):
        self.url, self.on_change, self.sender = url, on_change, sender
        self.on_lost = on_lost
        self.generation = 0
        self._stop = threading.Event()
        self._listening = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 10.0) -> "ChangeListener":
        """Start listening; returns once the listener listens (or ``timeout`` passed)."""
        self._thread = threading.Thread(target=self._run, name="otokui-changes", daemon=True)
        self._thread.start()
        self._listening.wait(timeout)
        return self

    @property
    def listening(self) -> bool:
        return self._listening.is_set()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> "ChangeListener":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _run(self) -> None:
        reconnect = False
        while not self._stop.is_set():
            try:
                with postgres.connect(self.url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._listening.set()
                    if reconnect:
                        self._changed(ChangeNotice(reconnected=True))
                        reconnect = False
                    while not self._stop.is_set():
                        for notify in conn.notifies(timeout=_WAKE_SECONDS, stop_after=1):
                            self._received(notify.payload)
            except Exception as exc:   # noqa: BLE001 — a lost server: try again, never die
                self._listening.clear()
                if not reconnect and not self._stop.is_set():
                    self._call(self.on_lost)
                reconnect = True
                _log.warning("変更の通知を受け取る接続が切れました。%s秒後につなぎ直します（%s）",
                             _RETRY_SECONDS, type(exc).__name__)
                self._stop.wait(_RETRY_SECONDS)

    def _received(self, payload: str) -> None:
        try:
            body = json.loads(payload)
        except ValueError:
            body = {}
        if body.get("sender") == self.sender:
            return
        self._changed(ChangeNotice(str(body.get("what", "")), str(body.get("who", ""))))

    def _changed(self, notice: ChangeNotice) -> None:
        self.generation += 1
        self._call(self.on_change, notice)

    @staticmethod
    def _call(callback: Callable | None, *args) -> None:
        if callback is not None:
            try:
                callback(*args)
            except Exception:   # noqa: BLE001 — a front end's failure must not stop listening
                _log.exception("変更の通知の処理に失敗しました")
