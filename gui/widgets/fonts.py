"""The bundled Japanese font, so screens and PDFs look the same on every machine."""
from __future__ import annotations

from importlib.resources import as_file, files

from PySide6.QtGui import QFontDatabase

_family: str | None = None


def japanese_font_family() -> str:
    """Register IPAex Gothic from resources/fonts once and return its family name."""
    global _family
    if _family is None:
        with as_file(files("resources") / "fonts" / "ipaexg.ttf") as path:
            font_id = QFontDatabase.addApplicationFont(str(path))
        families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
        _family = families[0] if families else "IPAexGothic"
    return _family
