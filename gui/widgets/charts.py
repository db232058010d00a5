"""matplotlib charts inside Qt (QtAgg backend) drawn with the bundled Japanese font.

PySide6-Essentials has no QtCharts (SPEC §5), and the bundled font makes the charts
look the same on every machine, whatever fonts Windows has.
"""
from __future__ import annotations

from matplotlib import font_manager, rcParams
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter
from PySide6.QtWidgets import QSizePolicy

from engine.resources import font_path

# Colours that stay apart for the common kinds of colour blindness (Okabe & Ito).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"]

_family: str | None = None


def chart_font_family() -> str:
    """Register IPAex Gothic with matplotlib once and make it the default font."""
    global _family
    if _family is None:
        path = str(font_path())
        font_manager.fontManager.addfont(path)
        _family = font_manager.FontProperties(fname=path).get_name()
        rcParams["font.family"] = [_family]
        rcParams["axes.unicode_minus"] = False  # the font's minus sign, not U+2212
    return _family


def yen_axis(value: float, _position=None) -> str:
    """Axis ticks in yen; large amounts in 万円 as Japanese shops read them."""
    if abs(value) >= 10000:
        return f"{value / 10000:,.0f}万円"
    return f"{value:,.0f}円"


YEN = FuncFormatter(yen_axis)


class Chart(FigureCanvasQTAgg):
    """One figure on a Qt widget; ``draw_with(callable)`` redraws it from scratch."""

    def __init__(self, title: str, height: float = 3.2, parent=None):
        chart_font_family()
        self.title = title
        figure = Figure(figsize=(6, height), layout="constrained")
        super().__init__(figure)
        self.setParent(parent)
        self.setMinimumHeight(int(height * 80))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def draw_with(self, paint) -> None:
        """``paint(figure)`` draws the chart; the title is added here."""
        self.figure.clear()
        paint(self.figure)
        self.figure.suptitle(self.title, fontsize=11)
        self.draw_idle()

    def show_message(self, text: str) -> None:
        """A chart that has nothing to show says why, instead of empty axes."""
        def paint(figure):
            figure.text(0.5, 0.5, text, ha="center", va="center", fontsize=10, color="#555555",
                        wrap=True)
        self.draw_with(paint)
