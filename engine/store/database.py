"""Opening the SQLite file: pragmas, migrations, transactions."""
from __future__ import annotations

import errno
import sqlite3
from contextlib import contextmanager
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Callable, Iterator, TypeVar
from urllib.parse import quote

from engine.errors import DatabaseCorruptError, DatabaseTooNewError, OtokuiError, StorageError
from engine.store import figures
from engine.store.dialects import SQLITE, json_list  # noqa: F401 — json_list: for services
from engine.store.schema import MIGRATIONS, SCHEMA_VERSION

# "OTKI" — marks a file as an Otokui database.
APPLICATION_ID = 0x4F544B49
# integrity_check also verifies every index against its table, which takes tens
# of seconds on a big shop; above this size the opening check is quick_check
# (page structure and records, no index cross-check).
FULL_CHECK_MAX_BYTES = 200 * 1024 * 1024
CACHE_KIB = 256 * 1024
# Beside the database while a program has it open; still there at the next open
# means the last session did not close (crash, power cut, killed): that open runs
# the full check before anything else. See ``Database(check=...)``.
UNCLOSED_SUFFIX = ".unclosed"
SQLITE_MAGIC = b"SQLite format 3\0"
# Results memo() keeps (each may be a table of every customer).
MEMO_ENTRIES = 4

T = TypeVar("T")


def last_id(conn: sqlite3.Connection, table: str) -> int:
    """The highest id an AUTOINCREMENT table has ever handed out (0 before its first
    row); ids above it are free while we hold the write transaction."""
    return SQLITE.last_id(conn, table)


def connect_read_only(path: Path | str, **kwargs) -> sqlite3.Connection:
    """A second, read-only connection to the database file (by URI, so any path works)."""
    return sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, **kwargs)


def now_text() -> str:
    """Local wall-clock time as stored in the database."""
    return datetime.now().strftime("%Y-%m-%d %H:%M:%S")


class RememberedResults:
    """``memo()`` for a database class: results remembered while its ``_state()``
    (what changes whenever the data may have) stays the same. The class sets
    ``_memos = {}`` and ``_generation = 0`` and has ``conn.in_transaction``."""

    _memos: dict
    _generation: int

    def memo(self, key, compute: Callable[[], T]) -> T:
        """``compute()``, remembered for as long as the database does not change
        (see the class's ``_state``). Inside a transaction nothing is remembered: a
        rollback would not count as a change. Callers must not modify what they get
        back (copy it first)."""
        if self.conn.in_transaction:
            return compute()
        state = self._state()
        remembered = self._memos.get(key)
        if remembered is not None and remembered[0] == state:
            return remembered[1]
        value = compute()
        self._memos.pop(key, None)
        self._memos[key] = (state, value)
        while len(self._memos) > MEMO_ENTRIES:
            self._memos.pop(next(iter(self._memos)))
        return value

    def forget_memos(self) -> None:
        """For writes the state does not see (a restore through the backup API)."""
        self._generation += 1
        self._memos.clear()

    def state(self) -> tuple:
        """What changes whenever the data does, as :meth:`memo` sees it: for a cache of
        small answers kept beside the memos (whose few places are for big tables)."""
        return self._state()

    def _state(self) -> tuple:
        raise NotImplementedError


