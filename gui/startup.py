"""Which database the app opens: the one used last, or on a first start the
user's choice between the demo shop, a new database and an existing file."""
from __future__ import annotations

import json
from pathlib import Path

from engine.paths import default_db_path, user_data_dir

STATE_FILE = "gui.json"


def _state_path() -> Path:
    return user_data_dir() / STATE_FILE


def last_database() -> Path | None:
    """The database opened last, if it still exists."""
    try:
        state = json.loads(_state_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    path = Path(state.get("database", "")) if isinstance(state, dict) else None
    return path if path and path.is_file() else None


def remember_database(path: Path) -> None:
    target = _state_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"database": str(Path(path).resolve())}, ensure_ascii=False),
                      encoding="utf-8")


def database_to_open() -> Path | None:
    """The last database, else the default one if it exists; None on a first start."""
    last = last_database()
    if last is not None:
        return last
    default = default_db_path()
    return default if default.is_file() else None
