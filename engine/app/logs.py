"""The log file: rotating, in the user's log folder, and free of personal data.

Log lines name what the program did (versions, counts, code locations), never
customer data; exception messages can quote a cell of an order file, so the log
keeps only an exception's type and stack (the crash dialog shows the message).
"""
from __future__ import annotations

import logging
import platform
import sys
import traceback
from logging.handlers import RotatingFileHandler
from pathlib import Path

from engine.app.log_privacy import install as install_privacy_filter
from engine.store.paths import log_dir

LOG_FILE = "otokui.log"
MAX_BYTES = 1_000_000
BACKUPS = 5
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(directory: Path | None = None) -> Path:
    """Send INFO and above to ``otokui.log`` (1 MB × 5 files) and return its path.

    Calling it again with the same folder changes nothing.
    """
    directory = log_dir() if directory is None else directory
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / LOG_FILE
    root = logging.getLogger()
    for handler in root.handlers:
        if isinstance(handler, RotatingFileHandler) and Path(handler.baseFilename) == path:
            return path
    handler = RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                  encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT))
    install_privacy_filter(handler)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    from engine import __version__
    logging.getLogger(__name__).info(
        "Otokui %s starting: %s, Python %s%s", __version__, platform.platform(),
        platform.python_version(), " (packaged)" if getattr(sys, "frozen", False) else "")
    return path


def describe_exception(exc: BaseException) -> str:
    """The stacks and types of ``exc`` and its causes, without messages or the home folder."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        kind = type(current)
        parts.append("Traceback (most recent call last):\n"
                     + "".join(traceback.format_tb(current.__traceback__))
                     + f"{kind.__module__}.{kind.__qualname__}")
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__)
    return _without_home("\n\nwhich led to:\n\n".join(reversed(parts)))


def _without_home(text: str) -> str:
    # The home folder usually carries the user's name (C:\Users\tanaka\…).
    home = str(Path.home())
    return text.replace(home, "~") if len(home) > 1 else text
