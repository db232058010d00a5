"""What a backup file holds, whatever its format: for looking for bytes that must be gone."""
from __future__ import annotations

import tempfile
from pathlib import Path

from engine.store import pagefile


def backup_bytes(path: Path) -> bytes:
    """The file's own bytes and, for a page backup, the whole database it restores to
    (decompressed), so a search finds anything either holds."""
    raw = Path(path).read_bytes()
    if not pagefile.is_page_backup(path):
        return raw
    with tempfile.TemporaryDirectory() as folder:
        rebuilt = Path(folder) / "rebuilt.db"
        pagefile.materialize(Path(path), rebuilt)
        return raw + rebuilt.read_bytes()
