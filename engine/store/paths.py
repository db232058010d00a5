"""Where user data lives on each platform."""
from __future__ import annotations

import os
import sys
from pathlib import Path

APP_DIR_NAME = "Otokui"


def user_data_dir() -> Path:
    """The per-user data folder (``%LOCALAPPDATA%\\Otokui`` on Windows).

    ``OTOKUI_HOME`` overrides it (tests, portable installs).
    """
    override = os.environ.get("OTOKUI_HOME")
    if override:
        return Path(override)
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / APP_DIR_NAME
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / APP_DIR_NAME
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / APP_DIR_NAME.lower()


def default_db_path() -> Path:
    return user_data_dir() / "otokui.db"


def log_dir() -> Path:
    return user_data_dir() / "logs"
