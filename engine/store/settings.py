"""Key/value settings stored as JSON in the database."""
from __future__ import annotations

import json
from typing import Any

from engine.store.database import Database

# Per-source default for DM permission (SPEC §2: Amazon forbids marketing use).
DEFAULTS: dict[str, Any] = {
    "dm_default_by_source": {"amazon": False},
}


def plain_source_name(source: str) -> bool:
    """Whether a source name may be written into SQL (letters, digits and _)."""
    return source.replace("_", "").isalnum()


def dm_default_of(defaults: dict, source: str) -> bool:
    """Whether an order from ``source`` alone gives a customer DMs by default
    (``defaults``: the dm_default_by_source setting; a source whose name is not
    plain counts as allowing, as the SQL that applies the setting treats it)."""
    return bool(defaults.get(source, True)) or not plain_source_name(source)


class Settings:
    """``shop.settings``: one JSON value per key.

    Plain SQL, not sqlite-utils' table API: every shop opens its settings, and
    sqlite-utils (with click and pluggy) costs ~35 ms of the desktop program's start.
    """

    def __init__(self, db: Database):
        self.db = db

    def get(self, key: str, default: Any = None) -> Any:
        row = self.db.conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        if row is None:
            return DEFAULTS.get(key, default) if default is None else default
        return json.loads(row[0])

    def set(self, key: str, value: Any) -> None:
        with self.db.transaction() as conn:
            conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) "
                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                         (key, json.dumps(value, ensure_ascii=False)))

    def delete(self, key: str) -> None:
        """Forget ``key``; ``get`` returns the default again."""
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM settings WHERE key = ?", (key,))
