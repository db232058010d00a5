"""Backups of a shop on a PostgreSQL server, kept on this PC.

A backup is one file (a zip archive): every table of the shop as PostgreSQL's
binary COPY stream compressed with zstd, all read in one snapshot (REPEATABLE READ), and
a manifest — format, schema version, the server it came from, why it was taken,
each table's row count and the last id each identity handed out. Writing and
reading it needs neither ``pg_dump`` nor any other program of the server's: the
same Otokui on any PC of the shop does both.

Backups live in the user data folder, ``backups/<server>_<port>_<database>/``,
one file per backup named ``<database>-YYYYmmdd-HHMMSS-ffffff.otkpg``, written
under a temporary name and renamed when complete (a crash never leaves half a
backup in the list). Rotation keeps the shop's ``backup_keep`` newest.

A restore replaces the shop's tables in one transaction, as ``migrate`` writes
them (other desktops wait for it): made again, filled from the backup, the
identities set, keys and indexes built, the row counts compared with the
manifest — a damaged file or any failure leaves the server as it was. The state before is backed up first, so a restore
is undone by restoring that backup. People erased (on request) since the backup
was taken are erased again in the restored state before it commits: the shop's
ledger of erasures is read first and kept (redaction.py).
"""
from __future__ import annotations

import json
import os
import re
import zipfile
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from typing import Iterator

from engine.errors import InvalidInputError, NotFoundError, OtokuiError
from engine.progress import Cancel, Progress, check_cancel, reporter
from engine.store import dialect, pagefile, postgres, server_changes, server_lock
from engine.store.backups import DEFAULT_KEEP, KEEP_SETTING, BackupInfo, BackupThread
from engine.store.dialects import POSTGRES
from engine.store.paths import user_data_dir
from engine.store.pg_connection import PgConnection
from engine.store.redaction import ServerErasureLedger
from engine.store.schema import SCHEMA_VERSION
from engine.store.transfer import MigrationError, PostgresReader, PostgresWriter

FORMAT = 1
SUFFIX = ".otkpg"
MANIFEST = "manifest.json"
_STAMP = "%Y%m%d-%H%M%S-%f"
# Bytes of a COPY stream handed on at a time when restoring.
_BLOCK = 1 << 20
# Each table's stream is compressed with zstd (the archive stores it as it is): a
# backup before every import must cost seconds, not the import's own time.
CODEC = "zstd"


class BackupFileError(OtokuiError):
    """A file that is not a usable backup of this shop's kind; nothing was changed."""


def backup_folder_for(url: str) -> Path:
    """Where this PC keeps the backups of the shop at ``url``."""
    target = postgres.parse(url)[1]
    name = re.sub(r"[^0-9A-Za-z._-]", "_", f"{target.host}_{target.port}_{target.dbname}")
    return user_data_dir() / "backups" / name


