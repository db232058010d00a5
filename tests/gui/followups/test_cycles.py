"""購入サイクル page: the shop's cycles beside the learned ones, adopted in one click."""
from datetime import date

import pandas as pd
import pytest
from PySide6.QtCore import Qt

from gui.context import AppContext
from gui.followups.cycles import CyclesPage
from tests.engine.analysis.test_repurchase import ORDERS
from tests.support.analysis_shop import build
from tests.support.engine_side import on_engine
from tests.support.sample_shop import settle

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


@pytest.fixture
def page(qtbot):
    def make():
        shop = build(ORDERS)
        shop.products.set_cycle("A", 45)
        return shop
    ctx = AppContext(on_engine(make))
    ctx.set_as_of(date(2025, 12, 31))
    page = CyclesPage(ctx)
    qtbot.addWidget(page)
    page.resize(1100, 700)
    page.show()
    page.refresh()
    settle(qtbot)
    return page


def cycles_of(page) -> dict:
    table = on_engine(lambda: page.ctx.shop.products.table())
    return {r.code: (None if pd.isna(r.cycle_days) else int(r.cycle_days))
            for r in table.itertuples()}


def test_suggestions_sit_beside_the_shops_cycles(page, qtmodeltester):
    qtmodeltester.check(page.model)
    assert page.model.frame["product_code"].tolist() == ["A", "B", "C"]
    headers = [page.model.headerData(i, Qt.Orientation.Horizontal) for i in range(page.model.columnCount())]
    assert headers[2:4] == ["消費サイクル", "提案サイクル"]
    assert [page.model.index(0, c).data() for c in (2, 3, 4)] == ["45日", "30日", "5"]
    assert page.model.index(1, 3).data() == "データ不足"     # B: two repurchases
    assert page.model.index(1, 2).data() == "なし"
    assert page.count.text() == "3商品のうち 1商品に提案があります"


def test_adopt_button_sets_the_suggested_cycle_and_can_be_undone(qtbot, page):
    assert page.adopt_button.text() == "提案を採用"
    page.adopt_button.click()
    settle(qtbot)
    assert cycles_of(page) == {"A": 30}
    assert page.status.text() == "1商品の消費サイクルを提案どおりにしました"
    page.refresh()
    settle(qtbot)
    assert page.model.index(0, 2).data() == "30日"
    last = on_engine(lambda: page.ctx.shop.db.scalar("SELECT max(id) FROM operations"))
    on_engine(lambda: page.ctx.shop.journal.undo(last))
    assert cycles_of(page) == {"A": 45}


def test_selected_products_only_and_their_pairs(qtbot, page):
    page.view.selectRow(1)                                    # B: no suggestion
    assert page.adopt_button.text() == "選んだ商品の提案を採用"
    page.adopt_button.click()
    settle(qtbot)
    assert cycles_of(page) == {"A": 45}
    assert page.status.text().startswith("変更はありませんでした")
    page.view.selectRow(0)
    assert "「商品A」を買ったお客様" in page.pair_title.text()
    # Only A → B reaches the three customers a pair needs.
    assert page.next_model.frame[["other_code", "other_name", "customers"]].values.tolist() \
        == [["B", "商品B", 3]]
    assert page.next_model.index(0, 3).data() == "50.0%"
    assert page.together_model.frame.empty
