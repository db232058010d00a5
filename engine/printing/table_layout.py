"""Printable tables (insert lists, target lists) laid out on A4 pages in mm.

Each page has the title, a subtitle line, the column headers and as many rows as fit,
then "n / N" at the bottom. Columns get their natural width; when the page is too
narrow the wrapping columns (names, addresses, insert names) share what is left and
their text wraps inside the cell, so nothing is ever cut off.
"""
from __future__ import annotations

from dataclasses import dataclass

from engine.printing import text_metrics
from engine.printing.page import Box, Line, Page, text_at

A4_PORTRAIT = (210.0, 297.0)
A4_LANDSCAPE = (297.0, 210.0)
MARGIN = 12.0
TITLE_PT = 14.0
SUBTITLE_PT = 8.5
BODY_PT = 9.0
SMALL_PT = 7.5
CELL_PAD = 1.2
LINE_SPACING = 1.15
MIN_WRAP_WIDTH = 14.0


@dataclass(frozen=True)
class Column:
    header: str
    wrap: bool = False
    align_right: bool = False


def _column_widths(columns: list[Column], rows: list[list[str]], size: float,
                   available: float) -> list[float]:
    natural = []
    for index, column in enumerate(columns):
        widest = max([text_metrics.text_width_mm(column.header, size)]
                     + [text_metrics.text_width_mm(row[index], size) for row in rows])
        natural.append(widest + 2 * CELL_PAD + 0.01)
    total = sum(natural)
    if total <= available:
        # Spare room goes to the wrapping columns (or all of them when none wraps).
        growing = [i for i, c in enumerate(columns) if c.wrap] or list(range(len(columns)))
        share = (available - total) / sum(natural[i] for i in growing)
        return [w * (1 + share) if i in growing else w for i, w in enumerate(natural)]
    fixed = sum(w for w, c in zip(natural, columns) if not c.wrap)
    wrapping = sum(w for w, c in zip(natural, columns) if c.wrap)
    room = available - fixed
    if wrapping == 0 or room < MIN_WRAP_WIDTH * sum(c.wrap for c in columns):
        return []
    return [w * room / wrapping if c.wrap else w for w, c in zip(natural, columns)]


def _cell_lines(text: str, width: float, size: float) -> list[str]:
    return text_metrics.wrap(text, width - 2 * CELL_PAD, size) or [""]


def table_pages(title: str, subtitle: str, columns: list[Column], rows: list[list[str]],
                landscape: bool = False) -> list[Page]:
    """Lay out ``rows`` (already text) under ``columns`` on as many A4 pages as needed."""
    page_w, page_h = A4_LANDSCAPE if landscape else A4_PORTRAIT
    available = page_w - 2 * MARGIN
    for size in (BODY_PT, 8.0, 7.0, 6.0):
        widths = _column_widths(columns, rows, size, available)
        if widths:
            break
    else:
        raise ValueError("table too wide for the page")
    line_h = text_metrics.line_height_mm(size)
    header_h = line_h + 2 * CELL_PAD
    subtitle_lines = text_metrics.wrap(subtitle, available, SUBTITLE_PT)
    subtitle_top = MARGIN + text_metrics.line_height_mm(TITLE_PT) + 1.5
    top = subtitle_top + len(subtitle_lines) * text_metrics.line_height_mm(SUBTITLE_PT) + 3.0
    bottom = page_h - MARGIN - text_metrics.line_height_mm(SMALL_PT) - 2.0
    cells = [[_cell_lines(text, width, size) for text, width in zip(row, widths)]
             for row in rows]
    heights = [max(len(lines) for lines in row) * line_h * LINE_SPACING + 2 * CELL_PAD
               for row in cells]

    pages: list[list[int]] = [[]]
    used = header_h
    for index, height in enumerate(heights):
        if pages[-1] and top + used + height > bottom:
            pages.append([])
            used = header_h
        pages[-1].append(index)
        used += height

    result = []
    for number, indexes in enumerate(pages, start=1):
        page = Page(page_w, page_h)
        page.items.append(text_at(MARGIN, MARGIN, TITLE_PT, title, bold=True))
        for line_no, line in enumerate(subtitle_lines):
            page.items.append(text_at(
                MARGIN, subtitle_top + line_no * text_metrics.line_height_mm(SUBTITLE_PT),
                SUBTITLE_PT, line))
        y = _row(page, [[c.header] for c in columns], columns, widths, top, header_h, size,
                 header=True)
        for index in indexes:
            y = _row(page, cells[index], columns, widths, y, heights[index], size)
        footer = f"{number} / {len(pages)}"
        footer_w = text_metrics.text_width_mm(footer, SMALL_PT)
        page.items.append(text_at((page_w - footer_w) / 2,
                                  page_h - MARGIN - text_metrics.line_height_mm(SMALL_PT),
                                  SMALL_PT, footer))
        result.append(page)
    return result


def _row(page: Page, cells: list[list[str]], columns: list[Column], widths: list[float],
         y: float, height: float, size: float, header: bool = False) -> float:
    x = MARGIN
    line_h = text_metrics.line_height_mm(size)
    for lines, column, width in zip(cells, columns, widths):
        page.items.append(Box(x, y, width, height, fill=False, line_width=0.15))
        for number, line in enumerate(lines):
            run = text_at(x + CELL_PAD, y + CELL_PAD + number * line_h * LINE_SPACING, size,
                          line, bold=header)
            if column.align_right and not header:
                run = text_at(x + width - CELL_PAD - run.width, run.bounds()[1], size, line)
            page.items.append(run)
        x += width
    if header:
        page.items.append(Line(MARGIN, y + height, x, y + height, line_width=0.4))
    return y + height
