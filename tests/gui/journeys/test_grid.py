"""The journey grid is the one table model with stages as columns, rows named in the
vertical header, and cells that show an edit at once and ask the tab to save it."""
import pytest
from PySide6.QtCore import Qt

from engine import Shop
from gui.journeys.grid import JourneyGridModel


@pytest.fixture
def shop():
    with Shop(":memory:") as shop:
        yield shop


def test_a_map_shows_its_stages_rows_and_cells(shop, qtmodeltester):
    map_id = shop.journeys.create("TOP1%のお客様", stages=["認知", "初回購入"],
                                  rows=["行動", "感情"]).created
    journey = shop.journeys.get(map_id)
    shop.journeys.set_cell(journey.stages[1].id, journey.rows[0].id, "定期便に\n申し込む")
    model = JourneyGridModel()
    model.set_map(shop.journeys.get(map_id))
    qtmodeltester.check(model)
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(2)] == [
        "認知", "初回購入"]
    assert [model.headerData(r, Qt.Orientation.Vertical) for r in range(2)] == ["行動", "感情"]
    assert [[model.index(r, c).data() for c in range(2)] for r in range(2)] == [
        ["", "定期便に\n申し込む"], ["", ""]]
    assert model.index(0, 1).data(Qt.ItemDataRole.TextAlignmentRole) == (
        Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
    assert model.index(0, 1).flags() & Qt.ItemFlag.ItemIsEditable
    model.set_map(None)
    qtmodeltester.check(model)
    assert (model.rowCount(), model.columnCount()) == (0, 0)


def test_an_edit_is_shown_in_place_and_handed_on_to_be_saved(shop, qtbot, qtmodeltester):
    map_id = shop.journeys.create("新規のお客様", stages=["認知"], rows=["行動", "感情"]).created
    model = JourneyGridModel()
    model.set_map(shop.journeys.get(map_id))
    index = model.index(1, 0)
    journey = shop.journeys.get(map_id)
    edits = []
    model.cell_edited.connect(lambda *args: edits.append(args))
    with qtbot.waitSignal(model.dataChanged):
        assert model.setData(index, "  不安  ")
    assert edits == [(journey.stages[0].id, journey.rows[1].id, "不安")]
    assert index.data() == index.data(Qt.ItemDataRole.EditRole) == "不安"
    assert model.journey.cell(journey.stages[0].id, journey.rows[1].id) == "不安"
    qtmodeltester.check(model)
