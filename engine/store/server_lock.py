"""A lock on the server that keeps two desktops from one big change at once.

An import or a restore of a shop on a PostgreSQL server runs inside ``held(url,
activity)``: a PostgreSQL advisory lock taken on a connection of its own and kept
for the length of the work. The server lets it go the moment that connection ends
— the work done, the program killed, the network gone — so a desktop that
crashed never keeps the others out. Who holds it is read from the holder's
connection itself: the statement that took the lock carries the activity and the
staff member in a comment (``pg_stat_activity.query``; ``application_name`` would
turn Japanese into "?"), ``query_start`` says when: no table to clean up after a
crash.

A second desktop is told at once who is doing what since when
(``BusyError``), or with ``wait`` waits for them, cancellably.
"""
from __future__ import annotations

import getpass
import json
import re
import socket
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Iterator

from engine.errors import OtokuiError
from engine.progress import Cancel, Progress, check_cancel, reporter
from engine.store import postgres

# The advisory lock's first key: Otokui's (the SQLite file's application_id);
# the second is the lock's number below.
KEY_SPACE = 0x4F544B55
BULK = 1
_POLL_SECONDS = 0.5


class BusyError(OtokuiError):
    """Another desktop holds the lock; the message says who, doing what, since when."""


@dataclass(frozen=True)
class Holder:
    activity: str
    who: str
    since: datetime | None

    def describe(self) -> str:
        when = f"{self.since:%H:%M}から" if self.since is not None else ""
        return f"{self.who}が{self.activity}をしています" + (f"（{when}）" if when else "")


def staff_name() -> str:
    """Who works at this desktop when no name was given (``Shop(staff=…)``): the
    computer's user and the computer's name."""
    try:
        user = getpass.getuser()
    except Exception:   # noqa: BLE001 — no user name in the environment
        user = "不明なユーザー"
    return f"{user}（{socket.gethostname()}）"


@contextmanager
def held(url: str, activity: str, who: str | None = None, wait: bool = False,
         progress: Progress | None = None, cancel: Cancel | None = None) -> Iterator[None]:
    """Hold the shop's lock for big changes while the body runs. ``activity``: what
    this desktop does, as a noun (「取込」「復元」); ``who``: the staff member
    (default ``staff_name()``). When another desktop holds it: BusyError naming
    them, or with ``wait`` wait until they are done (``cancel`` stops waiting)."""
    who = who or staff_name()
    conn = postgres.connect(url, autocommit=True)
    try:
        take = f"SELECT pg_try_advisory_lock(%s::int4, %s::int4) {_signed(activity, who)}"
        report = reporter(progress)
        while not conn.execute(take, (KEY_SPACE, BULK)).fetchone()[0]:
            other = holder(conn)
            busy = (f"{other.describe()}。" if other is not None
                    else "ほかのパソコンが大きな変更をしています。")
            if not wait:
                raise BusyError(busy + "終わってから、もう一度お試しください。")
            report(0.0, busy + "終わるのを待っています…")
            check_cancel(cancel)
            time.sleep(_POLL_SECONDS)
            check_cancel(cancel)
        yield
    finally:
        # Closing the connection frees the lock (also when the work failed), but only
        # once the server's process for it has ended, after close() returns: let it go
        # first, or this desktop's next import could find it still held by itself.
        try:
            conn.execute("SELECT pg_advisory_unlock_all()")
        except Exception:   # noqa: BLE001 — a lost connection: the server frees the lock
            pass
        conn.close()


def holder(conn) -> Holder | None:
    """Who holds the lock now (None when no one does), read on ``conn``."""
    row = conn.execute(
        "SELECT a.query, a.query_start FROM pg_locks l "
        "JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.classid::int8 = %s "
        "AND l.objid::int8 = %s "
        "AND l.objsubid = 2 AND l.database = (SELECT oid FROM pg_database "
        "WHERE datname = current_database())",
        (KEY_SPACE, BULK)).fetchone()
    if row is None:
        return None
    query, since = row
    found = re.search(r"/\* otokui-holder (.*) \*/", query or "")
    try:
        signed = json.loads(found[1]) if found else {}
    except ValueError:
        signed = {}
    return Holder(str(signed.get("activity") or "大きな変更"),
                  str(signed.get("who") or "ほかのパソコン"),
                  since.astimezone().replace(tzinfo=None) if since is not None else None)


def _signed(activity: str, who: str) -> str:
    """An SQL comment naming the activity and the staff member: ASCII-only JSON with
    no "*/" in it (every "/" escaped) and "%" doubled for the driver's parameters."""
    text = json.dumps({"activity": activity, "who": who}).replace("/", "\\/")
    return f"/* otokui-holder {text} */".replace("%", "%%")
