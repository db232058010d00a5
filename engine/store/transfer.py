"""Moving a shop between stores: an SQLite file and a PostgreSQL database.

``migrate(source, target)`` copies every table, in foreign-key order, ids kept,
into an empty target: COPY into PostgreSQL, batched inserts into SQLite. The
ids each table has handed out so far (SQLite's sqlite_sequence, PostgreSQL's
identity sequences) go along, so the journal's id ranges mean the same there.
Before the target's transaction commits, the copy is checked: the row count of
every table and the per-customer figures (purchase count, total amount, first
and last purchase over valid orders) must be equal on both sides, else nothing
is kept and the error names the table. An SQLite target is a normal Otokui file
(same schema version and application_id); a failed or cancelled copy leaves no
file behind.
"""
from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from pathlib import Path

from engine.errors import OtokuiError
from engine.progress import Cancel, Progress, check_cancel, reporter
from engine.store import dialect, figures, pg_triggers, postgres
from engine.store.database import json_list
from engine.store.schema import DEFERRABLE_INDEXES, SCHEMA_VERSION

BATCH_ROWS = 10_000


class MigrationError(OtokuiError):
    """The shop could not be moved; the target was left as it was."""


@dataclass
class MigrationResult:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    def summary(self, source: str, target: str) -> str:
        return (f"{source} から {target} へ移しました（{len(self.rows)}表・{self.total_rows:,}行、"
                f"{self.seconds:,.1f}秒）。行数と、お客様ごとの購入回数・購入金額・初回/最終購入日が"
                "移行元と一致することを確認しました。")


def label(location: str | Path) -> str:
    """How messages name a store (a URL without its password, a file by its name)."""
    text = str(location)
    return postgres.describe(text) if postgres.is_url(text) else Path(text).name


def migrate(source: str | Path, target: str | Path, progress: Progress | None = None,
            cancel: Cancel | None = None) -> MigrationResult:
    """Copy the shop at ``source`` into the empty ``target`` (each a file path or a
    postgresql:// URL) and verify the copy; see the module's description."""
    started = time.perf_counter()
    report = reporter(progress)
    if not postgres.is_url(str(source)) and not postgres.is_url(str(target)) \
            and Path(source).resolve() == Path(target).resolve():
        raise MigrationError("移行元と移行先が同じファイルです。別のファイル名を指定してください。")
    report(0.0, f"{label(source)} を開いています")
    reader = _open_reader(source)
    try:
        counts = {t.name: reader.count(t.name) for t in dialect.tables()}
        sequences = reader.sequences()
        writer = _open_writer(target)
        try:
            total = max(1, sum(counts.values()))
            done = 0
            for t in dialect.tables():
                check_cancel(cancel)
                base = done

                def step(copied: int, name=t.name, base=base) -> None:
                    check_cancel(cancel)
                    report(0.95 * ((base + copied) / total),
                           f"{name} を移しています（{base + copied:,} / {total:,}行）")
                writer.write(t, reader.rows(t), step)
                done += counts[t.name]
            check_cancel(cancel)
            report(0.95, "索引を作り、移した内容を確かめています")
            writer.finish(sequences)
            _verify(reader, writer, counts)
            check_cancel(cancel)
            writer.commit()
        except BaseException:
            writer.abandon()
            raise
    finally:
        reader.close()
    report(1.0, "移行が終わりました")
    return MigrationResult(counts, time.perf_counter() - started)


def _verify(reader, writer, counts: dict[str, int]) -> None:
    for name, expected in counts.items():
        found = writer.count(name)
        if found != expected:
            raise MigrationError(
                f"移行後の確認で {name} の行数が一致しません（移行元 {expected:,}行、移行先 {found:,}行）。"
                "移行先には何も保存していません。")
    before, after = reader.figures(), writer.figures()
    if before != after:
        changed = sorted({row[0] for row in set(before) ^ set(after)})
        raise MigrationError(
            "移行後の確認で orders のお客様ごとの購入回数・購入金額・初回/最終購入日が一致しません"
            f"（顧客ID {', '.join(map(str, changed[:5]))}）。移行先には何も保存していません。")


