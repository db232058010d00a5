"""How Otokui shows a value: the one formatting policy of every table (and of the
figures shown beside them), by the kind of the value.

=============  ==========================  ===========================================
kind           shows                       value
=============  ==========================  ===========================================
text           as it is                    any
note           as it is, top-aligned       multi-line text (a journey map's cell)
int            12,345                      a count
yen            ¥12,345                     money in whole yen
days           12日                        a number of days
percent        12.3%                       a fraction (0.123)
ratio          1.23                        an average or a ratio
share          3（60%）                     a :class:`Share`, or a bare count
bytes          4 KB, 1.5 MB                a file size
date           2025-10-03                  text, date or timestamp
datetime       2025-10-03 14:05            text, datetime or timestamp
phone          090-1234-5678               digits or as written (engine rule)
yesno          ○ / ×                       a flag
cluster …      TOP1%, メール …              a code, shown by its Japanese label
=============  ==========================  ===========================================

Missing values (None, NaN, pd.NA, NaT) show as "". ``RUNNING`` (a figure of a month
not over yet, which would read as a collapse) shows as 「集計中」. Numbers are right-aligned,
flags centred, everything else left-aligned. Code kinds sort in the order of their
labels (TOP1% before TOP10% …), not alphabetically by code.
"""
from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping
from typing import Callable, NamedTuple

import numpy as np
import pandas as pd
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from engine.analysis.rfm import CLUSTER_LABELS
from engine.customers.touches import MEDIUM_LABELS
from engine.imports.normalize import display_phone
from engine.marketing.followup_rules import TARGET_LABELS
from engine.research.survey_model import KIND_LABELS
from gui.widgets.labels import ORDER_STATUS_LABELS, TASK_STATUS_LABELS, TOUCH_SOURCE_LABELS

RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
TOP_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
CENTER = Qt.AlignmentFlag.AlignCenter

# Each code kind's labels, in the order the codes sort. An order's source is named
# by the shop's import presets (FormatRegistry.source_labels), so a table showing
# sources is given them; until then a source shows as its code.
CODE_LABELS: dict[str, Mapping[str, str]] = {
    "cluster": CLUSTER_LABELS,
    "target": TARGET_LABELS,
    "medium": MEDIUM_LABELS,
    "order_status": ORDER_STATUS_LABELS,
    "task_status": TASK_STATUS_LABELS,
    "touch_source": TOUCH_SOURCE_LABELS,
    "question_kind": KIND_LABELS,
    "source": {},
}
# Row tones (a failed import's line in red, an undone import greyed out).
TONES = {"error": QColor("#b3261e"), "muted": QColor("#6b6b6b")}


class Share(NamedTuple):
    """A count together with the total it is a share of (a choice answer's count
    among a cluster's answers)."""
    count: int
    total: int


class _Running:
    def __repr__(self) -> str:
        return "RUNNING"


RUNNING = _Running()
RUNNING_TEXT = "集計中"


def is_missing(value) -> bool:
    return value is None or value is pd.NA or value is pd.NaT \
        or (isinstance(value, (float, np.floating)) and math.isnan(value))


def _whole(value) -> int:
    return int(value) if isinstance(value, (int, np.integer)) else round(float(value))


def _share(value) -> str:
    if not isinstance(value, Share):
        return f"{_whole(value):,}"
    if not value.total:
        return f"{value.count:,}"
    return f"{value.count:,}（{value.count * 100 / value.total:.0f}%）"


def _bytes(value) -> str:
    size = int(value)
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):,.1f} MB"
    return f"{max(1, round(size / 1024)):,} KB"


FORMATS: dict[str, Callable[[object], str]] = {
    "text": str,
    "note": str,
    "int": lambda v: f"{_whole(v):,}",
    "yen": lambda v: f"¥{_whole(v):,}",
    "days": lambda v: f"{_whole(v):,}日",
    "percent": lambda v: f"{float(v) * 100:.1f}%",
    "ratio": lambda v: f"{float(v):.2f}",
    "share": _share,
    "bytes": _bytes,
    "date": lambda v: str(v)[:10],
    "datetime": lambda v: str(v)[:16],
    "phone": lambda v: display_phone(str(v)),
    "yesno": lambda v: "○" if v else "×",
}
NUMERIC_KINDS = frozenset({"int", "yen", "days", "percent", "ratio", "share", "bytes"})
KINDS = frozenset(FORMATS) | frozenset(CODE_LABELS)


def text(kind: str, value, labels: Mapping[str, str] | None = None) -> str:
    """``value`` as a cell of ``kind`` shows it; ``labels`` names the codes of a code
    kind instead of the policy's own (an order's source: the shop's presets)."""
    if is_missing(value):
        return ""
    if value is RUNNING:
        return RUNNING_TEXT
    if kind in CODE_LABELS:
        names = CODE_LABELS[kind] if labels is None else labels
        return names.get(value, str(value))
    return FORMATS[kind](value)


def alignment(kind: str) -> Qt.AlignmentFlag:
    if kind in NUMERIC_KINDS:
        return RIGHT
    if kind == "yesno":
        return CENTER
    return TOP_LEFT if kind == "note" else LEFT


def _full_widths(shown: str) -> float:
    # Column widths count full-width characters (あ); in the bundled IPAexGothic a
    # digit or a Latin letter takes about 0.6 of one.
    return sum(1 if unicodedata.east_asian_width(c) in "WF" else 0.6 for c in shown)


def tooltip(kind: str, shown: str, width: int) -> str | None:
    """The whole text of a cell its column may cut: text wider than the column's
    ``width`` (in full-width characters), or any text of a column that stretches
    (width 0). Figures are never cut, and a note's row grows to show all of it."""
    if not shown or kind in NUMERIC_KINDS or kind in ("note", "yesno"):
        return None
    return shown if width == 0 or _full_widths(shown) > width else None


def sort_key(kind: str, labels: Mapping[str, str] | None = None):
    """For ``DataFrame.sort_values(key=…)``: code kinds sort by the position of their
    label; other kinds by their values (None)."""
    if kind not in CODE_LABELS:
        return None
    rank = {code: position for position, code in
            enumerate(CODE_LABELS[kind] if labels is None else labels)}
    return lambda codes: codes.map(rank)
