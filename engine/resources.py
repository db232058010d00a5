"""The program's bundled data (resources/: presets, defaults, templates, the font,
the demo shop), read one way whether Otokui runs from a source tree or packaged.

Everything goes through importlib.resources, so the packaged app needs no paths of
its own. ``lasting_path`` is for the few APIs that take a file name and read the
file later (a font registered with Qt or matplotlib): if the resource had to be
copied out to a temporary file, that copy is kept until the program ends.
"""
from __future__ import annotations

import json
from contextlib import ExitStack
from functools import cache
from importlib.resources import as_file, files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

# The bundled Japanese font (IPAex Gothic): labels, PDFs, the screen and charts.
FONT = ("fonts", "ipaexg.ttf")

_kept = ExitStack()


def resource(*parts: str) -> Traversable:
    """One bundled file or folder, e.g. ``resource("formats", "rakuten.json")``."""
    entry = files("resources")
    # One part at a time: the packaged app's resource reader takes a single child.
    for part in parts:
        entry = entry / part
    return entry


def read_text(*parts: str) -> str:
    return resource(*parts).read_text(encoding="utf-8")


def read_json(*parts: str) -> Any:
    return json.loads(read_text(*parts))


def read_bytes(*parts: str) -> bytes:
    return resource(*parts).read_bytes()


def listing(folder: str, suffixes: tuple[str, ...]) -> list[Traversable]:
    """The files of a bundled folder whose names end in one of ``suffixes``, by name."""
    return sorted((entry for entry in resource(folder).iterdir()
                   if entry.name.endswith(suffixes)), key=lambda entry: entry.name)


@cache
def lasting_path(*parts: str) -> Path:
    """A bundled file as a real file that stays until the program ends."""
    return _kept.enter_context(as_file(resource(*parts)))


def font_path() -> Path:
    return lasting_path(*FONT)
