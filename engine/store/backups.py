"""Backups of the shop database: SQLite's online backup API, with rotation.

Backups live in a ``backups`` folder next to the database file, one SQLite file
per backup named ``<db stem>-YYYYmmdd-HHMMSS-ffffff.db`` plus a small JSON file
with the reason. A backup is written under a temporary name and renamed when
complete, so a crash while backing up never leaves a half backup in the list.
"""
from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from engine.errors import DatabaseMissingError, InvalidInputError, NotFoundError, OtokuiError
from engine.progress import Progress, reporter
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

    def create(self, reason: str, progress: Progress | None = None) -> BackupInfo | None:
        """Copy the whole database into a new backup file; None for an in-memory shop.

        Older backups beyond ``keep()`` are deleted afterwards.
        """
        if self.folder is None:
            return None
        target = self._write(reason, progress)
        self._rotate()
        return _info(target)

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

    def _write(self, reason: str, progress: Progress | None,
               source: sqlite3.Connection | None = None) -> Path:
        """The backup file for ``source`` (default: the shop's own connection)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        # Left behind by a backup that was killed midway.
        for stale in self.folder.glob(f"{self.db.path.stem}-*.db.partial"):
            stale.unlink(missing_ok=True)
        created = datetime.now()
        while (target := self._path_for(created)).exists():
            created += timedelta(microseconds=1)
        partial = target.with_name(target.name + ".partial")
        partial.unlink(missing_ok=True)

        def step(status, remaining, total):
            if progress is not None and total:
                progress(1 - remaining / total, "バックアップを作成しています")

        try:
            dest = sqlite3.connect(partial)
            try:
                if source is None:
                    self.db.conn.backup(dest, pages=_PAGES_PER_STEP, progress=step)
                else:
                    source.backup(dest, pages=_PAGES_PER_STEP, progress=step)
                # A backup is a single self-contained file, not a WAL database.
                dest.execute("PRAGMA journal_mode = DELETE")
            finally:
                dest.close()
            partial.replace(target)
        except (OSError, sqlite3.Error) as exc:
            partial.unlink(missing_ok=True)
            raise OtokuiError(f"バックアップを作成できませんでした（{exc}）。"
                              "ディスクの空き容量を確認してください。") from exc
        _meta_path(target).write_text(
            json.dumps({"reason": reason, "created_at": created.isoformat()},
                       ensure_ascii=False), encoding="utf-8")
        return target

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
                self._write("復元前の自動バックアップ", None)
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
        for number, backup in enumerate(backups):
            report(number / len(backups), "バックアップからも削除しています")
            try:
                redact_file(backup.path, erasure)
                redacted += 1
            except (OSError, sqlite3.Error):
                _log.warning("バックアップ %s を書き換えられないため削除しました", backup.path.name)
                backup.path.unlink(missing_ok=True)
                _meta_path(backup.path).unlink(missing_ok=True)
                deleted += 1
        return redacted, deleted

    def _path_for(self, created: datetime) -> Path:
        return backup_folder(self.db.path) / f"{self.db.path.stem}-{created.strftime(_STAMP)}.db"

    def _rotate(self, spare: Path | None = None) -> None:
        """Delete backups beyond ``keep()``, oldest first, sparing the one being restored."""
        backups = self.list()
        spared = [b for b in backups if spare is not None and b.path.samefile(spare)]
        others = [b for b in backups if b not in spared]
        for old in others[max(0, self.keep() - len(spared)):]:
            old.path.unlink(missing_ok=True)
            _meta_path(old.path).unlink(missing_ok=True)


class PendingBackup:
    """A backup being written by a thread from a second, read-only connection.

    That connection's read transaction starts before the constructor returns, so
    the backup holds exactly the state committed then, whatever the shop's
    connection writes afterwards. SQLite copies pages without holding the GIL.
    """

    def __init__(self, backups: BackupService, reason: str):
        self._backups = backups
        self._error: BaseException | None = None
        self._finished = False
        self._source = connect_read_only(backups.db.path, check_same_thread=False)
        try:
            self._source.execute("BEGIN")
            self._source.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except BaseException:
            self._source.close()
            raise
        self._thread = threading.Thread(target=self._run, args=(reason,),
                                         name="otokui-backup", daemon=True)
        self._thread.start()

    def _run(self, reason: str) -> None:
        try:
            self._backups._write(reason, None, self._source)
        except BaseException as exc:  # noqa: BLE001 — handed to finish()
            self._error = exc
        finally:
            self._source.close()

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


def backup_folder(db_path: Path) -> Path:
    return Path(db_path).parent / "backups"


def list_backups(db_path: Path) -> list[BackupInfo]:
    """Every backup of the database at ``db_path``, newest first (no need to open it)."""
    folder = backup_folder(db_path)
    if not folder.is_dir():
        return []
    infos = [_info(p) for p in folder.glob(f"{Path(db_path).stem}-*.db")]
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


def validate_backup(path: Path) -> sqlite3.Connection:
    """Open a backup read-only after checking it can safely replace the database."""
    if not path.is_file():
        raise NotFoundError(f"{path.name}: バックアップファイルが見つかりません。")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
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
    return BackupInfo(path, created, size, reason)
