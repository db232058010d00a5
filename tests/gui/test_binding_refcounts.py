"""The Qt binding must keep Python's reference counts right: a PySide6 release that
drops a reference to None on every void call (6.12.0 on Python 3.11) kills the
program with "deallocating None" a few hundred thousand calls later — printing
3,300 labels did it. On Python 3.12+ None is immortal and the count never moves."""
import sys

from PySide6.QtCore import QObject, QPointF, QRectF
from PySide6.QtGui import QColor, QImage, QPainter

CALLS = 1000
# Other code may take or drop a few references meanwhile; a leaking binding
# drops one per call.
SLACK = CALLS // 4


def _lost_references(call) -> int:
    before = sys.getrefcount(None)
    for _ in range(CALLS):
        call()
    return before - sys.getrefcount(None)


def test_void_calls_keep_none_alive(qtbot):
    rect, named = QRectF(1, 1, 5, 5), QObject()
    image = QImage(20, 20, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    black = QColor("black")
    try:
        for call in (lambda: rect.setWidth(3.0), lambda: named.setObjectName("x"),
                     lambda: painter.fillRect(rect, black),
                     lambda: painter.drawLine(QPointF(0, 0), QPointF(5, 5))):
            assert _lost_references(call) < SLACK
    finally:
        painter.end()