class Database(RememberedResults):
    """One connection to one SQLite file, in autocommit mode with explicit transactions.

    The connection belongs to the thread that opened it (SQLite's check_same_thread):
    the command line's only thread, or the GUI's engine thread. A backup taken
    beside an import reads through a second connection of its own.
    """

    # The SQL that differs from PostgreSQL's (engine/store/dialects.py).
    dialect = SQLITE
    # Who works at this desktop (the Shop sets it): named on each operation.
    staff: str | None = None

    def __init__(self, path: Path | str | None = None, *, memory: bool = False,
                 check: str = "always"):
        """``check``: ``"always"`` runs SQLite's integrity check (reading the whole
        file) before the database is used; ``"after_unclean_exit"`` runs it only
        when the last program that opened the file did not close it, and otherwise
        checks the header and the schema only, leaving ``check_pending`` True so
        the caller runs :func:`check_file` later (the GUI: in the background once
        the window is up)."""
        if check not in ("always", "after_unclean_exit"):
            raise ValueError(check)
        self.path = None if memory else Path(path)
        # Whether the full check is still to be run by the caller.
        self.check_pending = False
        self._damaged = False
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        target = ":memory:" if memory else str(self.path)
        self.conn = None
        if self.path is not None:
            check_header(self.path)
        try:
            # check_same_thread stays on: the GUI uses its shop on one engine thread only
            # (gui/engine_thread.py), and a call from any other thread must fail at once.
            self.conn = sqlite3.connect(target, isolation_level=None)
            self.conn.execute("PRAGMA foreign_keys = ON")
            self.conn.execute("PRAGMA busy_timeout = 5000")
            if not memory:
                self.conn.execute("PRAGMA journal_mode = WAL")
                self.conn.execute("PRAGMA synchronous = NORMAL")
                # SQLite's default 2 MB page cache makes a big import thrash
                # its indexes; the cache only grows as pages are used.
                self.conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
            self._depth = 0
            # Whether the schema has the summary tables a commit refreshes (set by migrate).
            self._keeps_figures = False
            self._memos: dict = {}
            self._generation = 0
            self._scratch_changes = 0
            # Rows an INSERT OR REPLACE deletes fire the undo journal's delete
            # triggers only with it on.
            self.conn.execute("PRAGMA recursive_triggers = ON")
            if not memory:
                if check == "always" or self.unclosed_marker.exists():
                    self.check_integrity()
                else:
                    self.check_pending = True
            self.migrate()
            if not memory:
                try:
                    self.unclosed_marker.touch()
                except OSError:   # a read-only folder: every open checks in full then
                    pass
        except BaseException as exc:
            # Closed at once: on Windows an open handle would block moving a
            # damaged file aside for a restore.
            if self.conn is not None:
                self.conn.close()
            if not isinstance(exc, sqlite3.DatabaseError):
                raise
            if getattr(exc, "sqlite_errorname", "") in ("SQLITE_CORRUPT", "SQLITE_NOTADB"):
                raise DatabaseCorruptError(self.path, str(exc)) from exc
            # Busy, read-only, unreachable: the file is fine, a restore would be wrong.
            friendly = storage_error(exc, self.path)
            if friendly is not None:
                raise friendly from exc
            name = self.path.name if self.path else ":memory:"
            raise OtokuiError(
                f"{name}: Otokuiのデータベースとして開けません（{exc}）。"
                "別のファイルを選ぶか、バックアップから復元してください。"
            ) from exc

    @cached_property
    def utils(self):
        """sqlite-utils over our connection, for schema introspection; no plugins may
        change the connection. Imported on first use: with click and pluggy it costs
        ~35 ms, and opening a shop for the desktop program's first screen needs none of it."""
        import sqlite_utils
        return sqlite_utils.Database(self.conn, execute_plugins=False)

    def columns(self, table: str) -> list[str]:
        """The table's column names. PRAGMA table_info, not sqlite-utils: importing
        that took ~35 ms of the first undoable operation of a session."""
        return [row[1] for row in self.conn.execute(f"PRAGMA table_info({table})")]

    def table_columns(self) -> dict[str, list[str]]:
        """Every table's column names, by table."""
        return {table.name: [column.name for column in table.columns]
                for table in self.utils.tables}

    @property
    def unclosed_marker(self) -> Path:
        return Path(f"{self.path}{UNCLOSED_SUFFIX}")

    def check_integrity(self) -> None:
        """Raise DatabaseCorruptError unless SQLite's own check passes.

        Uses integrity_check up to FULL_CHECK_MAX_BYTES, quick_check above.
        """
        problems = integrity_problems(self.conn, self.path)
        if problems:
            raise DatabaseCorruptError(self.path, " / ".join(problems))

    def mark_damaged(self) -> None:
        """A check found the file damaged: the next open checks it again before use."""
        self._damaged = True

    def migrate(self) -> None:
        """Bring the schema up to date; refuse foreign or newer databases."""
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        app_id = self.conn.execute("PRAGMA application_id").fetchone()[0]
        has_tables = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' LIMIT 1").fetchone() is not None
        if app_id not in (0, APPLICATION_ID) or (app_id == 0 and has_tables and version == 0):
            raise sqlite3.DatabaseError("他のアプリケーションのデータベースです")
        if version > SCHEMA_VERSION:
            raise DatabaseTooNewError(self.path or ":memory:", version, SCHEMA_VERSION)
        if version == SCHEMA_VERSION:
            self._keeps_figures = True
            return
        with self.transaction():
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in _split_sql(script):
                    self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {number}")
            self.conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            # The commit fills the summary tables a migration created.
            self._keeps_figures = True

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any exception. Nests via savepoints.

        A full disk, a read-only file, a lock held by another program or a lack of
        memory comes out as a Japanese OtokuiError saying what to do; nothing of
        the transaction is kept.
        """
        if self._depth:
            name = f"sp{self._depth}"
            self.conn.execute(f"SAVEPOINT {name}")
            self._depth += 1
            try:
                yield self.conn
            except BaseException as exc:
                # SQLite rolls the whole transaction back by itself on some
                # failures (out of memory, disk full): then there is no
                # savepoint left to roll back to, and the original error counts.
                if self.conn.in_transaction:
                    self.conn.execute(f"ROLLBACK TO {name}")
                    self.conn.execute(f"RELEASE {name}")
                self._raise_friendly(exc)
                raise
            else:
                self.conn.execute(f"RELEASE {name}")
            finally:
                self._depth -= 1
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            self._raise_friendly(exc)
            raise
        self._depth = 1
        try:
            yield self.conn
            if self._keeps_figures:
                # In the same transaction as the change (see figures.py).
                figures.refresh(self.conn)
            self.conn.execute("COMMIT")
        except BaseException as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            self._raise_friendly(exc)
            raise
        finally:
            self._depth = 0

    def _raise_friendly(self, exc: BaseException) -> None:
        friendly = storage_error(exc, self.path)
        if friendly is not None:
            raise friendly from exc

    @contextmanager
    def scratch(self) -> Iterator[sqlite3.Connection]:
        """For writes to TEMP tables that are working copies, not the shop's data
        (the customer list's figures for an earlier 基準日): they keep the memos."""
        before = self.conn.total_changes
        try:
            yield self.conn
        finally:
            self._scratch_changes += self.conn.total_changes - before

    def _state(self) -> tuple[int, int, int]:
        """Any row written through this connection (SQLite's total_changes, rolled-back
        writes included, TEMP scratch writes left out), a commit by any other
        connection (``PRAGMA data_version``) or ``forget_memos()``."""
        data_version = self.conn.execute("PRAGMA data_version").fetchone()[0]
        return self.conn.total_changes - self._scratch_changes, data_version, self._generation

    def execute(self, sql: str, params=()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def query(self, sql: str, params=()) -> list[dict]:
        cur = self.conn.execute(sql, params)
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row)) for row in cur.fetchall()]

    def scalar(self, sql: str, params=()):
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def frame(self, sql: str, params=None):
        """The query's rows as a DataFrame (pandas' own reader)."""
        import pandas as pd
        return pd.read_sql_query(sql, self.conn, params=params)

    def announce(self, what: str) -> None:
        """Tell the other desktops what this transaction did (a shop on a server,
        see server_changes): a file has no other desktops."""

    def close(self) -> None:
        self.conn.close()
        if self.path is not None and not self._damaged:
            self.unclosed_marker.unlink(missing_ok=True)


