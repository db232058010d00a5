"""How wide text is in the bundled font (IPAex Gothic), in mm, without Qt.

Layouts are computed in the engine so they can be tested without a screen; the widths
come from the font file's own advance widths (``hmtx``), which is what Qt uses when it
draws the same font with kerning off. A character the font lacks is counted as one
full em, the widest any character in it is.
"""
from __future__ import annotations

from functools import lru_cache

from engine.resources import font_path

MM_PER_POINT = 25.4 / 72
# 行頭禁則: characters a Japanese line must not start with.
NUMERALS = set("0123456789〇一二三四五六七八九十百千")
NO_LINE_START = set("ー－-ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ、。，．・：；？！）」』】〕号室")


@lru_cache(maxsize=1)
def _font() -> tuple[dict[int, float], float, float]:
    """Advance widths per code point in em, ascent and descent in em."""
    from fontTools.ttLib import TTFont

    with TTFont(str(font_path()), lazy=True) as font:
        units = font["head"].unitsPerEm
        metrics = font["hmtx"].metrics
        widths = {code: metrics[glyph][0] / units for code, glyph in font.getBestCmap().items()}
        hhea = font["hhea"]
        ascent, descent = hhea.ascent / units, -hhea.descent / units
    return widths, ascent, descent


def ascent_mm(size_pt: float) -> float:
    """Height above the baseline of the font's tallest glyphs."""
    return _font()[1] * size_pt * MM_PER_POINT


def descent_mm(size_pt: float) -> float:
    """Depth below the baseline (positive)."""
    return _font()[2] * size_pt * MM_PER_POINT


def line_height_mm(size_pt: float) -> float:
    return ascent_mm(size_pt) + descent_mm(size_pt)


def text_width_mm(text: str, size_pt: float) -> float:
    widths = _font()[0]
    return sum(widths.get(ord(ch), 1.0) for ch in text) * size_pt * MM_PER_POINT


def wrap(text: str, width_mm: float, size_pt: float) -> list[str]:
    """Break ``text`` into lines no wider than ``width_mm``, preferring to break after a
    space and never starting a line with ー, small kana or closing punctuation; a single
    character wider than the line still gets a line of its own."""
    widths, scale = _font()[0], size_pt * MM_PER_POINT
    lines: list[str] = []
    rest = text.strip()
    while rest:
        used, cut = 0.0, len(rest)
        for index, ch in enumerate(rest):
            used += widths.get(ord(ch), 1.0) * scale
            if used > width_mm and index > 0:
                cut = index
                break
        if cut == len(rest):
            lines.append(rest)
            break
        while 1 < cut < len(rest) and rest[cut] in NO_LINE_START:
            cut -= 1
        # Keep a number whole ("18番|7号", not "18番7|号" or "1|0号") when that costs
        # less than half the line.
        start = cut
        while start > 1 and rest[start - 1] in NUMERALS and rest[start] in NUMERALS:
            start -= 1
        if start > cut // 2:
            cut = start
        space = rest.rfind(" ", 0, cut + 1)
        # Break at a space only when it does not leave the line mostly empty.
        if space > cut // 2:
            cut = space
        lines.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return lines
