"""The bundled Japanese font, so screens and PDFs look the same on every machine."""
from __future__ import annotations

from PySide6.QtGui import QFontDatabase

from engine.resources import font_path

_family: str | None = None


def japanese_font_family() -> str:
    """Register IPAex Gothic from resources/fonts once and return its family name."""
    global _family
    if _family is None:
        font_id = QFontDatabase.addApplicationFont(str(font_path()))
        families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
        _family = families[0] if families else "IPAexGothic"
    return _family
