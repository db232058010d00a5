"""Address labels laid out in mm: 〒 and postal code, address, customer barcode, name 様, ID.

One label, top to bottom (SPEC §6):

    〒100-0013
    東京都千代田区霞が関1丁目3番2号          address, wrapped or shrunk, never cut;
    郵便プラザ503室                          the building always on a line of its own
    ||||||||||||||||||||||||||||||||         カスタマバーコード with 2 mm blank all round
        山田 太郎　様                        larger type
                                   No.123   customer ID, small

The barcode uses Japan Post's 10-point geometry (engine/printing/barcode.py). The manual allows
8 to 11.5 points; when the label is too narrow for 10 points plus the 2 mm quiet zones
it is drawn at the largest size down to 8 points that fits (a 70 mm label gets 8 points),
and left out on a label narrower than an 8-point barcode needs (under 67.9 mm).
"""
from __future__ import annotations

import contextlib
import functools
import gc
import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Iterator

from engine.printing import barcode

from engine.errors import InvalidInputError, OtokuiError
from engine.printing import text_metrics
from engine.printing.label_sheet import Cell, LabelSheet
from engine.printing.page import Box, Page, Primitive, text_at
from engine.progress import Cancel, Progress, check_cancel
from engine.text import format_postal

# Labels laid out between two progress reports (and cancel checks).
PROGRESS_EVERY = 500

PAD_X = 3.0
PAD_TOP = 2.8
PAD_BOTTOM = 2.0
POSTAL_PT = 9.0
ADDRESS_PT = 10.0
NAME_PT = 14.0
ID_PT = 6.0
LINE_SPACING = 1.15
NAME_INDENT = 4.0
HONORIFIC = "　様"
OUTLINE_MM = 0.1
BARCODE_POINTS = (10.0, 9.5, 9.0, 8.5, 8.0)
# Shrinking the address and name together keeps their proportion; below this share of
# the normal sizes the label is unreadable and a larger sheet is the answer.
SCALES = [s / 100 for s in range(100, 39, -5)]
# (address lines beyond one per part, smallest address size) tried in turn: street and
# building each on one line in slightly smaller type first, then wrapped in large type,
# then smaller type down to what stays readable, then whatever fits (None = no limit).
FIT_STEPS = ((0, 8.5), (1, 9.0), (0, 7.5), (1, 7.5), (2, 7.5), (None, 0.0))

# The building part starts after the block and house numbers: "…1丁目3番2号 郵便プラザ503室".
_NUMBER = "[0-9〇一二三四五六七八九十百千]+"
_STREET_END = re.compile(rf"{_NUMBER}(?:(?:丁目|番地|番|号|の|-)(?:{_NUMBER})?)*\s+")


@dataclass(frozen=True)
class LabelData:
    customer_id: int
    name: str
    postal_code: str
    address1: str
    address2: str = ""


@dataclass(frozen=True)
class Placement:
    """Where a label goes: page number (0-based) and cell."""
    page: int
    cell: Cell


def address_lines(address1: str, address2: str = "") -> tuple[str, str]:
    """The address as (street, building): ``address2`` when given, else whatever follows
    the street numbers of ``address1`` after a space."""
    address1, address2 = (address1 or "").strip(), (address2 or "").strip()
    # One export writes the building inside 住所, another in a field of its own: a
    # building already at the end of address1 is not printed twice.
    if address2 and not _compact(address1).endswith(_compact(address2)):
        return address1, address2
    found = None
    for found in _STREET_END.finditer(address1):
        pass
    if found is None or found.end() >= len(address1):
        return address1, ""
    return address1[:found.end()].rstrip(), address1[found.end():]


