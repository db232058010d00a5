"""Backups of the shop database: compressed pages (engine/store/pagefile.py), with rotation.

Backups live in a ``backups`` folder next to the database file, one file per
backup named ``<db stem>-YYYYmmdd-HHMMSS-ffffff.otkb`` plus a small JSON file with
the reason. The backup before an import (and before a restore) stores only the
pages changed since the previous backup; a backup made by hand, the first one and
every ``keep()``-th one store every page, so a hand-made backup can be copied away
and restored on its own. Rotation keeps ``keep()`` backups, and the older ones
those build on until no kept backup needs them: at most two chains of ``keep()``.
Older versions' backups (``.db``, whole SQLite files) are still listed, restored
and redacted.

A backup is written under a temporary name and renamed when complete, so a crash
while backing up never leaves a half backup in the list. The pages are read from
the database file itself after a checkpoint has emptied the WAL, while a read
transaction keeps any other checkpoint from changing the file (or, when the WAL
cannot be emptied, from a copy taken through SQLite's backup API).
"""
from __future__ import annotations

import json
import logging
import os
import sqlite3
import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

from engine.errors import DatabaseMissingError, InvalidInputError, NotFoundError, OtokuiError
from engine.progress import Progress, reporter
from engine.store import pagefile
from engine.store.database import APPLICATION_ID, connect_read_only
from engine.store.redaction import Erasure, ErasureLedger, redact_file
from engine.store.schema import SCHEMA_VERSION

_log = logging.getLogger(__name__)

KEEP_SETTING = "backup_keep"
DEFAULT_KEEP = 10
_STAMP = "%Y%m%d-%H%M%S-%f"
# Pages copied per backup step; between steps the progress callback runs.
_PAGES_PER_STEP = 4096


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    created_at: datetime
    size_bytes: int
    reason: str
    # Every page (restores on its own), or the pages changed since the backup before.
    full: bool = True


class _Snapshot:
    """The database's committed state as a file of pages to read: the database file
    itself (the WAL emptied by a checkpoint; a read transaction keeps other
    checkpoints out until ``close()``), else a copy through the backup API."""

    def __init__(self, db, folder: Path):
        self.temp: Path | None = None
        checkpointed = True
        if db.scalar("PRAGMA journal_mode") == "wal" and db.conn.in_transaction:
            checkpointed = False
        elif db.scalar("PRAGMA journal_mode") == "wal":
            # At once or not at all: another program's reader would make it wait.
            timeout = db.scalar("PRAGMA busy_timeout")
            db.execute("PRAGMA busy_timeout = 0")
            try:
                checkpointed = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0
            finally:
                db.execute(f"PRAGMA busy_timeout = {int(timeout)}")
        self.reader = connect_read_only(db.path, check_same_thread=False)
        try:
            self.reader.execute("BEGIN")
            self.reader.execute("SELECT count(*) FROM sqlite_master").fetchone()
            self.page_size = self.reader.execute("PRAGMA page_size").fetchone()[0]
            self.page_count = self.reader.execute("PRAGMA page_count").fetchone()[0]
            wal = Path(f"{db.path}-wal")
            if checkpointed and (not wal.exists() or wal.stat().st_size == 0):
                self.path = db.path
            else:
                self.temp = folder / f"{db.path.stem}-snapshot.partial"
                self.path = self.temp
        except BaseException:
            self.reader.close()
            raise

    def pages(self):
        if self.temp is not None and not self.temp.exists():
            self.temp.parent.mkdir(parents=True, exist_ok=True)
            dest = sqlite3.connect(self.temp)
            try:
                self.reader.backup(dest, pages=_PAGES_PER_STEP)
            finally:
                dest.close()
        return pagefile.read_pages(self.path, self.page_size, self.page_count)

    def close(self) -> None:
        self.reader.close()
        if self.temp is not None:
            self.temp.unlink(missing_ok=True)


