"""Painting a journey map onto A4 landscape pages (PDF file or printer).

Text is laid out with the bundled Japanese font and wraps inside its cell. The
font shrinks (down to MIN_POINTS) until the grid fits one page; a map still too
tall is split across pages by rows, with the stage headers repeated.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QMarginsF, QPointF, QRectF, Qt
from PySide6.QtGui import (QAbstractTextDocumentLayout, QColor, QFont, QPageLayout, QPageSize,
                           QPagedPaintDevice, QPainter, QPdfWriter, QPen, QTextDocument,
                           QTextOption)

from engine.analysis.rfm import CLUSTER_LABELS
from engine.research.journeys import JourneyMap
from gui.widgets.fonts import japanese_font_family

POINT_SIZES = (10, 9, 8, 7, 6)
MIN_POINTS = POINT_SIZES[-1]
ROW_HEADER_SHARE = 0.13
HEADER_FILL = QColor("#dfe8f5")
ROW_FILL = QColor("#f2f2f2")


def a4_landscape() -> QPageLayout:
    return QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Landscape,
                       QMarginsF(10, 10, 10, 10), QPageLayout.Unit.Millimeter)


class _Sheet:
    """Lays out one map for one device and paints it page by page."""

    def __init__(self, device: QPagedPaintDevice, journey: JourneyMap):
        self.device = device
        self.journey = journey
        self.family = japanese_font_family()
        rect = device.pageLayout().paintRectPixels(device.resolution())
        self.width, self.height = float(rect.width()), float(rect.height())
        self.pad = self._mm(1.5)

    def _mm(self, mm: float) -> float:
        return mm / 25.4 * self.device.resolution()

    def _font(self, points: float, bold: bool = False) -> QFont:
        font = QFont(self.family)
        font.setPointSizeF(points)
        font.setBold(bold)
        return font

    def _document(self, text: str, font: QFont, width: float) -> QTextDocument:
        doc = QTextDocument()
        doc.documentLayout().setPaintDevice(self.device)
        doc.setDefaultFont(font)
        option = QTextOption()
        option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        doc.setDefaultTextOption(option)
        doc.setDocumentMargin(0)
        doc.setPlainText(text)
        doc.setTextWidth(max(width, 1.0))
        return doc

    def _title_block(self) -> list[tuple[QTextDocument, float]]:
        j = self.journey
        subtitle = []
        if j.cluster:
            subtitle.append(f"対象: {CLUSTER_LABELS.get(j.cluster, j.cluster)}")
        if j.persona:
            subtitle.append(f"ペルソナ: {j.persona}")
        subtitle.append(f"印刷日: {date.today().isoformat()}")
        title = self._document(f"カスタマージャーニーマップ　{j.name}", self._font(14, True),
                               self.width)
        sub = self._document("　".join(subtitle), self._font(8.5), self.width)
        return [(title, title.size().height()), (sub, sub.size().height())]

    def _columns(self) -> list[float]:
        first = self.width * ROW_HEADER_SHARE
        stages = max(len(self.journey.stages), 1)
        return [first] + [(self.width - first) / stages] * len(self.journey.stages)

    def _grid(self, points: float):
        """Documents for the header row and every row, with their heights."""
        columns = self._columns()
        inner = [w - 2 * self.pad for w in columns]
        header = [self._document("", self._font(points, True), inner[0])] + [
            self._document(s.name, self._font(points, True), w)
            for s, w in zip(self.journey.stages, inner[1:])]
        rows = []
        for row in self.journey.rows:
            docs = [self._document(row.name, self._font(points, True), inner[0])] + [
                self._document(self.journey.cell(s.id, row.id), self._font(points), w)
                for s, w in zip(self.journey.stages, inner[1:])]
            rows.append(docs)

        def height(docs):
            return max(d.size().height() for d in docs) + 2 * self.pad

        return columns, (header, height(header)), [(docs, height(docs)) for docs in rows]

    def paint(self) -> int:
        """Paint every page; returns the number of pages."""
        painter = QPainter(self.device)
        try:
            return self._paint(painter)
        finally:
            painter.end()

    def _paint(self, painter: QPainter) -> int:
        titles = self._title_block()
        top = sum(h for _, h in titles) + self._mm(3)
        available = self.height - top
        for points in POINT_SIZES:
            columns, header, rows = self._grid(points)
            if header[1] + sum(h for _, h in rows) <= available or points == MIN_POINTS:
                break
        pages, page, used = [], [], header[1]
        for docs, h in rows:
            if page and used + h > available:
                pages.append(page)
                page, used = [], header[1]
            page.append((docs, h))
            used += h
        pages.append(page)
        if len(pages) == 1:
            # Spare height goes to the rows: a printed map leaves room for handwritten notes.
            spare = available - header[1] - sum(h for _, h in page)
            page = [(docs, h + spare / len(page)) for docs, h in page] if page else page
            pages = [page]
        for number, page_rows in enumerate(pages):
            if number:
                self.device.newPage()
            y = 0.0
            for doc, h in titles:
                self._draw_doc(painter, doc, QPointF(0, y))
                y += h
            y = top
            y = self._draw_row(painter, columns, header[0], y, header[1], HEADER_FILL, True)
            for docs, h in page_rows:
                y = self._draw_row(painter, columns, docs, y, h, ROW_FILL, False)
        return len(pages)

    def _draw_row(self, painter: QPainter, columns: list[float], docs, y: float, height: float,
                  first_fill: QColor, whole_row_filled: bool) -> float:
        x = 0.0
        pen = QPen(QColor("#555555"))
        pen.setWidthF(self._mm(0.2))
        for index, (doc, width) in enumerate(zip(docs, columns)):
            rect = QRectF(x, y, width, height)
            if whole_row_filled or index == 0:
                painter.fillRect(rect, first_fill)
            painter.setPen(pen)
            painter.drawRect(rect)
            painter.save()
            painter.setClipRect(rect)
            self._draw_doc(painter, doc, QPointF(x + self.pad, y + self.pad))
            painter.restore()
            x += width
        return y + height

    def _draw_doc(self, painter: QPainter, doc: QTextDocument, at: QPointF) -> None:
        painter.save()
        painter.translate(at)
        context = QAbstractTextDocumentLayout.PaintContext()
        context.palette.setColor(context.palette.ColorRole.Text, Qt.GlobalColor.black)
        doc.documentLayout().draw(painter, context)
        painter.restore()


def paint_journey(device: QPagedPaintDevice, journey: JourneyMap) -> int:
    """Paint the map onto a printer or PDF writer already set up; returns pages painted."""
    return _Sheet(device, journey).paint()


def write_pdf(journey: JourneyMap, path: Path | str) -> int:
    """Save the map as an A4 landscape PDF; returns the number of pages."""
    writer = QPdfWriter(str(path))
    writer.setResolution(300)
    writer.setPageLayout(a4_landscape())
    writer.setTitle(f"カスタマージャーニーマップ {journey.name}")
    writer.setCreator("Otokui")
    return paint_journey(writer, journey)
