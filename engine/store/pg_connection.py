"""A psycopg connection that offers services what they use of sqlite3's.

Services hold ``db.conn`` and call ``execute`` / ``executemany`` with ``?``
parameters (or ``:name`` ones with a dict), read ``fetchone`` / ``fetchall`` /
iteration / ``description``, ``lastrowid`` after an INSERT, ``rowcount`` and
``in_transaction``. :class:`PgConnection` gives the same over psycopg 3 in
autocommit mode (``Database``-style explicit BEGIN … COMMIT):

* ``?`` becomes ``%s`` and ``:name`` ``%(name)s`` outside quoted strings; every
  ``%`` of the text (quoted ones too: psycopg reads them all) ``%%``; translated
  once per SQL text, and only when there are parameters;
* an INSERT into a table with an identity id gets ``RETURNING id`` for
  ``lastrowid``;
* float NaN binds as NULL (as sqlite3 binds it: pandas' missing numbers);
* ``numeric`` results (PostgreSQL's ``sum`` of bigint) load as int when whole,
  as SQLite's ``sum`` of integers is one.

Bulk writes go through psycopg's ``executemany`` (pipelined); COPY is for later.

A connection the server dropped (stopped, restarted, the backend terminated) is
replaced on the next use when the owner gave a ``reopen``, and the error of the
statement that found it dropped is the owner's ``lost(exc)`` (PostgresDatabase:
a Japanese ServerUnavailableError, and no new connection inside a transaction).
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, Callable, Iterator

from engine.store import dialect as pg_schema

_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?|%|(?<![:\w]):([A-Za-z_]\w*)")
_INSERT = re.compile(r"\s*INSERT\s+INTO\s+\"?(\w+)\"?", re.IGNORECASE)


@lru_cache(maxsize=2048)
def translate(sql: str, named: bool = False) -> str:
    """``sql`` with sqlite3's parameter marks in psycopg's spelling."""
    def mark(match: re.Match) -> str:
        text = match.group(0)
        if text == "?":
            return "%s"
        if text == "%":
            return "%%"
        if match.group(1) is not None:
            return f"%({match.group(1)})s" if named else text
        return text.replace("%", "%%")
    return _TOKENS.sub(mark, sql)


@lru_cache(maxsize=1)
def _identity_tables() -> frozenset[str]:
    return frozenset(t.name for t in pg_schema.tables() if t.identity == "id")


@lru_cache(maxsize=2048)
def _returning(sql: str) -> bool:
    """Whether ``sql`` inserts into a table whose id a caller may ask for."""
    match = _INSERT.match(sql)
    return (match is not None and match.group(1) in _identity_tables()
            and "RETURNING" not in sql.upper())


def _params(params):
    # ``v != v`` holds for NaN alone (sqlite3's binding of it is NULL).
    if isinstance(params, dict):
        return {k: None if v != v else v for k, v in params.items()}
    return [None if v != v else v for v in params]


class PgCursor:
    """The result of one ``execute``: sqlite3.Cursor's reading side."""

    def __init__(self, cursor, lastrowid=None):
        self._cursor = cursor
        self.lastrowid = lastrowid

    @property
    def description(self):
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    def fetchone(self):
        return self._cursor.fetchone() if self._cursor.description else None

    def fetchall(self) -> list:
        return self._cursor.fetchall() if self._cursor.description else []

    def fetchmany(self, size: int = 1) -> list:
        return self._cursor.fetchmany(size) if self._cursor.description else []

    def __iter__(self):
        return iter(self.fetchall())

    def close(self) -> None:
        self._cursor.close()


class PgConnection:
    """sqlite3.Connection's interface over one psycopg connection (autocommit)."""

    def __init__(self, raw, reopen: Callable[[], Any] | None = None,
                 lost: Callable[[Exception], Exception] | None = None):
        self.raw = raw
        self.reopen, self.lost = reopen, lost
        # Identity sequences by table (dialects._sequence).
        self.sequences: dict[str, str] = {}
        _load_numeric_as_numbers(raw)

    @property
    def in_transaction(self) -> bool:
        import psycopg
        # A dropped connection holds no transaction: the server rolled it back.
        return (not self.raw.closed
                and self.raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE)

    def _live(self):
        """The connection, a new one if the server dropped the last (see the module)."""
        if self.raw.closed and self.reopen is not None:
            self.raw = self.reopen()
            _load_numeric_as_numbers(self.raw)
        return self.raw

    @contextmanager
    def _reporting_loss(self) -> Iterator[None]:
        try:
            yield
        except Exception as exc:
            if self.lost is not None and self.raw.closed:
                raise self.lost(exc) from exc
            raise

    def execute(self, sql: str, params=()) -> PgCursor:
        # Without parameters psycopg sends the text as it is (no marks, no %% to undo).
        text = translate(sql, isinstance(params, dict)) if params else sql
        returning = _returning(sql)
        if returning:
            text += " RETURNING id"
        cursor = self._live().cursor()
        with self._reporting_loss():
            cursor.execute(text, _params(params) if params else None)
        if returning:
            rows = cursor.fetchall()
            return PgCursor(cursor, rows[-1][0] if rows else None)
        return PgCursor(cursor)

    def executemany(self, sql: str, rows) -> PgCursor:
        cursor = self._live().cursor()
        first = next(iter(rows := iter(rows)), None)
        if first is None:
            return PgCursor(cursor)
        named = isinstance(first, dict)
        batch = [_params(first)]
        batch.extend(_params(row) for row in rows)
        with self._reporting_loss():
            cursor.executemany(translate(sql, named), batch)
        return PgCursor(cursor)

    def cursor(self):
        return self._live().cursor()

    def close(self) -> None:
        self.raw.close()


def _load_numeric_as_numbers(raw) -> None:
    from psycopg.adapt import Loader

    class NumberLoader(Loader):
        def load(self, data):
            text = bytes(data).decode()
            if text.lstrip("-").isdigit():
                return int(text)
            return float(text)

    raw.adapters.register_loader("numeric", NumberLoader)
