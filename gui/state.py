"""What the window remembers between runs (the database opened last, the folder
files were last opened from or saved to), in gui.json in the user data folder."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.store.paths import user_data_dir

STATE_FILE = "gui.json"


def _path() -> Path:
    return user_data_dir() / STATE_FILE


def load() -> dict[str, Any]:
    """Everything remembered ({} when nothing is, or the file is unreadable)."""
    try:
        state = json.loads(_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def remember(**values: Any) -> None:
    """Store ``values`` beside what is already remembered."""
    target = _path()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({**load(), **values}, ensure_ascii=False), encoding="utf-8")