class ServerBackups:
    """Create, list and restore backups of the shop at ``url`` (a postgresql:// URL);
    the same methods as the file shop's BackupService."""

    def __init__(self, url: str, folder: Path | str | None = None, staff: str | None = None):
        self.url = url
        # Who restores, named to the other desktops (default: this computer's user).
        self.staff = staff or server_lock.staff_name()
        self.target = postgres.parse(url)[1]
        self.folder = Path(folder) if folder is not None else backup_folder_for(url)

    def keep(self) -> int:
        """How many backups rotation keeps (the shop's ``backup_keep``, default 10)."""
        with postgres.connect(self.url) as conn:
            row = conn.execute("SELECT value FROM settings WHERE key = %s",
                               (KEEP_SETTING,)).fetchone()
        return max(1, int(json.loads(row[0]))) if row else DEFAULT_KEEP

    def set_keep(self, count: int) -> None:
        if not isinstance(count, int) or count < 1:
            raise InvalidInputError("保存するバックアップの数は1以上の整数で指定してください。")
        with postgres.connect(self.url) as conn:
            conn.execute("INSERT INTO settings (key, value) VALUES (%s, %s) "
                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                         (KEEP_SETTING, json.dumps(count)))

    def create(self, reason: str, progress: Progress | None = None,
               cancel: Cancel | None = None) -> BackupInfo:
        """A backup of the shop's committed state now; older ones beyond ``keep()``
        are deleted afterwards."""
        target = self._write(reason, progress, cancel)
        self._rotate()
        return _info(target)

    def list(self) -> list[BackupInfo]:
        """Every backup of this shop on this PC, newest first."""
        if not self.folder.is_dir():
            return []
        found = [_info(p) for p in self.folder.glob(f"*{SUFFIX}")]
        return sorted((b for b in found if b is not None), key=lambda b: b.created_at,
                      reverse=True)

    def latest(self) -> BackupInfo | None:
        backups = self.list()
        return backups[0] if backups else None

    def disk_bytes(self) -> int:
        """What every backup of this shop takes on this PC's disk together."""
        return sum(b.size_bytes for b in self.list())

    def restore(self, path: Path | str, progress: Progress | None = None,
                cancel: Cancel | None = None) -> None:
        """Replace the shop's content with the backup at ``path`` (one transaction).

        The file is checked first (a backup of this format and schema version with
        every table); the current state is backed up before anything changes. The
        shop's lock for big changes is held throughout: while another desktop
        imports or restores, BusyError says who. The
        tables are made again as ``migrate`` makes them (keys and indexes once the
        rows are in: far faster than filling indexed tables)."""
        import psycopg

        path = Path(path)
        report = reporter(progress)
        with _open_backup(path) as archive, server_lock.held(self.url, "復元", self.staff):
            manifest = _manifest(path, archive)
            report(0.0, "いまの状態をバックアップしています")
            self._write("復元前の自動バックアップ", None, cancel)
            self._rotate(spare=path)
            total = max(1, sum(manifest["rows"].values()))
            done = 0
            try:
                erasures = _erasures_now(self.url)
                writer = PostgresWriter(self.url, replace=True)
            except psycopg.OperationalError as exc:
                raise postgres.connection_error(exc, self.target) from None
            try:
                for t in dialect.tables():
                    check_cancel(cancel)
                    report(0.1 + 0.75 * done / total, f"{t.name} を復元しています")
                    writer.write_stream(t, _blocks(archive, path, t, manifest["bytes"][t.name]))
                    done += manifest["rows"][t.name]
                report(0.9, "索引を作り直しています")
                writer.finish(manifest["sequences"])
                for name, expected in manifest["rows"].items():
                    found = writer.count(name)
                    if found != expected:
                        raise BackupFileError(
                            f"{path.name} の {name} が{expected:,}行のはずが{found:,}行でした。"
                            "バックアップが壊れています。何も変更していません。")
                # People erased since the backup was taken (on any desktop) stay erased.
                restored = PgConnection(writer.conn)
                ledger = ServerErasureLedger(POSTGRES)
                ledger.reapply(restored, erasures + ledger.erasures(restored))
                ledger.keep(restored, erasures)
                # The other desktops show the restored state once it is committed.
                server_changes.announce(writer.conn, "restore", self.staff)
                writer.commit()
            except psycopg.OperationalError as exc:
                writer.abandon()
                raise postgres.connection_error(exc, self.target) from None
            except (psycopg.Error, MigrationError) as exc:
                writer.abandon()
                raise BackupFileError(
                    f"{path.name} から復元できませんでした（{exc}）。何も変更していません。") from exc
            except BaseException:
                writer.abandon()
                raise
        report(1.0, f"{path.name} の状態に戻しました")

    def start(self, reason: str) -> "PendingServerBackup":
        """Begin a backup of the committed state now on a thread of its own, so the
        caller can go on writing (uncommitted) meanwhile: an import takes its
        before-import backup this way. Call ``finish()`` before committing."""
        return PendingServerBackup(self, reason)

    def redact(self, erasure, progress: Progress | None = None) -> tuple[int, int]:
        """After an erasure (engine/customers/privacy.py): the backups on this PC were
        all taken before it and hold the erased people; they are deleted, not
        rewritten (the next import takes a new one). Returns (0, backups deleted)."""
        backups = self.list()
        for backup in backups:
            backup.path.unlink(missing_ok=True)
        return 0, len(backups)

    def _snapshot(self) -> tuple[PostgresReader, dict[str, int]]:
        """A reader on the committed state now, and each table's rows in it."""
        import psycopg
        try:
            reader = PostgresReader(self.url)
            try:
                return reader, {t.name: reader.count(t.name) for t in dialect.tables()}
            except BaseException:
                reader.close()
                raise
        except psycopg.OperationalError as exc:
            raise postgres.connection_error(exc, self.target) from None

    def _write(self, reason: str, progress: Progress | None, cancel: Cancel | None,
               snapshot: tuple[PostgresReader, dict[str, int]] | None = None) -> Path:
        """The backup file of ``snapshot`` (default: the state now); closes it."""
        import psycopg

        report = reporter(progress)
        reader, rows = snapshot or self._snapshot()
        created = datetime.now()
        target = self.folder / f"{_safe(self.target.dbname)}-{created.strftime(_STAMP)}{SUFFIX}"
        partial = target.with_name(target.name + ".partial")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            sizes: dict[str, int] = {}
            total, done = max(1, sum(rows.values())), 0
            with zipfile.ZipFile(partial, "w", allowZip64=True) as archive:
                for t in dialect.tables():
                    check_cancel(cancel)
                    report(0.95 * done / total, f"{t.name} をバックアップしています")
                    with archive.open(_member(t.name), "w", force_zip64=True) as member, \
                            _compressed(member) as out, \
                            reader.conn.cursor() as cur, cur.copy(_copy_out(t)) as copy:
                        sizes[t.name] = 0
                        for block in copy:
                            out.write(block)
                            sizes[t.name] += len(block)
                    done += rows[t.name]
                archive.writestr(MANIFEST, json.dumps({
                    "format": FORMAT, "schema_version": SCHEMA_VERSION,
                    "server": postgres.describe(self.url), "reason": reason,
                    "created_at": created.isoformat(timespec="microseconds"),
                    "compression": CODEC, "rows": rows, "bytes": sizes,
                    "sequences": reader.sequences()}, ensure_ascii=False))
            with open(partial, "ab") as written:
                os.fsync(written.fileno())
            os.replace(partial, target)
        except psycopg.OperationalError as exc:
            raise postgres.connection_error(exc, self.target) from None
        except OSError as exc:
            raise OtokuiError(f"バックアップを保存できませんでした（{exc.strerror or exc}）。"
                              f"{self.folder} の空き容量と書き込みの許可を確認してください。") from None
        finally:
            reader.close()
            with suppress(OSError):
                partial.unlink(missing_ok=True)
        report(1.0, f"バックアップしました（{target.name}）")
        return target

    def _rotate(self, spare: Path | None = None) -> None:
        """Delete the backups beyond ``keep()``, oldest first, sparing the one being restored."""
        backups = self.list()
        spared = [b for b in backups if spare is not None and b.path.resolve() == spare.resolve()]
        others = [b for b in backups if b not in spared]
        for old in others[max(0, self.keep() - len(spared)):]:
            old.path.unlink(missing_ok=True)