class BackupService:
    """``shop.backups``: create, list and restore backups of the shop database."""

    def __init__(self, shop):
        self.shop = shop
        self.db = shop.db

    @property
    def folder(self) -> Path | None:
        """The backup folder, or None for an in-memory shop."""
        return None if self.db.path is None else backup_folder(self.db.path)

    def keep(self) -> int:
        """How many backups rotation keeps (setting ``backup_keep``, default 10)."""
        return max(1, int(self.shop.settings.get(KEEP_SETTING, DEFAULT_KEEP)))

    def set_keep(self, count: int) -> None:
        if not isinstance(count, int) or count < 1:
            raise InvalidInputError("保存するバックアップの数は1以上の整数で指定してください。")
        self.shop.settings.set(KEEP_SETTING, count)

    def create(self, reason: str, progress: Progress | None = None,
               full: bool = True) -> BackupInfo | None:
        """A new backup of the database; None for an in-memory shop. ``full``: every
        page (a file that restores on its own), else the pages changed since the
        previous backup.

        Older backups beyond ``keep()`` are deleted afterwards.
        """
        if self.folder is None:
            return None
        snapshot = _Snapshot(self.db, self.folder)
        try:
            parent = None if full else self._parent(snapshot.page_size)
            target = self._write(reason, progress, snapshot, parent)
        finally:
            snapshot.close()
        self._rotate()
        return _info(target)

    def disk_bytes(self) -> int:
        """What every backup of this database takes on disk together."""
        return sum(b.size_bytes for b in self.list())

    def start(self, reason: str) -> "PendingBackup | None":
        """Begin a backup of the last committed state on a thread of its own, so the
        caller can go on writing (uncommitted) meanwhile: an import takes its
        before-import backup this way. Call ``finish()`` before committing.

        None for an in-memory shop, and when the database is not in WAL mode
        (then the backup is taken at once). Writes not yet committed when it
        starts are not in the backup.
        """
        if self.folder is None:
            return None
        # Without WAL, a reader would block the writer's commit.
        if self.db.scalar("PRAGMA journal_mode") != "wal":
            self.create(reason)
            return None
        return PendingBackup(self, reason)

    def _write(self, reason: str, progress: Progress | None, snapshot: _Snapshot,
               parent: tuple[str, str, bytes] | None) -> Path:
        """The backup file for ``snapshot``: every page, or those changed since
        ``parent`` (see ``_parent``). Uses no connection of the shop's, so any thread
        may run it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        # Left behind by a backup, or a restore's rebuilt copy, killed midway.
        stem = self.db.path.stem
        for stale in [*self.folder.glob(f"{stem}-*.partial"), *self.folder.glob(f"{stem}-*.rebuilt")]:
            if stale != snapshot.temp:
                stale.unlink(missing_ok=True)
        created = datetime.now()
        while (target := self._path_for(created)).exists():
            created += timedelta(microseconds=1)
        partial = target.with_name(target.name + ".partial")
        partial.unlink(missing_ok=True)
        report = reporter(progress)

        def pages():
            for number, page in enumerate(snapshot.pages()):
                if number % 4096 == 0:
                    report(number / max(1, snapshot.page_count), "バックアップを作成しています")
                yield page

        try:
            with open(partial, "w+b") as out:
                pagefile.write(out, pages(), snapshot.page_size, snapshot.page_count, parent)
                out.flush()
                os.fsync(out.fileno())
            partial.replace(target)
        except (OSError, sqlite3.Error) as exc:
            partial.unlink(missing_ok=True)
            raise OtokuiError(f"バックアップを作成できませんでした（{exc}）。"
                              "ディスクの空き容量を確認してください。") from exc
        _meta_path(target).write_text(
            json.dumps({"reason": reason, "created_at": created.isoformat()},
                       ensure_ascii=False), encoding="utf-8")
        return target

    def _parent(self, page_size: int) -> tuple[str, str, bytes] | None:
        """The newest backup to store only the changes against, if there is one that
        is sound and its chain is shorter than ``keep()``."""
        backups = [b for b in self.list() if b.path.suffix == pagefile.SUFFIX]
        if not backups:
            return None
        newest = backups[0].path
        try:
            links = pagefile.chain(newest)
            header = pagefile.read_header(newest)
            if len(links) >= self.keep() or header.page_size != page_size:
                return None
            return newest.name, header.id, pagefile.read_hashes(newest)
        except (OSError, OtokuiError):
            return None

    def list(self) -> list[BackupInfo]:
        """Every backup of this database, newest first."""
        return [] if self.db.path is None else list_backups(self.db.path)

    def latest(self) -> BackupInfo | None:
        backups = self.list()
        return backups[0] if backups else None

    def restore(self, path: Path | str, progress: Progress | None = None) -> None:
        """Replace the live database's content with the backup at ``path``.

        The backup is checked first (an Otokui database, not newer than this
        program, passing integrity_check); the current state is itself backed up
        so a restore can be undone by restoring that backup.
        """
        path = Path(path)
        source = validate_backup(path)
        try:
            if self.folder is not None:
                snapshot = _Snapshot(self.db, self.folder)
                try:
                    self._write("復元前の自動バックアップ", None, snapshot,
                                self._parent(snapshot.page_size))
                finally:
                    snapshot.close()
                self._rotate(spare=path)
            if self.db.conn.in_transaction:
                raise OtokuiError("処理中のため復元できません。処理が終わってから復元してください。")
            source.backup(self.db.conn, pages=_PAGES_PER_STEP, progress=(
                None if progress is None else
                lambda status, remaining, total: progress(
                    1 - remaining / total if total else 1.0, "バックアップから復元しています")))
            self.db.forget_memos()
            self.db.migrate()
            with self.db.transaction() as conn:
                ErasureLedger(self.db.path).reapply(conn)
        finally:
            source.close()

    def redact(self, erasure: Erasure, progress: Progress | None = None) -> tuple[int, int]:
        """Blank an erasure's people in every backup (see redaction.py). A backup
        that cannot be rewritten (disk full, damaged) is deleted rather than left
        holding them. Returns (backups redacted, backups deleted)."""
        backups = self.list()
        report = reporter(progress)
        redacted = deleted = 0
        # Oldest first: each page backup is written again against its parent's redacted
        # version; the originals stay until the end (the later ones are rebuilt from them).
        rewritten: dict[str, tuple[str, str, bytes]] = {}
        replacements: list[tuple[Path, Path]] = []
        failed: list[Path] = []
        for number, backup in enumerate(reversed(backups)):
            report(number / len(backups), "バックアップからも削除しています")
            try:
                if backup.path.suffix == pagefile.SUFFIX:
                    replacements.append(self._redact_pages(backup.path, erasure, rewritten))
                else:
                    redact_file(backup.path, erasure)
                    redacted += 1
            except (OSError, sqlite3.Error, OtokuiError):
                failed.append(backup.path)
        for partial, original in replacements:
            os.replace(partial, original)
            redacted += 1
        for path in failed:
            _log.warning("バックアップ %s を書き換えられないため削除しました", path.name)
            path.unlink(missing_ok=True)
            _meta_path(path).unlink(missing_ok=True)
            path.with_name(path.name + ".partial").unlink(missing_ok=True)
            deleted += 1
        return redacted, deleted

    def _redact_pages(self, path: Path, erasure: Erasure,
                      rewritten: dict[str, tuple[str, str, bytes]]) -> tuple[Path, Path]:
        """Rewrite a page backup without the erasure's people: its database is
        rebuilt (from the backups as they were), redacted with freed bytes
        overwritten, and stored again — against its parent's redacted version, or
        in full when the parent could not be rewritten."""
        header = pagefile.read_header(path)
        work = path.with_name(path.name + ".redacting.partial")
        partial = path.with_name(path.name + ".partial")
        try:
            pagefile.materialize(path, work)
            redact_file(work, erasure)
            conn = sqlite3.connect(work)
            try:
                page_size = conn.execute("PRAGMA page_size").fetchone()[0]
                page_count = conn.execute("PRAGMA page_count").fetchone()[0]
            finally:
                conn.close()
            parent = rewritten.get(header.parent) if header.parent else None
            with open(partial, "w+b") as out:
                written = pagefile.write(out, pagefile.read_pages(work, page_size, page_count),
                                         page_size, page_count, parent)
                out.flush()
                os.fsync(out.fileno())
            hashes = pagefile.read_hashes(partial)
            # Rewritten later: the originals are needed to rebuild their children.
            rewritten[path.name] = (path.name, written.id, hashes)
            return partial, path
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        finally:
            work.unlink(missing_ok=True)

    def _path_for(self, created: datetime) -> Path:
        return (backup_folder(self.db.path)
                / f"{self.db.path.stem}-{created.strftime(_STAMP)}{pagefile.SUFFIX}")

    def _rotate(self, spare: Path | None = None) -> None:
        """Delete backups beyond ``keep()``, oldest first, sparing the one being restored
        and those a kept backup builds on (they go with the last one needing them)."""
        backups = self.list()
        spared = [b for b in backups if spare is not None and b.path.samefile(spare)]
        others = [b for b in backups if b not in spared]
        doomed = others[max(0, self.keep() - len(spared)):]
        needed: set[str] = set()
        for info in backups:
            if info not in doomed and info.path.suffix == pagefile.SUFFIX:
                try:
                    needed.update(link.name for link in pagefile.chain(info.path))
                except (OSError, OtokuiError):
                    pass
        for old in doomed:
            if old.path.name not in needed:
                old.path.unlink(missing_ok=True)
                _meta_path(old.path).unlink(missing_ok=True)


class BackupThread:
    """A backup written by ``write`` on a thread of its own while the caller goes on;
    ``finish()`` waits for it, raises its error if it failed, then lets rotation
    delete the backups beyond the kept number (``backups._rotate()``)."""

    def __init__(self, backups, write: Callable[[], object], name: str):
        self._backups = backups
        self._error: BaseException | None = None
        self._finished = False
        self._thread = threading.Thread(target=self._run, args=(write,), name=name, daemon=True)
        self._thread.start()

    def _run(self, write: Callable[[], object]) -> None:
        try:
            write()
        except BaseException as exc:  # noqa: BLE001 — handed to finish()
            self._error = exc

    def finish(self) -> None:
        """Wait for the backup; raise its error (OtokuiError) if it failed. Then
        older backups beyond the kept number are deleted."""
        if self._finished:
            return
        self._thread.join()
        self._finished = True
        if self._error is not None:
            raise self._error
        self._backups._rotate()


class PendingBackup(BackupThread):
    """A backup being written by a thread while the shop's connection goes on.

    The snapshot (a second, read-only connection's read transaction) is taken
    before the constructor returns, so the backup holds exactly the state committed
    then, whatever the shop's connection writes afterwards. Reading, hashing and
    compressing pages mostly run without the GIL.
    """

    def __init__(self, backups: BackupService, reason: str):
        snapshot = _Snapshot(backups.db, backups.folder)
        try:
            parent = backups._parent(snapshot.page_size)
        except BaseException:
            snapshot.close()
            raise

        def write() -> None:
            try:
                backups._write(reason, None, snapshot, parent)
            finally:
                snapshot.close()
        super().__init__(backups, write, "otokui-backup")


def backup_folder(db_path: Path) -> Path:
    return Path(db_path).parent / "backups"


def list_backups(db_path: Path) -> list[BackupInfo]:
    """Every backup of the database at ``db_path``, newest first (no need to open it)."""
    folder = backup_folder(db_path)
    if not folder.is_dir():
        return []
    stem = Path(db_path).stem
    infos = [_info(p) for pattern in (f"{stem}-*.db", f"{stem}-*{pagefile.SUFFIX}")
             for p in folder.glob(pattern)]
    return sorted((i for i in infos if i is not None), key=lambda i: i.created_at, reverse=True)


def usable_backups(db_path: Path) -> list[BackupInfo]:
    """The backups of ``db_path`` that pass the restore checks, newest first (a
    damaged newest backup must not hide the older good ones)."""
    usable = []
    for info in list_backups(db_path):
        try:
            validate_backup(info.path).close()
        except OtokuiError:
            continue
        usable.append(info)
    return usable


def refuse_lost_database(db_path: Path) -> None:
    """Raise DatabaseMissingError when the database file is missing or empty but
    backups of it exist (a deleted or truncated file must not open as a new shop)."""
    db_path = Path(db_path)
    if db_path.is_file() and db_path.stat().st_size > 0:
        return
    backups = list_backups(db_path)
    if backups:
        raise DatabaseMissingError(db_path, len(backups))


def replace_database(db_path: Path, backup: Path) -> Path:
    """Put a backup in place of a database that cannot be opened (damaged, empty or
    missing); returns where the old file was kept (``<name>.corrupt-<time>``).

    The backup is copied to a temporary file, erasures recorded in the ledger are
    applied to it, and only then does it take the database's place by renames, so
    a kill at any moment leaves either the old state or the restored one — never
    an empty shop. The old file's WAL sidecars go aside with it: left in place they
    would be applied to the restored copy.
    """
    db_path, backup = Path(db_path), Path(backup)
    restoring = db_path.with_name(db_path.name + ".restoring")
    source = validate_backup(backup)
    try:
        restoring.unlink(missing_ok=True)
        dest = sqlite3.connect(restoring, isolation_level=None)
        try:
            source.backup(dest)
            dest.execute("BEGIN IMMEDIATE")
            ErasureLedger(db_path).reapply(dest)
            dest.execute("COMMIT")
        finally:
            dest.close()
    finally:
        source.close()
    aside = db_path.with_name(f"{db_path.name}.corrupt-{datetime.now().strftime(_STAMP)}")
    for suffix in ("-wal", "-shm", ""):
        part = Path(f"{db_path}{suffix}")
        if part.exists():
            part.replace(f"{aside}{suffix}")
    os.replace(restoring, db_path)
    return aside


class _RebuiltConnection(sqlite3.Connection):
    """A connection to a page backup rebuilt as a database file; closing it deletes
    the file."""

    rebuilt: Path | None = None

    def close(self) -> None:
        super().close()
        if self.rebuilt is not None:
            self.rebuilt.unlink(missing_ok=True)


def _rebuild(path: Path) -> _RebuiltConnection:
    """The database a page backup holds, in a temporary file beside it (else in the
    temporary folder) that goes when the connection is closed."""
    try:
        handle, name = tempfile.mkstemp(prefix=path.name + ".", suffix=".rebuilt",
                                        dir=path.parent)
    except OSError:
        handle, name = tempfile.mkstemp(prefix=path.name + ".", suffix=".rebuilt")
    os.close(handle)
    rebuilt = Path(name)
    try:
        pagefile.materialize(path, rebuilt)
        conn = sqlite3.connect(f"{rebuilt.resolve().as_uri()}?mode=ro", uri=True,
                               factory=_RebuiltConnection)
    except BaseException:
        rebuilt.unlink(missing_ok=True)
        raise
    conn.rebuilt = rebuilt
    return conn


def open_backup(path: Path) -> sqlite3.Connection:
    """Any backup, old (.db) or new (.otkb), as a read-only connection to its database."""
    path = Path(path)
    if pagefile.is_page_backup(path):
        return _rebuild(path)
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def validate_backup(path: Path) -> sqlite3.Connection:
    """Open a backup read-only after checking it can safely replace the database."""
    if not path.is_file():
        raise NotFoundError(f"{path.name}: バックアップファイルが見つかりません。")
    try:
        conn = open_backup(path)
    except (sqlite3.Error, OSError) as exc:
        raise OtokuiError(f"{path.name}: バックアップを開けません（{exc}）。") from exc
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if app_id != APPLICATION_ID:
            raise OtokuiError(f"{path.name}: Otokuiのバックアップではありません。")
        if version > SCHEMA_VERSION:
            raise OtokuiError(
                f"{path.name}: 新しいバージョンのOtokuiで作られたバックアップです"
                f"（形式 {version}、このアプリは {SCHEMA_VERSION} まで）。Otokuiを更新してください。")
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise InvalidInputError(f"{path.name}: バックアップが壊れています（{check}）。"
                              "別のバックアップを選んでください。")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise OtokuiError(f"{path.name}: バックアップが壊れているか、データベースではありません"
                          f"（{exc}）。") from exc
    except OtokuiError:
        conn.close()
        raise
    return conn


def _meta_path(backup: Path) -> Path:
    return backup.with_suffix(".json")


def _info(path: Path) -> BackupInfo | None:
    stamp = path.stem.rsplit("-", 3)[-3:]
    try:
        created = datetime.strptime("-".join(stamp), _STAMP)
        size = path.stat().st_size
    except (ValueError, OSError):
        return None
    try:
        reason = json.loads(_meta_path(path).read_text(encoding="utf-8")).get("reason", "")
    except (OSError, ValueError):
        reason = ""
    full = True
    if path.suffix == pagefile.SUFFIX:
        try:
            full = pagefile.read_header(path).full
        except (OSError, OtokuiError):
            pass   # damaged: listed, and refused when chosen
    return BackupInfo(path, created, size, reason, full)