def _handed_out(conn, sequences: dict[str, int]) -> list[tuple[dialect.Table, int]]:
    """Each table with an identity column and the highest id it has handed out: the
    source's count, or the highest id copied if that is more (either store's
    connection: both run this SQL)."""
    found = []
    for t in dialect.tables():
        if t.identity is not None:
            highest = conn.execute(
                f"SELECT max({dialect.quote(t.identity)}) FROM {dialect.quote(t.name)}").fetchone()[0]
            found.append((t, max(sequences.get(t.name, 0), highest or 0)))
    return found


def _plain(row) -> tuple:
    """A result row with PostgreSQL's numeric sums as ints, comparable with SQLite's."""
    return tuple(int(v) if isinstance(v, Decimal) else v for v in row)


# --- SQLite ------------------------------------------------------------------------

def _sqlite_figures(conn: sqlite3.Connection) -> list[tuple]:
    return [tuple(row) for row in conn.execute(dialect.CUSTOMER_FIGURES_SQL)]


class _SqliteReader:
    def __init__(self, path: Path):
        from engine.store.database import Database
        from engine.store.instance_lock import InstanceLock
        if not path.is_file() or path.stat().st_size == 0:
            raise MigrationError(f"移行元のファイル {path.name} がありません。ファイル名を確認してください。")
        self.lock = InstanceLock(path)
        self.lock.acquire()
        try:
            # Opening brings an older file's schema up to date, as the program would.
            self.db = Database(path, check="after_unclean_exit")
        except BaseException:
            self.lock.release()
            raise
        self.conn = self.db.conn
        # A commit brings the summary tables up to date (a change written outside a
        # transaction waits for one), so the copy's figures match its orders.
        with self.db.transaction():
            pass
        # One read transaction: every table is read as of the same moment.
        self.conn.execute("BEGIN")

    def count(self, name: str) -> int:
        return self.conn.execute(f"SELECT count(*) FROM {dialect.quote(name)}").fetchone()[0]

    def sequences(self) -> dict[str, int]:
        return dict(self.conn.execute("SELECT name, seq FROM sqlite_sequence"))

    def rows(self, t: dialect.Table) -> Iterator[tuple]:
        yield from self.conn.execute(
            f"SELECT {dialect.column_list(t.column_names)} FROM {dialect.quote(t.name)} "
            f"ORDER BY {dialect.column_list(t.primary_key)}")

    def figures(self) -> list[tuple]:
        return _sqlite_figures(self.conn)

    def close(self) -> None:
        self.conn.execute("ROLLBACK")
        self.db.close()
        self.lock.release()


class _SqliteWriter:
    def __init__(self, path: Path):
        from engine.store.database import Database
        if path.exists() and path.stat().st_size > 0:
            raise MigrationError(
                f"移行先のファイル {path.name} はすでにあります。上書きしないよう、"
                "まだないファイル名を指定してください。")
        self.path = path
        # A new file made the normal way: schema, user_version, application_id, WAL.
        Database(path).close()
        self.conn = sqlite3.connect(str(path), isolation_level=None)
        self.conn.execute("PRAGMA cache_size = -262144")
        self.conn.execute("BEGIN IMMEDIATE")
        # As a big import does: secondary indexes are built once over the copied
        # rows (in finish) instead of taking every row one by one.
        self.deferred = self.conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
            "AND name IN (SELECT value FROM json_each(?))",
            (json_list(DEFERRABLE_INDEXES),)).fetchall()
        for name, _ in self.deferred:
            self.conn.execute(f"DROP INDEX {dialect.quote(name)}")
        # The summary tables are rebuilt from the copied orders in finish: the
        # copy brings them along, but a store nobody kept current may have moved.
        self.figure_triggers = figures.suspend(self.conn)

    def write(self, t: dialect.Table, rows: Iterable[tuple], step) -> None:
        sql = (f"INSERT INTO {dialect.quote(t.name)} ({dialect.column_list(t.column_names)}) "
               f"VALUES ({', '.join('?' * len(t.columns))})")
        rows = iter(rows)
        copied = 0
        while batch := list(islice(rows, BATCH_ROWS)):
            try:
                self.conn.executemany(sql, batch)
            except sqlite3.Error as exc:
                raise MigrationError(f"{t.name} を移せませんでした（{exc}）。"
                                     "移行先のファイルは作りませんでした。") from exc
            copied += len(batch)
            step(copied)

    def finish(self, sequences: dict[str, int]) -> None:
        for _, sql in self.deferred:
            self.conn.execute(sql)
        figures.resume(self.conn, self.figure_triggers)
        for t, seq in _handed_out(self.conn, sequences):
            if not seq:
                continue
            if self.conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = ?",
                                 (seq, t.name)).rowcount == 0:
                self.conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)",
                                  (t.name, seq))
        problems = self.conn.execute("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise MigrationError(
                f"移行後の確認で {problems[0][0]} に参照先 {problems[0][2]} のない行があります"
                f"（id {problems[0][1]}）。移行先のファイルは作りませんでした。")

    def count(self, name: str) -> int:
        return self.conn.execute(f"SELECT count(*) FROM {dialect.quote(name)}").fetchone()[0]

    def figures(self) -> list[tuple]:
        return _sqlite_figures(self.conn)

    def commit(self) -> None:
        self.conn.execute("COMMIT")
        self.conn.close()

    def abandon(self) -> None:
        from engine.store.database import UNCLOSED_SUFFIX
        try:
            self.conn.close()
        finally:
            for suffix in ("", "-wal", "-shm", "-journal", UNCLOSED_SUFFIX):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)