def _erasures_now(url: str) -> list:
    """The shop's ledger of erasures as the server holds it now (see redaction.py)."""
    with postgres.connect(url, autocommit=True) as conn:
        return ServerErasureLedger(POSTGRES).erasures(PgConnection(conn))


def _safe(name: str) -> str:
    return re.sub(r"[^0-9A-Za-z._-]", "_", name) or "otokui"


def _member(table: str) -> str:
    return f"tables/{table}.copy"


def _copy_out(t: dialect.Table) -> str:
    return (f"COPY (SELECT {dialect.column_list(t.column_names)} FROM {dialect.quote(t.name)} "
            f"ORDER BY {dialect.column_list(t.primary_key)}) TO STDOUT (FORMAT BINARY)")


def _compressed(member):
    """A zstd stream written into the archive's member (as the file shop's page
    backups compress: four times the speed of zip's own deflate, and smaller)."""
    import zstandard
    return zstandard.ZstdCompressor(level=pagefile.LEVEL, write_checksum=True).stream_writer(
        member, closefd=False)


def _blocks(archive: zipfile.ZipFile, path: Path, t: dialect.Table, size: int) -> Iterator[bytes]:
    """The table's COPY stream from the backup, a block at a time; all ``size``
    bytes of it, or BackupFileError."""
    import zstandard
    read = 0
    try:
        with archive.open(_member(t.name)) as member, \
                zstandard.ZstdDecompressor().stream_reader(member) as source:
            while block := source.read(_BLOCK):
                read += len(block)
                yield block
    except (zipfile.BadZipFile, OSError, EOFError, zstandard.ZstdError) as exc:
        raise BackupFileError(f"{path.name} の {t.name} を読めません（{exc}）。"
                              "バックアップが壊れています。何も変更していません。") from None
    if read != size:
        raise BackupFileError(f"{path.name} の {t.name} が途中で切れています（{size:,}バイトのうち"
                              f"{read:,}バイト）。バックアップが壊れています。何も変更していません。")


