"""The one table model: formatted cells, lazy chunks, sorting, editing, run-time columns."""
import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import QModelIndex, Qt

from gui.widgets.table_model import CHUNK, VALUE_ROLE, Column, TableModel, columns_of

COLUMNS = [Column("name", "氏名", "text", 6), Column("cluster", "クラスター", "cluster", 5),
           Column("total_amount", "累計購入額", "yen", 5), Column("share", "構成比", "percent", 4),
           Column("phone", "電話番号", "phone", 7), Column("dm_ok", "DM可", "yesno", 3)]
DISPLAY = Qt.ItemDataRole.DisplayRole


def texts(model: TableModel, role=DISPLAY) -> list[list]:
    return [[model.index(r, c).data(role) for c in range(model.columnCount())]
            for r in range(model.rowCount())]


@pytest.fixture
def mixed():
    """Money, percentages and every kind of missing value."""
    return pd.DataFrame({
        "name": ["石川 涼平", "佐藤 あすか", None, "山田 花子"],
        "cluster": ["top10", "top1", "once", pd.NA],
        "total_amount": [65960, 1234567, np.nan, 500],
        "share": [0.123, np.nan, 0.5, 1.0],
        "phone": ["07036529534", "080-1723-7439", None, "0312345678"],
        "dm_ok": [True, False, True, pd.NA],
    })


def test_an_empty_model_has_its_headers_and_no_rows(qtmodeltester):
    model = TableModel(COLUMNS)
    qtmodeltester.check(model)
    assert (model.rowCount(), model.columnCount()) == (0, 6)
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(6)] == [
        "氏名", "クラスター", "累計購入額", "構成比", "電話番号", "DM可"]
    assert model.headerData(6, Qt.Orientation.Horizontal) is None
    assert model.headerData(0, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole) is None


def test_cells_are_formatted_and_missing_values_are_blank(qtmodeltester, mixed):
    model = TableModel(COLUMNS)
    model.set_frame(mixed)
    qtmodeltester.check(model)
    assert texts(model) == [
        ["石川 涼平", "TOP10%", "¥65,960", "12.3%", "070-3652-9534", "○"],
        ["佐藤 あすか", "TOP1%", "¥1,234,567", "", "080-1723-7439", "×"],
        ["", "1回購入", "", "50.0%", "", "○"],
        ["山田 花子", "", "¥500", "100.0%", "03-1234-5678", ""]]
    right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
    left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
    assert texts(model, Qt.ItemDataRole.TextAlignmentRole)[0] == [
        left, left, right, right, left, Qt.AlignmentFlag.AlignCenter]
    # The raw value stays reachable, as a plain Python value; missing ones are None.
    assert [model.index(1, c).data(VALUE_ROLE) for c in range(6)] == [
        "佐藤 あすか", "top1", 1234567, None, "080-1723-7439", False]
    assert model.row(2) == {"name": None, "cluster": "once", "total_amount": None,
                            "share": 0.5, "phone": None, "dm_ok": True}
    assert model.value(0, "total_amount") == 65960


def test_a_column_may_show_a_missing_value_as_words(qtmodeltester):
    model = TableModel([Column("max_days", "まで", "days", 5, blank="上限なし")])
    model.set_frame(pd.DataFrame({"max_days": [60, None]}, dtype=object))
    qtmodeltester.check(model)
    assert texts(model) == [["60日"], ["上限なし"]]


def test_a_cut_text_has_a_tooltip_and_a_figure_never(mixed):
    model = TableModel([Column("name", "氏名", "text", 3), Column("total_amount", "額", "yen", 2)])
    model.set_frame(mixed)
    assert texts(model, Qt.ItemDataRole.ToolTipRole) == [
        ["石川 涼平", None], ["佐藤 あすか", None], [None, None], ["山田 花子", None]]


