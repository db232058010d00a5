"""Table views widen a money or count column when its largest figure would not fit."""
import pandas as pd
import pytest

from gui.widgets.table_model import Column, TableModel
from gui.widgets.table_view import table_view

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")
COLUMNS = [Column("name", "氏名", "text", 6), Column("total_amount", "累計購入額", "yen", 5),
           Column("recency_days", "経過日数", "days", 4)]


def test_a_big_figure_widens_its_column_and_a_small_one_keeps_the_set_width(qtbot):
    model = TableModel(COLUMNS)
    view = table_view(model)
    qtbot.addWidget(view)
    metrics = view.fontMetrics()
    configured = [view.columnWidth(i) for i in range(3)]
    assert configured[1] == 5 * metrics.horizontalAdvance("あ") + 12

    model.set_frame(pd.DataFrame({"name": ["上位 客"], "total_amount": [123_456_789],
                                  "recency_days": [12]}))
    assert view.columnWidth(1) >= metrics.horizontalAdvance("¥123,456,789") + 16
    assert view.columnWidth(1) > configured[1]
    assert [view.columnWidth(0), view.columnWidth(2)] == [configured[0], configured[2]]

    # Smaller figures later: the column keeps its width rather than jumping back.
    widened = view.columnWidth(1)
    model.set_frame(pd.DataFrame({"name": ["客"], "total_amount": [500], "recency_days": [3]}))
    assert view.columnWidth(1) == widened


def test_the_widest_text_may_be_the_most_negative_figure():
    model = TableModel(COLUMNS)
    model.set_frame(pd.DataFrame({"name": ["a", "b"], "total_amount": [5, -1_234_567],
                                  "recency_days": [None, 7]}))
    assert model.widest_numbers() == {1: "¥-1,234,567", 2: "7日"}
