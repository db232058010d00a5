"""A shop on a PostgreSQL server: ``Database``'s interface over one psycopg connection.

``Shop("postgresql://user@host:port/db")`` opens one of these instead of a
SQLite file. An empty database gets the schema (dialect.schema_sql, the trigger
functions of pg_triggers.py and the summary tables marked for their first
rebuild), as a new SQLite file gets its migrations; a database of another
schema version is refused. Transactions, savepoints and the summary tables'
refresh before COMMIT work as in ``Database``.

Writes are serialized as SQLite's BEGIN IMMEDIATE serializes them: every
transaction first takes one transaction-level advisory lock (waiting up to
``busy_seconds``, as SQLite's busy_timeout, then a Japanese StorageError). An
import chooses the ids of its new rows itself (above the highest in use), which
two writers at once would both choose.

Remembered results (:meth:`memo`) are kept for one state of the server: the
current snapshot (``pg_current_snapshot()``: the next transaction id and those in
progress) changes whenever any transaction that writes starts or ends, so
another desktop's commit forgets them too. Writes to TEMP working copies
(:meth:`scratch`) get transaction ids as well; they are counted and left out.

A connection lost mid-way (server stopped, network down) is a Japanese
ServerUnavailableError; the transaction is rolled back by the server. The next
use outside a transaction connects again (a front end retries with :meth:`ping`);
inside one it does not: what the transaction wrote before is gone, and carrying
on in a new connection would commit the rest alone.
"""
from __future__ import annotations

import time
import weakref
from contextlib import contextmanager
from typing import Iterator

from engine.errors import DatabaseTooNewError, OtokuiError, StorageError
from engine.store import dialect as pg_schema
from engine.store import figures, pg_triggers, pg_upgrade, postgres, server_changes, server_lock
from engine.store.database import RememberedResults
from engine.store.dialects import POSTGRES
from engine.store.pg_connection import PgConnection
from engine.store.postgres import ServerUnavailableError
from engine.store.schema import SCHEMA_VERSION

# The advisory lock every write transaction holds ("OTKI", as SQLite's application id).
WRITE_LOCK = 0x4F544B49
BUSY_SECONDS = 5.0
_BUSY_POLL_SECONDS = 0.05


