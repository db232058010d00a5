"""A product list (商品コード and 消費サイクル) dropped on the 取込 tab registers usage
cycles instead of being taken for an order export; alone, with orders, broken, undone."""

import pytest
from PySide6.QtCore import Qt

from gui.importing import tab as import_tab
from tests.engine.marketing.test_products import sample_cycles
from tests.gui.importing.test_tab import cell, counts, drop, stored, tab_of, wait_idle
from tests.support.engine_side import on_engine
from tests.support.sample_shop import settle
from tests.support.snapshot import SAMPLES

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")

PRODUCTS = SAMPLES / "products.csv"




def stored_cycles(window) -> dict:
    shop = window.ctx.shop
    return dict(on_engine(lambda: shop.db.conn.execute(
        "SELECT code, cycle_days FROM products").fetchall()))


def scalar(window, sql):
    shop = window.ctx.shop
    return on_engine(lambda: shop.db.scalar(sql))


def line(tab, row):
    return [cell(tab.results, row, c) for c in range(7)]


def test_a_dropped_product_list_registers_usage_cycles_and_imports_no_orders(qtbot, window):
    tab = tab_of(window)
    drop(window, [PRODUCTS])
    assert window.tabs.currentWidget() is tab
    wait_idle(qtbot, tab)
    assert tab.mapping_dialog is None
    expected = sample_cycles()
    assert line(tab, 0) == ["products.csv", "商品リスト（消費サイクル）", "", "", "", "",
                            "商品リストを取り込みました：消費サイクル 32商品（新規 32）"]
    assert stored_cycles(window) == expected
    assert sum(days is not None for days in expected.values()) == 32
    assert scalar(window, "SELECT count(*) FROM orders") == 0
    assert scalar(window, "SELECT count(*) FROM customers") == 0
    assert tab.history.rowCount() == 0
    assert counts(window) == "顧客 0人　注文 0件"

    drop(window, [PRODUCTS])
    wait_idle(qtbot, tab)
    assert cell(tab.results, 1, 6) == "商品リストを取り込みました：消費サイクル 32商品（変更なし）"


def test_orders_and_a_product_list_dropped_together_are_both_imported(qtbot, window, tmp_path):
    listed = tmp_path / "商品一覧.csv"
    listed.write_text("品番,商品名,使用日数\nSKU-0001,美容液 1,45\nSKU-0002,,60\n",
                      encoding="cp932")
    tab = tab_of(window)
    drop(window, [listed, SAMPLES / "rakuten" / "rakuten_202507.csv"])
    wait_idle(qtbot, tab)
    assert tab.results.rowCount() == 2
    assert line(tab, 0)[:3] == ["rakuten_202507.csv", "楽天市場（楽天ペイ受注）", "10"]
    assert line(tab, 1) == ["商品一覧.csv", "商品リスト（消費サイクル）", "", "", "", "",
                            "商品リストを取り込みました：消費サイクル 2商品（新規 2）"]
    qtbot.waitUntil(lambda: counts(window) == "顧客 10人　注文 10件")
    cycles = stored_cycles(window)
    assert (cycles["SKU-0001"], cycles["SKU-0002"]) == (45, 60)
    assert [c for c, days in cycles.items() if days is not None] == ["SKU-0001", "SKU-0002"]
    assert tab.history.rowCount() == 1


def test_a_bad_row_names_the_row_and_column_and_changes_nothing(qtbot, window, tmp_path):
    bad = tmp_path / "商品リスト.xlsx"
    from openpyxl import Workbook
    book = Workbook()
    for row in [["商品コード", "商品名", "消費サイクル(日)"], ["A", "美容液", 30],
                ["B", "化粧水", "ひと月"]]:
        book.active.append(row)
    book.save(bad)
    before = stored(window)
    tab = tab_of(window)
    drop(window, [bad])
    wait_idle(qtbot, tab)
    assert cell(tab.results, 0, 0) == "商品リスト.xlsx"
    assert cell(tab.results, 0, 6) == ("3行目「消費サイクル(日)」列: 消費サイクル「ひと月」は"
                                       "日数（1〜3650の整数）で入力してください（なしは空欄）。")
    assert tab.results.index(0, 6).data(Qt.ItemDataRole.ForegroundRole) is not None
    assert stored(window) == before
    assert stored_cycles(window) == {}


def test_a_product_list_import_can_be_undone_from_its_result_line(qtbot, window, monkeypatch):
    tab = tab_of(window)
    assert not tab.undo_list_button.isVisibleTo(tab)
    drop(window, [SAMPLES / "rakuten" / "rakuten_202507.csv", PRODUCTS])
    wait_idle(qtbot, tab)
    assert tab.undo_list_button.isVisibleTo(tab)
    tab.results_view.selectRow(0)
    assert not tab.undo_list_button.isEnabled()      # an order file: undone from the history
    tab.results_view.selectRow(1)
    assert tab.undo_list_button.isEnabled()
    questions = []
    monkeypatch.setattr(import_tab, "confirm",
                        lambda parent, text, action: questions.append(text) or True)
    with qtbot.waitSignal(window.ctx.data_changed, timeout=20000):
        tab.undo_list_button.click()
    settle(qtbot)
    assert "商品リスト「products.csv」の取込を取り消しますか？" in questions[0]
    # As after the order import alone: the products its lines name, none with a cycle.
    sold = scalar(window, "SELECT count(DISTINCT product_code) FROM order_lines")
    assert set(stored_cycles(window).values()) == {None}
    assert len(stored_cycles(window)) == sold > 0
    assert cell(tab.results, 1, 6).endswith("（取り消しました）")
    tab.results_view.selectRow(1)
    assert not tab.undo_list_button.isEnabled()
    assert scalar(window, "SELECT count(*) FROM orders") == 10