def _compact(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def barcode_points(label_width: float) -> float | None:
    """The largest allowed barcode size (points) whose bars and quiet zones fit the width."""
    for points in BARCODE_POINTS:
        if barcode.TOTAL_WIDTH_MM * points / 10 + 2 * barcode.QUIET_ZONE_MM <= label_width:
            return points
    return None


def _barcode_height(points: float | None) -> float:
    if points is None:
        return 0.0
    return barcode.LONG_BAR_MM * points / 10 + 2 * barcode.QUIET_ZONE_MM


def barcode_boxes(symbols: list[str], left: float, top: float, points: float) -> list[Box]:
    """The 67 bars of ``symbols`` with the long bars' top at ``top``, scaled to ``points``."""
    lefts, extents, width = _bar_geometry(points)
    boxes = []
    for x, kind in zip(lefts, barcode.bars(symbols)):
        y, height = extents[kind]
        boxes.append(Box(round(left + x, 4), round(top + y, 4), width, height))
    return boxes


@functools.lru_cache(maxsize=8)
def _bar_geometry(points: float):
    """Per bar: its left edge from the barcode's; per bar kind: its top from the long
    bars' top and its (rounded) height; the (rounded) bar width. Worked out once per
    size: a sheet of thousands of labels draws the same 67 positions each time."""
    scale = points / 10
    lefts = tuple(index * barcode.BAR_PITCH_MM * scale for index in range(barcode.BAR_COUNT))
    extents = {kind: (start * scale, round((end - start) * scale, 4))
               for kind, (start, end) in barcode.BAR_EXTENT_MM.items()}
    return lefts, extents, round(barcode.BAR_WIDTH_MM * scale, 4)


def _fit_size(text: str, size: float, width: float) -> float:
    """``size`` or the largest 0.5-point step below it at which ``text`` fits ``width``."""
    while size > 4 and text_metrics.text_width_mm(text, size) > width:
        size -= 0.5
    return size


def _fit(street: str, building: str, name: str, width: float, height: float):
    """Sizes for the address and the name that fit ``height`` (see FIT_STEPS)."""
    parts = len([part for part in (street, building) if part])
    for extra_lines, min_pt in FIT_STEPS:
        max_lines = None if extra_lines is None else parts + extra_lines
        for scale in SCALES:
            address_pt = round(ADDRESS_PT * scale, 2)
            if address_pt < min_pt:
                break
            lines = [line for part in (street, building) if part
                     for line in text_metrics.wrap(part, width, address_pt)]
            if max_lines is not None and len(lines) > max_lines:
                continue
            address_height = len(lines) * text_metrics.line_height_mm(address_pt) * LINE_SPACING
            # The name keeps its full size when there is room for it.
            for name_scale in dict.fromkeys((1.0, scale)):
                name_pt = _fit_size(name, round(NAME_PT * name_scale, 2), width - NAME_INDENT)
                spare = height - address_height - text_metrics.line_height_mm(name_pt)
                if spare >= 0:
                    return address_pt, lines, name_pt, spare
    return None


def layout_label(label: LabelData, cell: Cell, offset: tuple[float, float] = (0.0, 0.0)
                 ) -> list[Primitive]:
    """The primitives of one label inside ``cell`` (page mm), shifted by ``offset``."""
    dx, dy = cell.x + offset[0], cell.y + offset[1]
    inner = cell.width - 2 * PAD_X
    street, building = address_lines(label.address1, label.address2)
    points = barcode_points(cell.width)
    symbols = None
    if points is not None:
        try:
            symbols = barcode.encode(label.postal_code, f"{street} {building}")
        except OtokuiError:
            points = None  # no valid postal code: the label is still useful without bars
    postal = format_postal(label.postal_code)
    # A name typed with its honorific already ("山田様", "株式会社ABC 御中") keeps it.
    honoured = label.name if label.name.endswith(("様", "御中")) else f"{label.name}{HONORIFIC}"
    id_text = f"No.{label.customer_id}"
    fixed = (PAD_TOP + text_metrics.line_height_mm(POSTAL_PT) + 0.8 + _barcode_height(points)
             + text_metrics.line_height_mm(ID_PT) + PAD_BOTTOM)
    fitted = _fit(street, building, honoured, inner, cell.height - fixed)
    if fitted is None:
        raise InvalidInputError(f"顧客番号 {label.customer_id} の宛名がラベルに収まりません。"
                          "大きいラベル用紙を選んでください。")
    address_pt, lines, name_pt, spare = fitted

    items: list[Primitive] = []
    y = dy + PAD_TOP
    items.append(text_at(dx + PAD_X, y, POSTAL_PT, postal))
    y += text_metrics.line_height_mm(POSTAL_PT) + 0.8
    for line in lines:
        items.append(text_at(dx + PAD_X, y, address_pt, line))
        y += text_metrics.line_height_mm(address_pt) * LINE_SPACING
    if points is not None:
        bar_width = barcode.TOTAL_WIDTH_MM * points / 10
        items += barcode_boxes(symbols, dx + (cell.width - bar_width) / 2,
                               y + barcode.QUIET_ZONE_MM, points)
        y += _barcode_height(points)
    # The name sits in the middle of the room left between the barcode and the ID.
    items.append(text_at(dx + PAD_X + NAME_INDENT, y + spare / 2, name_pt, honoured))
    id_top = dy + cell.height - PAD_BOTTOM - text_metrics.line_height_mm(ID_PT)
    id_left = dx + cell.width - PAD_X - text_metrics.text_width_mm(id_text, ID_PT)
    items.append(text_at(id_left, id_top, ID_PT, id_text))
    return items


def placements(count: int, sheet: LabelSheet, start: int = 1) -> list[Placement]:
    """Pages and cells for ``count`` labels, the first at position ``start`` (1-based,
    along the rows) so a partly used sheet can be fed again."""
    if not 1 <= start <= sheet.per_page:
        raise InvalidInputError(f"開始位置は 1〜{sheet.per_page} の番号で指定してください。")
    cells = sheet.cells()
    return [Placement(position // sheet.per_page, cells[position % sheet.per_page])
            for position in range(start - 1, start - 1 + count)]


def layout_pages(labels: list[LabelData], sheet: LabelSheet, start: int = 1,
                 offset: tuple[float, float] = (0.0, 0.0), outlines: bool = False,
                 progress: Progress | None = None, cancel: Cancel | None = None) -> list[Page]:
    """Every label on its sheet; one :class:`Page` per sheet of paper.

    ``outlines`` adds every cell's edge, for a test print on plain paper held against
    a label sheet to check (and calibrate) where the printer puts things.
    ``progress(fraction, message)`` hears every PROGRESS_EVERY labels; ``cancel()``
    returning True stops with CancelledError.
    """
    spots = placements(len(labels), sheet, start)
    page_count = spots[-1].page + 1 if spots else 0
    pages = [Page(sheet.page_width, sheet.page_height) for _ in range(page_count)]
    if outlines:
        for page in pages:
            page.items.extend(Box(c.x + offset[0], c.y + offset[1], c.width, c.height,
                                  fill=False, line_width=OUTLINE_MM) for c in sheet.cells())
    with _collector_paused():
        for done, (label, spot) in enumerate(zip(labels, spots)):
            if done % PROGRESS_EVERY == 0:
                check_cancel(cancel)
                if progress is not None:
                    progress(done / len(labels),
                             f"ラベルを配置しています（{done:,} / {len(labels):,}枚）")
            pages[spot.page].items.extend(layout_label(label, spot.cell, offset))
    return pages


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while the pages fill up: 30,000 labels are two
    million small objects (none in a cycle), and the collector walking them again
    and again took half the time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def sheet_count(count: int, sheet: LabelSheet, start: int = 1) -> int:
    """Sheets of paper needed for ``count`` labels starting at ``start``."""
    return math.ceil((start - 1 + count) / sheet.per_page) if count else 0
