import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QPlainTextEdit

from engine import Shop
from engine.research.journeys import ROW, STAGE
from gui.context import AppContext
from gui.journeys.sheet import write_pdf
from gui.journeys.tab import JourneyTab
from tests.support.engine_side import engine_shop, hold_engine, on_engine, ui_seconds
from tests.support.sample_shop import settle, show_active

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")
# An import keeping the engine thread busy; the tab must not wait for it.
HOLD = 1.5


@pytest.fixture
def shop(tmp_path):
    shop = engine_shop(tmp_path / "shop.db")
    yield shop
    on_engine(shop.close)


def open_tab(qtbot, shop):
    return show_active(qtbot, JourneyTab(AppContext(shop)), 1200, 700)


def test_empty_shop_shows_a_hint(qtbot, shop, qtmodeltester):
    tab = open_tab(qtbot, shop)
    assert "新しいマップ" in tab.persona.text()
    qtmodeltester.check(tab.model)


def test_edited_cell_is_saved_and_shown_again_after_reopening(qtbot, shop, qtmodeltester):
    map_id = on_engine(lambda: shop.journeys.create("TOP1%のお客様", cluster="top1",
                                                    persona="50代女性").created)
    tab = open_tab(qtbot, shop)
    qtmodeltester.check(tab.model)
    assert tab.model.headerData(2, Qt.Orientation.Horizontal) == "初回購入"
    assert tab.model.headerData(2, Qt.Orientation.Vertical) == "感情"
    index = tab.model.index(2, 2)  # 感情 × 初回購入
    tab.view.setCurrentIndex(index)
    tab.view.edit(index)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QPlainTextEdit)
    qtbot.keyClicks(editor, "Wow")
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # a new line, not the end of editing
    qtbot.keyClicks(editor, "ok")
    qtbot.keyClick(editor, Qt.Key.Key_Tab)     # saves and moves on
    journey = on_engine(lambda: shop.journeys.get(map_id))
    assert journey.cell(journey.stages[2].id, journey.rows[2].id) == "Wow\nok"
    tab.close()

    reopened = open_tab(qtbot, shop)
    assert reopened.map_box.currentText() == "TOP1%のお客様（TOP1%）"
    assert reopened.model.index(2, 2).data() == "Wow\nok"
    assert "50代女性" in reopened.persona.text()


def test_lane_changes_show_in_the_grid(qtbot, shop, monkeypatch):
    map_id = on_engine(lambda: shop.journeys.create("m", stages=["A", "B"], rows=["x"]).created)
    tab = open_tab(qtbot, shop)
    tab.view.setCurrentIndex(tab.model.index(0, 0))
    monkeypatch.setattr("gui.journeys.tab.QInputDialog.getText",
                        lambda *args, **kwargs: ("検討", True))
    tab.add_lane(STAGE)
    settle(qtbot)
    assert [tab.model.headerData(c, Qt.Orientation.Horizontal)
            for c in range(tab.model.columnCount())] == ["A", "検討", "B"]
    tab.move_lane(STAGE, 1)
    assert [s.name for s in on_engine(lambda: shop.journeys.get(map_id)).stages] == [
        "A", "B", "検討"]
    settle(qtbot)
    tab.add_lane(ROW)
    settle(qtbot)
    assert tab.model.rowCount() == 2
    assert tab.model.headerData(1, Qt.Orientation.Vertical) == "検討"



def test_the_tab_answers_at_once_while_an_import_keeps_the_engine_busy(qtbot, shop):
    first = on_engine(lambda: shop.journeys.create("初めてのお客様").created)
    second = on_engine(lambda: shop.journeys.create("TOP1%のお客様", cluster="top1").created)
    tab = open_tab(qtbot, shop)
    assert tab.journey.id == first

    # Choosing another map: handled at once, the map shows after the job.
    hold_engine(tab.ctx, tab, HOLD)
    tab.map_box.setFocus()
    spent = ui_seconds(lambda: qtbot.keyClick(tab.map_box, Qt.Key.Key_Down))
    assert spent < HOLD / 10
    assert tab.journey.id == first
    qtbot.waitUntil(lambda: tab.journey.id == second, timeout=int(HOLD * 1000) + 5000)
    assert tab.persona.text() == "対象: TOP1%"

    # Writing in a cell: the text shows at once and is stored once the job is done.
    index = tab.model.index(1, 0)
    tab.view.setCurrentIndex(index)
    tab.view.edit(index)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QPlainTextEdit)
    typed = QInputMethodEvent()  # Japanese arrives as the input method's commit
    typed.setCommitString("店頭で試した")
    QApplication.sendEvent(editor, typed)
    hold_engine(tab.ctx, tab, HOLD)
    spent = ui_seconds(lambda: qtbot.keyClick(editor, Qt.Key.Key_Tab))
    assert spent < HOLD / 10
    assert index.data() == "店頭で試した"
    journey = on_engine(lambda: shop.journeys.get(second))
    assert journey.cell(journey.stages[0].id, journey.rows[1].id) == "店頭で試した"


def test_pdf_has_one_page_and_splits_a_very_long_map(tmp_path, qapp):
    # Painting needs no window, so the shop is used right here.
    with Shop(tmp_path / "shop.db") as shop:
        map_id = shop.journeys.create("TOP1%のお客様", cluster="top1").created
        journey = shop.journeys.get(map_id)
        shop.journeys.set_cell(journey.stages[0].id, journey.rows[0].id, "Instagram、雑誌の記事")
        pdf = tmp_path / "map.pdf"
        assert write_pdf(shop.journeys.get(map_id), pdf) == 1
        assert pdf.read_bytes().startswith(b"%PDF")
        long_text = "とても長いメモです。" * 120
        for row in journey.rows:
            for stage in journey.stages:
                shop.journeys.set_cell(stage.id, row.id, long_text)
        assert write_pdf(shop.journeys.get(map_id), tmp_path / "long.pdf") > 1