# --- PostgreSQL --------------------------------------------------------------------

def _copy_types(t: dialect.Table) -> list[str]:
    return [dialect.COPY_TYPES[c.type] for c in t.columns]


def _user_tables(conn) -> list[str]:
    return [row[0] for row in conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")]


def _pg_figures(conn) -> list[tuple]:
    return [_plain(row) for row in conn.execute(dialect.CUSTOMER_FIGURES_SQL)]


def set_sequences(conn, sequences: dict[str, int]) -> None:
    """Each identity of a PostgreSQL shop to go on after the highest id handed out
    (``sequences``, as a reader's ``sequences()`` gives them, or the highest id
    stored, if that is more)."""
    for t, seq in _handed_out(conn, sequences):
        conn.execute("SELECT setval(pg_get_serial_sequence(%s, %s), %s, %s)",
                     (dialect.quote(t.name), t.identity, max(seq, 1), seq > 0))


class PostgresReader:
    """A shop on a server read in one snapshot (REPEATABLE READ, read only); refuses
    a database that is not an Otokui shop of this program's schema version."""

    def __init__(self, url: str):
        import psycopg
        self.target = postgres.parse(url)[1]
        self.conn = postgres.connect(url)
        try:
            # One snapshot for the whole copy, read only.
            self.conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            self.conn.read_only = True
            version = dialect.stored_version(self.conn)
            if version is None:
                raise MigrationError(
                    f"{postgres.describe(url)} はOtokuiのデータベースではありません"
                    "（移行で作ったデータベースを指定してください）。")
            if version != SCHEMA_VERSION:
                raise MigrationError(
                    f"{postgres.describe(url)} のデータ形式（{version}）はこのOtokui（{SCHEMA_VERSION}）と"
                    "違います。同じ版のOtokuiで移行してください。")
        except BaseException:
            self.conn.close()
            raise

    def count(self, name: str) -> int:
        return self.conn.execute(f"SELECT count(*) FROM {dialect.quote(name)}").fetchone()[0]

    def sequences(self) -> dict[str, int]:
        found = {}
        for t in dialect.tables():
            if t.identity is None:
                continue
            sequence = self.conn.execute("SELECT pg_get_serial_sequence(%s, %s)",
                                         (dialect.quote(t.name), t.identity)).fetchone()[0]
            value, called = self.conn.execute(
                f"SELECT last_value, is_called FROM {sequence}").fetchone()
            if called:
                found[t.name] = value
        return found

    def rows(self, t: dialect.Table) -> Iterator[tuple]:
        query = (f"COPY (SELECT {dialect.column_list(t.column_names)} FROM {dialect.quote(t.name)} "
                 f"ORDER BY {dialect.column_list(t.primary_key)}) TO STDOUT (FORMAT BINARY)")
        with self.conn.cursor() as cur, cur.copy(query) as copy:
            copy.set_types(_copy_types(t))
            yield from copy.rows()

    def figures(self) -> list[tuple]:
        return _pg_figures(self.conn)

    def close(self) -> None:
        self.conn.close()


class PostgresWriter:
    """A shop written into a PostgreSQL database in one transaction: tables first,
    keys, UNIQUE and indexes once the rows are in (``finish``), then ``commit``.
    ``replace``: the shop's tables there are dropped first (a restore), else the
    database must be empty."""

    def __init__(self, url: str, replace: bool = False):
        self.url = url
        self.conn = postgres.connect(url)
        try:
            existing = _user_tables(self.conn)
            if replace:
                names = [t.name for t in dialect.tables()] + [dialect.VERSION_TABLE]
                self.conn.execute("DROP TABLE IF EXISTS "
                                  f"{dialect.column_list(names)} CASCADE")
            elif existing:
                raise MigrationError(
                    f"移行先のデータベース {postgres.describe(url)} は空ではありません"
                    f"（{', '.join(existing[:3])}{' など' if len(existing) > 3 else ''}の表があります）。"
                    "上書きしないよう、新しく作った空のデータベースを指定してください。")
            # Tables first; keys to other tables, UNIQUE and indexes once the rows are in.
            for t in dialect.tables():
                self.conn.execute(dialect.create_table_sql(t))
        except BaseException:
            self.abandon()
            raise

    def write(self, t: dialect.Table, rows: Iterable[tuple], step) -> None:
        import psycopg
        query = (f"COPY {dialect.quote(t.name)} ({dialect.column_list(t.column_names)}) "
                 "FROM STDIN (FORMAT BINARY)")
        copied = 0
        try:
            with self.conn.cursor() as cur, cur.copy(query) as copy:
                copy.set_types(_copy_types(t))
                for row in rows:
                    copy.write_row(row)
                    copied += 1
                    if copied % BATCH_ROWS == 0:
                        step(copied)
        except psycopg.OperationalError as exc:
            raise postgres.connection_error(exc, postgres.parse(self.url)[1]) from None
        except (psycopg.Error, TypeError, ValueError) as exc:
            raise MigrationError(f"{t.name} を移せませんでした（{exc}）。"
                                 "移行先には何も保存していません。") from exc
        step(copied)

    def write_stream(self, t: dialect.Table, blocks: Iterable[bytes]) -> None:
        """The table's rows as a binary COPY stream (as a COPY TO gave it)."""
        query = (f"COPY {dialect.quote(t.name)} ({dialect.column_list(t.column_names)}) "
                 "FROM STDIN (FORMAT BINARY)")
        with self.conn.cursor() as cur, cur.copy(query) as copy:
            for block in blocks:
                copy.write(block)

    def finish(self, sequences: dict[str, int]) -> None:
        import psycopg
        set_sequences(self.conn, sequences)
        for t in dialect.tables():
            for statement in dialect.constraint_sql(t) + dialect.index_sql(t):
                try:
                    self.conn.execute(statement)
                except psycopg.Error as exc:
                    raise MigrationError(
                        f"移行後の確認で {t.name} が整合しません（{exc}）。"
                        "移行先には何も保存していません。") from exc
        for statement in dialect.version_table_sql():
            self.conn.execute(statement)
        # The undo journal's and the summary tables' triggers, as Shop makes them.
        pg_triggers.install(self.conn)

    def count(self, name: str) -> int:
        return self.conn.execute(f"SELECT count(*) FROM {dialect.quote(name)}").fetchone()[0]

    def figures(self) -> list[tuple]:
        return _pg_figures(self.conn)

    def commit(self) -> None:
        self.conn.commit()
        self.conn.close()

    def abandon(self) -> None:
        if not self.conn.closed:
            try:
                self.conn.rollback()
            finally:
                self.conn.close()


def _open_reader(location: str | Path):
    text = str(location)
    return PostgresReader(text) if postgres.is_url(text) else _SqliteReader(Path(os.fspath(location)))


def _open_writer(location: str | Path):
    text = str(location)
    return PostgresWriter(text) if postgres.is_url(text) else _SqliteWriter(Path(os.fspath(location)))
