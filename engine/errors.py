"""Typed errors. Messages are Japanese: they reach the shop owner as they are."""
from __future__ import annotations

from pathlib import Path


class OtokuiError(Exception):
    """Base of every error the engine raises on purpose."""


class CancelledError(OtokuiError):
    """The user cancelled a long job; nothing was changed."""

    def __init__(self, message: str = "処理を中止しました。データは変更されていません。"):
        super().__init__(message)



class InvalidInputError(OtokuiError):
    """A value the user gave cannot be used (a date, a month, a percentage, a rule,
    a label sheet …); the message says what to give instead. Files: BadFileError."""


class NotFoundError(OtokuiError):
    """What the user asked for (a customer, a task, a survey, an import …) does not
    exist, or no longer does."""


class DatabaseTooNewError(OtokuiError):
    """The database was written by a newer Otokui."""

    def __init__(self, path: Path | str, found: int, supported: int):
        self.path, self.found, self.supported = str(path), found, supported
        super().__init__(
            f"{Path(path).name}: このデータベースは新しいバージョンのOtokuiで作成されています"
            f"（形式 {found}、このアプリは {supported} まで）。Otokuiを最新版に更新してから開いてください。"
        )


class BadFileError(OtokuiError):
    """An input file cannot be imported. Names the file and, where known, row and column."""

    def __init__(self, file: Path | str, reason: str, row: int | None = None,
                 column: str | None = None):
        self.file = Path(file).name
        self.reason, self.row, self.column = reason, row, column
        where = self.file
        if row is not None:
            where += f" {row}行目"
        if column:
            where += f"「{column}」列"
        super().__init__(f"{where}: {reason}")

    def __reduce__(self):
        # Rebuilt from its parts when it crosses from the parsing process.
        return type(self), (self.file, self.reason, self.row, self.column)


class StorageError(OtokuiError):
    """The disk, the file or the machine failed Otokui (disk full, read-only file,
    another program's lock, out of memory); nothing was changed."""


class ConflictError(OtokuiError):
    """Someone else (another desktop) changed what the user was working on since
    they saw it: a task checked off, a note edited, a customer merged away. Nothing
    was written; the message says who did what and what to do next. ``current``:
    what is stored now, where the front end can show it (a note's text)."""

    def __init__(self, message: str, current: str | None = None):
        self.current = current
        super().__init__(message)

    def __reduce__(self):
        return type(self), (str(self), self.current)


class UndoBlockedError(OtokuiError):
    """An operation cannot be undone because later work builds on it."""


class DatabaseCorruptError(OtokuiError):
    """The database file is damaged; the shop should restore a backup."""

    def __init__(self, path: Path | str, detail: str):
        self.path, self.detail = Path(path), detail
        super().__init__(
            f"{self.path.name}: データベースが壊れています（{detail}）。"
            "最新のバックアップから復元してください。")


class DatabaseMissingError(DatabaseCorruptError):
    """The database file is gone or empty while its backups are there: opening it
    would start an empty shop (and later rotate the good backups away)."""

    def __init__(self, path: Path | str, backups: int):
        self.path, self.detail, self.backup_count = Path(path), "", backups
        OtokuiError.__init__(
            self, f"{self.path.name}: データベースのファイルが見つからないか、空になっています"
            f"（バックアップは {backups}件あります）。新しい空のお店としては開きません。"
            "バックアップから復元してください（コマンドでは restore）。")


class AlreadyOpenError(OtokuiError):
    """Another Otokui has the same database open."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        super().__init__(
            f"{self.path.name}: このデータベースは別のOtokuiで開かれています。"
            "開いているOtokuiを閉じてから、もう一度お試しください。")
