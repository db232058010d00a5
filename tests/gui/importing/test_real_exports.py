"""The 取込 tab with real export layouts: where to download each file, a two-file
download dropped together, refused reports, a file that fits two formats, and
saved mappings shared as files."""
import json

import pytest

from gui.context import AppContext
from gui.importing import saved_mappings
from gui.main_window import MainWindow
from tests.gui.importing.test_tab import cell, drop, stored, tab_of, wait_idle
from tests.support.engine_side import engine_shop, on_engine
from tests.support.layouts import LAYOUTS
from tests.support.sample_shop import settle

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")

ORDERS = LAYOUTS / "yahoo" / "yahoo_order.csv"
ITEMS = LAYOUTS / "yahoo" / "yahoo_item.csv"


def test_the_tab_says_where_each_channel_offers_its_file(qtbot, window):
    tab = tab_of(window)
    settle(qtbot)
    channels = [tab.guide.channel.itemText(i) for i in range(tab.guide.channel.count())]
    assert len(channels) == 16
    assert {"楽天市場（楽天ペイ受注）", "Amazon（注文レポート）", "Shopify（注文エクスポート）",
            "BASE（注文データ）", "カラーミーショップ（売上データ）", "EC-CUBE 4（受注CSV）",
            "Yahoo!ショッピング（注文データ：注文＋商品）"} <= set(channels)
    tab.guide.choose("Amazon（注文レポート）")
    assert "［注文］→［注文レポート］→［新しい注文］タブ" in tab.guide.steps.text()
    tab.guide.choose("EC-CUBE 4（受注CSV）")
    assert tab.guide.steps.text().startswith("EC-CUBE 管理画面の［受注管理］")


def test_a_two_file_download_dropped_together_is_one_import(qtbot, window):
    tab = tab_of(window)
    drop(window, [ITEMS, ORDERS])
    wait_idle(qtbot, tab)
    assert tab.results.rowCount() == 1
    assert [cell(tab.results, 0, c) for c in range(6)] == [
        "yahoo_order.csv＋yahoo_item.csv", "Yahoo!ショッピング（注文データ：注文＋商品）",
        "5", "0", "0", "4"]
    assert tab.history.rowCount() == 1


def test_a_lone_line_file_names_the_file_to_add(qtbot, window):
    tab = tab_of(window)
    before = stored(window)
    drop(window, [ITEMS])
    wait_idle(qtbot, tab)
    assert cell(tab.results, 0, 0) == "yahoo_item.csv"
    assert "「注文」のファイル（" in cell(tab.results, 0, 6)
    assert stored(window) == before
    drop(window, [ORDERS])
    wait_idle(qtbot, tab)
    assert cell(tab.results, 1, 0) == "yahoo_order.csv＋yahoo_item.csv"
    assert cell(tab.results, 1, 2) == "5"


def test_a_refused_amazon_report_says_which_report_to_download(qtbot, window):
    tab = tab_of(window)
    before = stored(window)
    drop(window, [LAYOUTS / "amazon_unshipped" / "amazon_unshipped_orders.txt"])
    wait_idle(qtbot, tab)
    assert tab.mapping_dialog is None
    message = cell(tab.results, 0, 6)
    assert "「未出荷の注文」レポート" in message and "「注文レポート」をダウンロード" in message
    assert stored(window) == before


FIELDS = {"order_no": ["伝票"], "ordered_at": ["日付"], "name": ["氏名"], "unit_price": ["単価"],
          "quantity": ["数"]}


def test_a_file_fitting_two_saved_formats_asks_which_one(qtbot, window, tmp_path):
    shop = window.ctx.shop
    on_engine(lambda: shop.formats.save_user_preset("店舗A", ["伝票", "日付", "氏名", "単価", "数"], FIELDS))
    on_engine(lambda: shop.formats.save_user_preset("店舗B", ["伝票", "日付", "氏名", "単価", "数"], FIELDS))
    path = tmp_path / "orders.csv"
    path.write_text("伝票,日付,氏名,単価,数\nT1,2025/7/1,青木 陽,500,2\n", encoding="utf-8")
    tab = tab_of(window)
    drop(window, [path])
    qtbot.waitUntil(lambda: tab.choice_dialog is not None, timeout=20000)
    dialog = tab.choice_dialog
    assert [b.text() for b in dialog.choices.buttons()] == ["店舗A", "店舗B"]
    dialog.choose("user_2")
    dialog.accept()
    wait_idle(qtbot, tab)
    assert [cell(tab.results, 0, c) for c in range(3)] == ["orders.csv", "店舗B", "1"]
    assert on_engine(lambda: shop.db.scalar("SELECT source FROM orders")) == "user_2"


def test_a_saved_mapping_is_exported_and_imported_as_a_file(qtbot, window, tmp_path, monkeypatch):
    shop = window.ctx.shop
    on_engine(lambda: shop.formats.save_user_preset("店頭POS", ["伝票", "日付", "氏名", "単価", "数"],
                                                    FIELDS))
    tab = tab_of(window)
    panel = tab.saved_mappings
    panel.refresh()
    settle(qtbot)
    assert panel.mappings.currentText() == "店頭POS" and panel.export_button.isEnabled()
    target = tmp_path / "店頭POS.json"
    monkeypatch.setattr(saved_mappings.QFileDialog, "getSaveFileName",
                        lambda *args: (str(target), ""))
    panel.export_button.click()
    settle(qtbot)
    assert json.loads(target.read_text(encoding="utf-8"))["fields"] == FIELDS
    assert "書き出しました" in panel.status.text()

    other = MainWindow(AppContext(engine_shop()))
    qtbot.addWidget(other)
    other_panel = tab_of(other).saved_mappings
    settle(qtbot)
    assert other_panel.mappings.currentText() == "（まだありません）"
    assert not other_panel.export_button.isEnabled()
    monkeypatch.setattr(saved_mappings.QFileDialog, "getOpenFileName",
                        lambda *args: (str(target), ""))
    other_panel.import_button.click()
    settle(qtbot)
    assert other_panel.mappings.currentText() == "店頭POS"
    assert "読み込みました" in other_panel.status.text()
    assert [p.label for p in on_engine(other.ctx.shop.formats.presets) if p.user] == ["店頭POS"]


def test_the_mapping_dialog_asks_for_what_an_import_needs():
    from gui.importing.mapping_dialog import missing_fields
    assert missing_fields({"order_no": ["a"]}) == [
        "注文日時", "数量", "単価（税込）または小計（単価×数量）（明細のない形式では注文の商品合計）",
        "購入者（会員ID・氏名・電話番号・メールアドレスのどれか）"]
    assert missing_fields({"order_no": ["a"], "ordered_at": ["b"], "order_amount": ["c"],
                           "phone": ["d"]}) == []
