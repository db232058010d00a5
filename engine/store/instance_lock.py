"""One Otokui per database: an OS file lock next to the database file.

The operating system releases the lock when the holding process ends in any
way (even when killed), so a stale lock file never blocks the next start.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from engine.errors import AlreadyOpenError


class InstanceLock:
    """Holds ``<database>.lock`` (beside the real file) exclusively until ``release()``."""

    def __init__(self, db_path: Path):
        # Keyed on the file itself, not the name it was opened by: a symbolic link,
        # a relative path or another spelling of the folder reach the same lock.
        real = Path(os.path.realpath(db_path))
        self.path = Path(f"{real}.lock")
        self.db_path = Path(db_path)
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise AlreadyOpenError at once (never waits)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            _lock(fd)
        except OSError:
            os.close(fd)
            raise AlreadyOpenError(self.db_path) from None
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            # Closing the descriptor releases the lock; the file stays (deleting it
            # would race with another process that has just opened it).
            os.close(self._fd)
            self._fd = None


if sys.platform == "win32":
    import msvcrt

    def _lock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
