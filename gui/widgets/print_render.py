"""Painting the engine's pages (engine/printing/page.py) onto a PDF file or a printer.

Positions come in mm from the paper's top-left corner, so the device is set up with no
margins (a printer in full-page mode) and mm are turned into device pixels here. Text
uses the bundled IPAex Gothic with kerning off, which makes Qt's widths those the
engine measured; should a run still come out wider it is squeezed to its measured
width rather than spill out of its label.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QMarginsF, QPointF, QRectF, QSizeF, Qt
from PySide6.QtGui import (QColor, QFont, QFontMetricsF, QGuiApplication, QPageLayout,
                           QPageSize, QPagedPaintDevice, QPainter, QPdfWriter, QPen)
from PySide6.QtPrintSupport import QPrinter

from engine.errors import CancelledError, OtokuiError
from engine.printing.page import Box, Line, Page, Text
from engine.progress import Cancel, Progress, check_cancel
from gui.widgets.fonts import japanese_font_family

PDF_RESOLUTION = 1200
TEXT_COLOUR = QColor("black")
_app: QGuiApplication | None = None


def ensure_app() -> QGuiApplication:
    """The application Qt needs for fonts and painting; the command line makes one, off
    screen when there is no display to show anything on."""
    global _app
    app = QGuiApplication.instance()
    if app is None:
        if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY")
                                                      or os.environ.get("WAYLAND_DISPLAY")):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = _app = QGuiApplication([])
    return app


def page_layout(page: Page) -> QPageLayout:
    """The paper of ``page`` (A4 or a custom size), portrait or landscape, no margins."""
    landscape = page.width > page.height
    short, long = sorted((page.width, page.height))
    size = QPageSize(QSizeF(short, long), QPageSize.Unit.Millimeter)
    orientation = (QPageLayout.Orientation.Landscape if landscape
                   else QPageLayout.Orientation.Portrait)
    return QPageLayout(size, orientation, QMarginsF(0, 0, 0, 0), QPageLayout.Unit.Millimeter)


class _Painter:
    def __init__(self, device: QPagedPaintDevice):
        self.device = device
        self.scale = device.resolution() / 25.4
        self.family = japanese_font_family()
        self.fonts: dict[tuple[float, bool], QFont] = {}

    def px(self, mm: float) -> float:
        return mm * self.scale

    def font(self, size_pt: float, bold: bool) -> QFont:
        key = (size_pt, bold)
        if key not in self.fonts:
            font = QFont(self.family)
            font.setPointSizeF(size_pt)
            font.setBold(bold)
            font.setKerning(False)
            font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
            font.setStyleStrategy(QFont.StyleStrategy.PreferOutline)
            self.fonts[key] = font
        return self.fonts[key]

    def paint(self, painter: QPainter, page: Page) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for item in page.items:
            if isinstance(item, Text):
                self.text(painter, item)
            elif isinstance(item, Box):
                rect = QRectF(self.px(item.x), self.px(item.y), self.px(item.width),
                              self.px(item.height))
                if item.fill:
                    painter.fillRect(rect, TEXT_COLOUR)
                else:
                    painter.setPen(self.pen(item.line_width))
                    painter.setBrush(Qt.BrushStyle.NoBrush)
                    painter.drawRect(rect)
            elif isinstance(item, Line):
                painter.setPen(self.pen(item.line_width))
                painter.drawLine(QPointF(self.px(item.x1), self.px(item.y1)),
                                 QPointF(self.px(item.x2), self.px(item.y2)))

    def pen(self, width_mm: float) -> QPen:
        pen = QPen(TEXT_COLOUR)
        pen.setWidthF(self.px(width_mm))
        return pen

    def text(self, painter: QPainter, run: Text) -> None:
        font = self.font(run.size_pt, run.bold)
        painter.setFont(font)
        painter.setPen(TEXT_COLOUR)
        drawn = QFontMetricsF(font, self.device).horizontalAdvance(run.text)
        wanted = self.px(run.width)
        painter.save()
        painter.translate(self.px(run.x), self.px(run.baseline))
        if drawn > wanted * 1.001 and drawn > 0:
            painter.scale(wanted / drawn, 1.0)
        painter.drawText(QPointF(0, 0), run.text)
        painter.restore()


def paint_pages(device: QPagedPaintDevice, pages: list[Page], progress: Progress | None = None,
                cancel: Cancel | None = None) -> int:
    """Paint ``pages`` onto a device already set up with :func:`page_layout` and no
    margins (see :func:`prepare_printer`); returns the number of pages painted.

    ``progress(fraction, message)`` hears of every page; ``cancel()`` returning True
    stops with CancelledError. Safe on the worker thread (QPdfWriter, QPrinter)."""
    if not pages:
        raise OtokuiError("印刷するものがありません。対象を選び直してください。")
    drawer = _Painter(device)
    painter = QPainter(device)
    try:
        for number, page in enumerate(pages):
            check_cancel(cancel)
            if progress is not None:
                progress(number / len(pages), f"{number + 1:,} / {len(pages):,}ページ目を作っています")
            if number:
                device.newPage()
            drawer.paint(painter, page)
    finally:
        painter.end()
    return len(pages)


def prepare_printer(printer: QPrinter, pages: list[Page]) -> None:
    """Paper size and orientation of ``pages``; positions measured from the paper's edge."""
    if pages:
        printer.setPageLayout(page_layout(pages[0]))
    printer.setFullPage(True)


def write_pdf(pages: list[Page], path: Path | str, title: str, progress: Progress | None = None,
              cancel: Cancel | None = None) -> int:
    """Save ``pages`` as a PDF with the bundled font embedded; returns the page count.
    A cancelled PDF is deleted rather than left half written."""
    if not pages:
        raise OtokuiError("印刷するものがありません。対象を選び直してください。")
    path = Path(path)
    try:
        path.open("wb").close()
    except OSError:
        raise OtokuiError(f"{path.name}: 書き込めません。PDFを開いている場合は閉じてから、"
                          "もう一度保存してください。") from None
    writer = QPdfWriter(str(path))
    writer.setResolution(PDF_RESOLUTION)
    writer.setPageLayout(page_layout(pages[0]))
    writer.setTitle(title)
    writer.setCreator("Otokui")
    try:
        return paint_pages(writer, pages, progress, cancel)
    except CancelledError:
        del writer  # closes the file, so it can be deleted (Windows)
        path.unlink(missing_ok=True)
        raise