def test_rows_arrive_in_chunks_and_sorting_orders_the_whole_frame(qtmodeltester):
    count = 2 * CHUNK + 34
    frame = pd.DataFrame({"name": [f"客{i}" for i in range(count)],
                          "cluster": ["once", "top20", "top1", "twice_thrice"] * (count // 4)
                          + ["top10"] * (count % 4),
                          "total_amount": range(count)})
    model = TableModel(COLUMNS)
    model.set_frame(frame)
    assert (model.rowCount(), model.total_rows()) == (CHUNK, count)
    assert model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 2 * CHUNK
    qtmodeltester.check(model)

    model.sort(2, Qt.SortOrder.DescendingOrder)
    # The largest amount comes first though its row had not been fetched yet.
    assert model.index(0, 2).data() == f"¥{count - 1:,}"
    model.sort(1)
    model.show_all()
    assert model.rowCount() == count
    shown = [model.index(r, 1).data() for r in range(count)]
    order = ["TOP1%", "TOP10%", "TOP20%", "1回購入", "2〜3回購入"]
    assert shown == sorted(shown, key=order.index)  # by rank, not by the codes' spelling
    qtmodeltester.check(model)

    # A new frame keeps the order the user chose.
    model.set_frame(frame.iloc[:10])
    assert [model.index(r, 1).data() for r in range(3)] == ["TOP1%", "TOP1%", "TOP20%"]


def test_missing_values_sort_last_either_way(mixed):
    model = TableModel(COLUMNS)
    model.set_frame(mixed)
    model.sort(2, Qt.SortOrder.AscendingOrder)
    assert [model.index(r, 2).data() for r in range(4)] == [
        "¥500", "¥65,960", "¥1,234,567", ""]
    model.sort(2, Qt.SortOrder.DescendingOrder)
    assert [model.index(r, 2).data() for r in range(4)] == [
        "¥1,234,567", "¥65,960", "¥500", ""]


def test_given_labels_name_a_code_column_and_tones_colour_rows(qtmodeltester):
    model = TableModel([Column("source", "取込元", "source", 4)], tone_key="tone")
    model.set_labels("source", {"rakuten": "楽天", "user_1": "店頭POS"})
    model.set_frame(pd.DataFrame({"source": ["user_1", "rakuten", "yahoo"],
                                  "tone": ["error", None, "muted"]}))
    qtmodeltester.check(model)
    assert texts(model) == [["店頭POS"], ["楽天"], ["yahoo"]]
    colours = [model.index(r, 0).data(Qt.ItemDataRole.ForegroundRole) for r in range(3)]
    assert colours[0].color().name() == "#b3261e"
    assert colours[1] is None
    assert colours[2].color().name() == "#6b6b6b"
    model.sort(0)
    assert texts(model) == [["楽天"], ["店頭POS"], ["yahoo"]]  # in the labels' order


def test_rows_are_numbered_unless_a_column_names_them(qtmodeltester):
    numbered = TableModel(COLUMNS)
    numbered.set_frame(pd.DataFrame({"name": ["a", "b"]}))
    assert [numbered.headerData(r, Qt.Orientation.Vertical) for r in range(2)] == ["1", "2"]
    named = TableModel([Column("s1", "認知", "note", 0)], header_key="row")
    named.set_frame(pd.DataFrame({"row": ["行動", "感情"], "s1": ["検索\nSNS", ""]}))
    qtmodeltester.check(named)
    assert [named.headerData(r, Qt.Orientation.Vertical) for r in range(2)] == ["行動", "感情"]
    assert named.index(0, 0).data() == "検索\nSNS"
    assert named.index(0, 0).data(Qt.ItemDataRole.TextAlignmentRole) == (
        Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)


def test_cells_and_rows_change_in_place(qtbot, qtmodeltester):
    columns = [Column("action", "内容", "text", 0), Column("days", "日数", "days", 4)]
    model = TableModel(columns)
    model.set_frame(pd.DataFrame({"action": ["お礼状", "電話"], "days": [30, 60]}, dtype=object))
    with qtbot.waitSignal(model.dataChanged) as changed:
        model.set_value(1, "days", 90)
    assert changed.args[0].row() == 1 and changed.args[0].column() == 1
    with qtbot.waitSignal(model.rowsInserted):
        model.insert_row(1, {"action": "DM", "days": 45})
    assert texts(model) == [["お礼状", "30日"], ["DM", "45日"], ["電話", "90日"]]
    with qtbot.waitSignal(model.rowsRemoved):
        model.remove_row(0)
    assert model.records() == [{"action": "DM", "days": 45}, {"action": "電話", "days": 90}]
    assert model.index(0, 1).data(Qt.ItemDataRole.EditRole) == 45
    qtmodeltester.check(model)


def test_columns_known_only_at_run_time_come_from_the_frame(qtmodeltester):
    table = pd.DataFrame({"クラスター": ["TOP1%", "合計"], "回答数": [2, 12],
                          "平均": [5.0, 4.1666], "未回答": [None, None]})
    columns = columns_of(table)
    assert [(c.key, c.header, c.kind) for c in columns] == [
        ("クラスター", "クラスター", "text"), ("回答数", "回答数", "int"),
        ("平均", "平均", "ratio"), ("未回答", "未回答", "text")]
    model = TableModel([])
    model.set_frame(table, columns)
    qtmodeltester.check(model)
    assert texts(model) == [["TOP1%", "2", "5.00", ""], ["合計", "12", "4.17", ""]]
    model.set_frame(pd.DataFrame(), [])
    assert (model.rowCount(), model.columnCount()) == (0, 0)


def test_a_column_of_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="money"):
        Column("total", "合計", "money")