class PostgresDatabase(RememberedResults):
    """One connection to one PostgreSQL database, autocommit with explicit transactions."""

    dialect = POSTGRES
    # No file: no backups beside it, no integrity check of pages, no parallel parser.
    path = None
    check_pending = False

    def __init__(self, url: str, staff: str | None = None):
        self.url = url
        self.where = postgres.describe(url)
        # Who works here, for the other desktops' notices (see server_changes).
        self.staff = staff or server_lock.staff_name()
        # Weak: the connection need not keep its database alive.
        me = weakref.ref(self)
        self.conn = PgConnection(postgres.connect(url, autocommit=True),
                                 reopen=lambda: me()._reopen(), lost=lambda exc: me()._lost(exc))
        self._depth = 0
        self.busy_seconds = BUSY_SECONDS
        self._memos: dict = {}
        self._generation = 0
        self._scratch_ids = 0
        try:
            self.migrate()
        except BaseException:
            self.conn.close()
            raise

    def migrate(self) -> None:
        """Create the schema in an empty database, bring an older version up to date
        (pg_upgrade.py); refuse a newer version or a database of something else."""
        tables = [row[0] for row in self.conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")]
        if not tables:
            with self.transaction() as conn:
                for statement in pg_schema.schema_sql():
                    conn.execute(statement)
                pg_triggers.install(conn)
                # The first commit fills the summary tables (empty), as migration 12 asks.
                conn.execute("INSERT INTO figures_dirty_months (month) VALUES (?)",
                             (figures.EVERYTHING,))
            return
        version = pg_schema.stored_version(self.conn)
        if version is None:
            raise OtokuiError(
                f"{self.where} はOtokuiのデータベースではありません（ほかの表があります）。"
                "空のデータベースを指定してください。")
        if version > SCHEMA_VERSION:
            raise DatabaseTooNewError(self.where, version, SCHEMA_VERSION)
        if version < SCHEMA_VERSION:
            self._upgrade()
        elif not pg_triggers.installed(self.conn):
            # A shop copied by ``migrate``: tables and rows, no triggers yet.
            with self.transaction() as conn:
                pg_triggers.install(conn)

    def _upgrade(self) -> None:
        """The schema of an older Otokui brought up to date, in one transaction while
        holding the lock for big changes (two desktops starting the new version at
        once: the second waits, then finds the work done)."""
        with server_lock.held(self.url, "データ形式の更新", self.staff, wait=True):
            with self.transaction() as conn:
                version = pg_schema.stored_version(conn)
                if version >= SCHEMA_VERSION:
                    return
                for statement in pg_upgrade.upgrade_sql(version):
                    conn.execute(statement)
                pg_triggers.install(conn)
                conn.execute("INSERT INTO figures_dirty_months (month) VALUES (?) "
                             "ON CONFLICT DO NOTHING", (figures.EVERYTHING,))

    @contextmanager
    def transaction(self) -> Iterator[PgConnection]:
        """BEGIN … COMMIT, or ROLLBACK on any exception. Nests via savepoints.
        The summary tables are brought up to date just before COMMIT."""
        if self._depth:
            name = f"sp{self._depth}"
            self.conn.execute(f"SAVEPOINT {name}")
            self._depth += 1
            try:
                yield self.conn
            except BaseException:
                self.conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                self.conn.execute(f"RELEASE SAVEPOINT {name}")
                raise
            else:
                self.conn.execute(f"RELEASE SAVEPOINT {name}")
            finally:
                self._depth -= 1
            return
        self._begin()
        self._depth = 1
        try:
            yield self.conn
            figures.refresh(self.conn, self.dialect)
            # The other desktops hear of it when (and only if) it commits.
            server_changes.announce(self.conn.raw, "", self.staff)
            self.conn.execute("COMMIT")
        except BaseException as exc:
            if not self.conn.raw.closed and self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            self._raise_friendly(exc)
            raise
        finally:
            self._depth = 0

    def _begin(self) -> None:
        """BEGIN, then the write lock (see the module)."""
        deadline = time.monotonic() + self.busy_seconds
        try:
            self.conn.execute("BEGIN")
            while not self.conn.execute("SELECT pg_try_advisory_xact_lock(?)",
                                        (WRITE_LOCK,)).fetchone()[0]:
                if time.monotonic() >= deadline:
                    self.conn.execute("ROLLBACK")
                    raise StorageError(
                        f"{self.where}: 別のパソコンかプログラムがデータベースに書き込み中のため、"
                        "処理できませんでした。データは変更されていません。その処理が終わってから、"
                        "もう一度お試しください。")
                time.sleep(_BUSY_POLL_SECONDS)
        except BaseException as exc:
            self._raise_friendly(exc)
            raise

    def _raise_friendly(self, exc: BaseException) -> None:
        import psycopg
        if isinstance(exc, psycopg.OperationalError):
            raise postgres.connection_error(exc, postgres.parse(self.url)[1]) from exc

    def _reopen(self):
        """A new connection for the one the server dropped (see the module)."""
        if self._depth:
            raise self._lost(None)
        raw = postgres.connect(self.url, autocommit=True)
        # Another desktop may have written meanwhile, and this connection's TEMP
        # working copies are gone with the old one.
        self.forget_memos()
        return raw

    def _lost(self, exc: Exception | None) -> ServerUnavailableError:
        return ServerUnavailableError(
            f"PostgreSQLサーバー {self.where} との接続が切れました。処理は完了していません"
            "（途中の変更は取り消されています）。サーバーが動いていれば、次の操作でつなぎ直します。"
            + (f"（{' '.join(str(exc).split())}）" if exc is not None else ""))

    def ping(self) -> None:
        """Check the connection, connecting again if the server dropped it; a
        ServerUnavailableError while the server cannot be reached."""
        try:
            self.conn.execute("SELECT 1")
        except ServerUnavailableError:
            if not self.conn.raw.closed or self._depth:
                raise
            # The drop was found just now: the next statement connects again.
            self.conn.execute("SELECT 1")

    def columns(self, table: str) -> list[str]:
        """The table's column names (the schema is the current one)."""
        return pg_schema.table(table).column_names

    def table_columns(self) -> dict[str, list[str]]:
        """Every table's column names, by table (the schema is the current one)."""
        return {t.name: t.column_names for t in pg_schema.tables()}

    @contextmanager
    def scratch(self) -> Iterator[PgConnection]:
        """For writes to TEMP tables that are working copies, not the shop's data:
        one transaction of their own, whose id :meth:`state` does not count."""
        if self.conn.in_transaction:
            yield self.conn
            return
        self.conn.execute("BEGIN")
        try:
            yield self.conn
            assigned = self.conn.execute("SELECT pg_current_xact_id_if_assigned()").fetchone()[0]
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        if assigned is not None:
            self._scratch_ids += 1

    def _state(self) -> tuple:
        """The server's next transaction id (another desktop's commit moves it; this
        desktop's scratch transactions are left out), the transactions running, and
        ``forget_memos()``."""
        snapshot = self.conn.execute("SELECT pg_current_snapshot()::text").fetchone()[0]
        _, next_id, running = snapshot.split(":")
        return int(next_id) - self._scratch_ids, running, self._generation

    def execute(self, sql: str, params=()):
        return self.conn.execute(sql, params)

    def query(self, sql: str, params=()) -> list[dict]:
        cur = self.conn.execute(sql, params)
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row)) for row in cur.fetchall()]

    def scalar(self, sql: str, params=()):
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def frame(self, sql: str, params=()):
        """The query's rows as a DataFrame (pandas reads only sqlite3 connections)."""
        import pandas as pd
        cur = self.conn.execute(sql, params)
        return pd.DataFrame.from_records(cur.fetchall(), columns=[d[0] for d in cur.description])

    def announce(self, what: str) -> None:
        """Tell the other desktops, when this transaction commits, what it did (besides
        the notice every commit sends), e.g. "erasure"."""
        server_changes.announce(self.conn.raw, what, self.staff)

    def close(self) -> None:
        self.conn.close()