def _open_backup(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except FileNotFoundError:
        raise NotFoundError(f"バックアップ {path.name} が見つかりません。") from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise BackupFileError(f"{path.name} はOtokuiのサーバー用バックアップとして読めません"
                              f"（{exc}）。何も変更していません。") from None


def _manifest(path: Path, archive: zipfile.ZipFile) -> dict:
    """The backup's manifest, checked against this program and its tables."""
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except (KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise BackupFileError(f"{path.name} はOtokuiのサーバー用バックアップとして読めません"
                              f"（{exc}）。何も変更していません。") from None
    if manifest.get("format") != FORMAT:
        raise BackupFileError(f"{path.name} はこのOtokuiが知らない形式のバックアップです。"
                              "新しい版のOtokuiで復元してください。")
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise BackupFileError(
            f"{path.name} は別の版のOtokui（データ形式 {manifest.get('schema_version')}）で作られた"
            f"バックアップです（この版は {SCHEMA_VERSION}）。同じ版のOtokuiで復元してください。")
    missing = [t.name for t in dialect.tables()
               if t.name not in manifest.get("rows", {}) or t.name not in manifest.get("bytes", {})
               or _member(t.name) not in archive.namelist()]
    if missing:
        raise BackupFileError(f"{path.name} には {', '.join(missing[:3])} の表がありません。"
                              "バックアップが壊れています。何も変更していません。")
    return manifest


def _info(path: Path) -> BackupInfo | None:
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read(MANIFEST))
        created = datetime.fromisoformat(manifest["created_at"])
        return BackupInfo(path, created, path.stat().st_size, str(manifest.get("reason", "")))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        stamp = path.stem.rsplit("-", 3)[-3:]
        try:
            created = datetime.strptime("-".join(stamp), _STAMP)
            return BackupInfo(path, created, path.stat().st_size, "（読めないバックアップ）")
        except (ValueError, OSError):
            return None


class PendingServerBackup(BackupThread):
    """A server backup being written by a thread while the shop's connection goes on.

    Its snapshot (a REPEATABLE READ transaction of a connection of its own) is taken
    before the constructor returns, so the backup holds exactly the state committed
    then, whatever the caller writes afterwards."""

    def __init__(self, backups: ServerBackups, reason: str):
        snapshot = backups._snapshot()
        super().__init__(backups, lambda: backups._write(reason, None, None, snapshot),
                         "otokui-server-backup")
