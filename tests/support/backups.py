"""What a backup file holds, whatever its format: for looking for bytes that must be gone."""
from __future__ import annotations

import tempfile
from pathlib import Path

from engine.store import pagefile


def backup_bytes(path: Path, *, compressed: bool = True) -> bytes:
    """The file's own bytes and, for a page backup, the whole database it restores to
    (decompressed), so a search finds anything either holds. ``compressed=False``
    leaves out a page backup's compressed bytes: a value of two or three bytes turns
    up in compressed data by chance (about once per 64 KB for two bytes)."""
    raw = Path(path).read_bytes()
    if not pagefile.is_page_backup(path):
        return raw
    with tempfile.TemporaryDirectory() as folder:
        rebuilt = Path(folder) / "rebuilt.db"
        pagefile.materialize(Path(path), rebuilt)
        return (raw if compressed else b"") + rebuilt.read_bytes()
