"""What a printed page is made of: text runs, filled boxes and lines, in mm.

The engine lays pages out with these primitives; ``gui/widgets/print_render.py`` paints them
with Qt onto a PDF or a printer. Coordinates are mm from the page's top-left corner,
y growing downwards, so a test can check every position without drawing anything.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from engine.printing import text_metrics


@dataclass(frozen=True)
class Text:
    """``text`` drawn with its baseline starting at (x, baseline), ``size_pt`` points.

    ``width`` is the width the layout measured; a renderer whose font measures wider
    squeezes the run to this width so nothing spills out of its box.
    """
    x: float
    baseline: float
    size_pt: float
    text: str
    width: float
    bold: bool = False

    def bounds(self) -> tuple[float, float, float, float]:
        """(left, top, right, bottom) of the run's ink box."""
        return (self.x, self.baseline - text_metrics.ascent_mm(self.size_pt),
                self.x + self.width, self.baseline + text_metrics.descent_mm(self.size_pt))


@dataclass(frozen=True)
class Box:
    """A filled black rectangle (a barcode bar) or, with ``fill=False``, an outline."""
    x: float
    y: float
    width: float
    height: float
    fill: bool = True
    line_width: float = 0.2

    def bounds(self) -> tuple[float, float, float, float]:
        return (self.x, self.y, self.x + self.width, self.y + self.height)


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    line_width: float = 0.2

    def bounds(self) -> tuple[float, float, float, float]:
        return (min(self.x1, self.x2), min(self.y1, self.y2),
                max(self.x1, self.x2), max(self.y1, self.y2))


Primitive = Text | Box | Line


@dataclass
class Page:
    width: float
    height: float
    items: list[Primitive] = field(default_factory=list)

    def texts(self) -> list[str]:
        return [item.text for item in self.items if isinstance(item, Text)]


def text_at(x: float, top: float, size_pt: float, text: str, bold: bool = False) -> Text:
    """A run whose ink box starts at ``top`` (rather than at its baseline)."""
    return Text(x, top + text_metrics.ascent_mm(size_pt), size_pt, text,
                text_metrics.text_width_mm(text, size_pt), bold)