def integrity_problems(conn: sqlite3.Connection, path: Path) -> list[str]:
    """SQLite's own check of the whole file (empty when it is fine):
    integrity_check up to FULL_CHECK_MAX_BYTES, quick_check above."""
    size = path.stat().st_size if path.exists() else 0
    pragma = "integrity_check" if size <= FULL_CHECK_MAX_BYTES else "quick_check"
    problems = [row[0] for row in conn.execute(f"PRAGMA {pragma}(3)")]
    return [] if problems == ["ok"] else problems


def check_file(path: Path | str) -> None:
    """The full check of an open database file through a read-only connection of its
    own (any thread may call it; SQLite reads without holding the GIL). Raises
    DatabaseCorruptError when the file is damaged."""
    path = Path(path)
    conn = connect_read_only(path)
    try:
        problems = integrity_problems(conn, path)
    except sqlite3.DatabaseError as exc:
        problems = [str(exc)]
    finally:
        conn.close()
    if problems:
        raise DatabaseCorruptError(path, " / ".join(problems))


def check_header(path: Path) -> None:
    """The cheap part of the check, reading 100 bytes: the file is an SQLite database
    no shorter than its header says (a cut-off copy). Pages are not read."""
    try:
        with open(path, "rb") as handle:
            header = handle.read(100)
        size = path.stat().st_size
    except OSError:
        return   # SQLite itself says why it cannot open the file
    if size == 0:
        return   # a new database
    if len(header) < 100 or not header.startswith(SQLITE_MAGIC):
        raise DatabaseCorruptError(path, "SQLiteのファイルではありません")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    # The page count in the header is valid when its change counter matches. A program
    # killed during a checkpoint (or with a hot rollback journal) leaves the header
    # ahead of the file's end: SQLite completes or undoes that on open from the
    # -wal / -journal file, so the file is only cut off when neither is there.
    pending = any(_size(Path(f"{path}{suffix}")) for suffix in ("-wal", "-journal"))
    if header[24:28] == header[92:96] and size < pages * page_size and not pending:
        raise DatabaseCorruptError(
            path, f"ファイルが途中で切れています（{size:,} / {pages * page_size:,} バイト）")


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def storage_error(exc: BaseException, path: Path | None) -> OtokuiError | None:
    """The Japanese error for a failure of the disk, the file or the machine rather
    than of Otokui (None for anything else): what happened and what to do."""
    name = path.name if path else "データベース"
    if isinstance(exc, MemoryError):
        return StorageError("メモリが足りないため、処理を中止しました。データは変更されていません。"
                            "ほかのアプリを閉じてから、もう一度お試しください。")
    code = getattr(exc, "sqlite_errorname", "") if isinstance(exc, sqlite3.Error) else ""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        code = "SQLITE_FULL"
    if code == "SQLITE_FULL":
        return StorageError(f"{name}: ディスクの空き容量が足りないため、保存できませんでした。"
                            "データは変更されていません。空き容量を増やしてから、もう一度お試しください。")
    if code.startswith("SQLITE_READONLY"):
        return StorageError(f"{name}: データベースファイルに書き込めません（読み取り専用か、書き込みの"
                            "権限がありません）。データは変更されていません。ファイルのプロパティで"
                            "「読み取り専用」を外すか、書き込めるフォルダーに移してください。")
    if code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return StorageError(f"{name}: 別のプログラムがデータベースを使用中のため、処理できませんでした。"
                            "データは変更されていません。そのプログラムの処理が終わるか閉じてから、"
                            "もう一度お試しください（バックアップからの復元は不要です）。")
    if code.startswith("SQLITE_CANTOPEN"):
        return StorageError(f"{name}: データベースファイルを開けません。フォルダーがあるか、"
                            "書き込みの権限があるか確認してください。")
    if code.startswith("SQLITE_IOERR"):
        return StorageError(f"{name}: データベースファイルの読み書きに失敗しました（ディスクや"
                            "ネットワークドライブの不具合）。データは変更されていません。"
                            "ディスクの状態を確認してから、もう一度お試しください。")
    return None


def _split_sql(script: str) -> list[str]:
    """Split a migration script into complete statements (triggers contain ';' too)."""
    statements, current = [], ""
    for part in script.split(";"):
        current += part + ";"
        if sqlite3.complete_statement(current):
            if current.strip(" \n;"):
                statements.append(current.strip())
            current = ""
    return statements
