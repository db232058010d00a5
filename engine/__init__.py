"""Otokui engine: pure Python, never imports Qt.

The :class:`Shop` facade owns the database; services hang off it.
"""
from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("otokui")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.1.0"

from engine.errors import (  # noqa: E402
    BadFileError,
    CancelledError,
    DatabaseTooNewError,
    InvalidInputError,
    NotFoundError,
    OtokuiError,
)
from engine.shop import Shop  # noqa: E402

__all__ = [
    "BadFileError",
    "CancelledError",
    "DatabaseTooNewError",
    "InvalidInputError",
    "NotFoundError",
    "OtokuiError",
    "Shop",
    "__version__",
]
