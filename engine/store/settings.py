"""Key/value settings stored as JSON in the database."""
from __future__ import annotations

import json
from typing import Any

from sqlite_utils.db import NotFoundError

from engine.store.database import Database

# Per-source default for DM permission (SPEC §2: Amazon forbids marketing use).
DEFAULTS: dict[str, Any] = {
    "dm_default_by_source": {"amazon": False},
}


class Settings:
    """``shop.settings``: one JSON value per key (sqlite-utils' table API)."""

    def __init__(self, db: Database):
        self.db = db
        self._table = db.utils["settings"]

    def get(self, key: str, default: Any = None) -> Any:
        try:
            raw = self._table.get(key)["value"]
        except NotFoundError:
            return DEFAULTS.get(key, default) if default is None else default
        return json.loads(raw)

    def set(self, key: str, value: Any) -> None:
        with self.db.transaction():
            self._table.upsert({"key": key, "value": json.dumps(value, ensure_ascii=False)},
                               pk="key")

    def delete(self, key: str) -> None:
        """Forget ``key``; ``get`` returns the default again."""
        with self.db.transaction():
            self._table.delete_where("key = ?", [key])
