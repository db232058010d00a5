"""顧客 tab on the sample shop: search, list filters, the detail pane and its edits."""
import math

import pandas as pd
import pytest
from PySide6.QtCore import Qt

from gui.context import AppContext
from gui.customers import detail as customer_detail
from gui.customers.tab import CustomersTab
from tests.support.engine_side import on_engine
from tests.support.sample_shop import sample_shop, settle
from tests.support.snapshot import SAMPLES

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")
TRUTH = pd.read_csv(SAMPLES / "truth.csv", dtype={"phone": str})


@pytest.fixture
def tab(qtbot):
    return shown_tab(qtbot)


def shown_tab(qtbot, width=1280, height=800):
    ctx = AppContext(sample_shop())
    tab = CustomersTab(ctx)
    qtbot.addWidget(tab)
    tab.resize(width, height)
    tab.show()
    settle(qtbot)
    return tab


def search(qtbot, tab, text):
    tab.search.clear()
    if text.isascii():
        qtbot.keyClicks(tab.search, text)
    else:  # QTest can only type ASCII keys; an input method delivers Japanese as whole text
        tab.search.setText(text)
    qtbot.waitUntil(lambda: not tab.search_pending(), timeout=2000)
    settle(qtbot)
    tab.model.show_all()
    return tab.model.frame


def truth(name):
    return TRUTH[TRUTH["name"] == name].iloc[0]


def stored_customer(tab, customer_id):
    shop = tab.ctx.shop
    return on_engine(lambda: shop.customers.get(customer_id))


def stored_value(tab, sql, params=()):
    shop = tab.ctx.shop
    return on_engine(lambda: shop.db.scalar(sql, params))


def open_customer(qtbot, tab, name):
    found = search(qtbot, tab, name)
    row = int(found.index[found["name"] == name][0])
    tab.view.selectRow(row)
    settle(qtbot)
    return int(found.at[row, "customer_id"])


def test_list_shows_every_customer_with_truth_figures(tab, qtmodeltester):
    assert tab.model.total_rows() == len(TRUTH) == 148
    assert tab.count.text() == "148人中 148人を表示"
    tab.model.show_all()
    shown = tab.model.frame.sort_values("total_amount", ascending=False)
    assert shown["total_amount"].tolist() == sorted(TRUTH["total_amount"], reverse=True)
    qtmodeltester.check(tab.model)


def test_cells_are_formatted_in_japanese(tab):
    row = int(tab.model.frame.index[tab.model.frame["name"] == "石川 涼平"][0])
    text = {c.key: tab.model.index(row, i).data() for i, c in enumerate(tab.model.columns)}
    assert text["total_amount"] == "¥65,960"
    assert text["last_purchase"] == "2025-10-03"
    assert text["cluster"] == "TOP1%"
    assert text["purchase_count"] == "3"


def test_every_phone_shows_one_way_whatever_the_export_wrote(tab):
    tab.model.show_all()
    phone_column = [c.key for c in tab.model.columns].index("phone")
    shown = {(tab.model.value(r, "name"), tab.model.index(r, phone_column).data())
             for r in range(tab.model.rowCount())}
    assert shown == set(zip(TRUTH["name"], TRUTH["phone"]))


@pytest.mark.parametrize("name", ["石川 涼平", "石川涼平", "小林 健一"])
def test_typing_a_name_finds_the_customer(qtbot, tab, name):
    found = search(qtbot, tab, name)
    person = truth(name.replace("石川涼平", "石川 涼平"))
    hit = found[found["name"] == person["name"]]
    assert len(hit) == 1
    assert int(hit["purchase_count"].iloc[0]) == person["purchase_count"]
    assert int(hit["total_amount"].iloc[0]) == person["total_amount"]


@pytest.mark.parametrize("form", ["dashed", "digits", "international"])
def test_typing_a_phone_in_any_format_finds_the_customer(qtbot, tab, form):
    person = truth("渡辺 香織")  # 070-8040-2097
    digits = person["phone"].replace("-", "")
    text = {"dashed": person["phone"], "digits": digits,
            "international": "+81 " + digits[1:3] + " " + digits[3:7] + " " + digits[7:]}[form]
    found = search(qtbot, tab, text)
    assert found["name"].tolist() == ["渡辺 香織"]
    assert int(found["total_amount"].iloc[0]) == person["total_amount"]


def test_a_stale_search_result_is_dropped(qtbot, tab):
    tab.search.setText("石川")
    tab.run_search()
    tab.search.setText("渡辺 香織")
    tab.run_search()
    settle(qtbot)
    assert tab.model.frame["name"].tolist() == ["渡辺 香織"]


def test_filters_by_cluster_and_dm(qtbot, tab):
    tab.cluster.setCurrentIndex(tab.cluster.findData("top1"))
    settle(qtbot)
    assert tab.model.total_rows() == math.ceil(0.01 * 148)
    assert set(tab.model.frame["cluster"]) == {"top1"}
    tab.cluster.setCurrentIndex(0)
    tab.dm_only.setChecked(True)
    settle(qtbot)
    dm = on_engine(tab.ctx.shop.customers.table)["dm_ok"]
    assert tab.model.total_rows() == int(dm.sum()) < 148
    assert tab.count.text() == f"148人中 {int(dm.sum())}人を表示"


def test_opening_a_customer_shows_their_real_figures(qtbot, tab, qtmodeltester):
    open_customer(qtbot, tab, "石川 涼平")
    person = truth("石川 涼平")
    detail = tab.detail
    assert detail.title.text() == "石川 涼平 様"
    figures = {k: v.text() for k, v in detail.figures.items()}
    assert figures["purchase_count"] == f"{person['purchase_count']}回"
    assert figures["total_amount"] == f"¥{person['total_amount']:,}"
    assert figures["first_purchase"] == person["first_purchase"]
    assert figures["last_purchase"] == person["last_purchase"]
    assert figures["tenure_days"] == f"{person['tenure_days']}日"
    assert figures["cluster"] == "TOP1%"
    assert f"電話 {person['phone']}" in detail.contact.text()
    assert "購入元: BASE" in detail.contact.text()
    assert detail.orders.total_rows() == 3
    assert {detail.orders.index(r, 1).data() for r in range(3)} == {"BASE"}
    assert detail.orders.frame["amount"].sum() == person["total_amount"]
    assert detail.products.frame["amount"].sum() == person["total_amount"]
    for model in (detail.orders, detail.products, detail.touches):
        qtmodeltester.check(model)


def test_notes_are_saved_and_can_be_undone(qtbot, tab, monkeypatch):
    customer_id = open_customer(qtbot, tab, "渡辺 香織")
    detail = tab.detail
    assert not detail.save_notes_button.isEnabled()
    detail.notes.setPlainText("敏感肌。電話は夕方に。")
    assert detail.save_notes_button.isEnabled()
    detail.save_notes_button.click()
    settle(qtbot)
    assert stored_customer(tab, customer_id)["notes"] == "敏感肌。電話は夕方に。"
    assert detail.notes.toPlainText() == "敏感肌。電話は夕方に。"
    assert not detail.save_notes_button.isEnabled()
    monkeypatch.setattr(customer_detail, "confirm", lambda *a: True)
    detail.undo_button.click()
    settle(qtbot)
    assert stored_customer(tab, customer_id)["notes"] == ""
    assert detail.notes.toPlainText() == ""


def test_dm_permission_and_opt_out_are_stored(qtbot, tab):
    customer_id = open_customer(qtbot, tab, "渡辺 香織")
    detail = tab.detail
    dm = detail.consent.combos["dm"]
    assert dm.currentData() == "unknown"
    assert detail.consent.recorded["dm"].text() == "記録なし（取込元の既定: 可）"
    assert detail.consent.effects["dm"].text() == "→ 送れます"
    dm.setCurrentIndex(dm.findData("no"))
    dm.activated.emit(dm.currentIndex())
    settle(qtbot)
    stored = stored_customer(tab, customer_id)
    assert stored["dm_manual"] == 0 and stored["dm_ok"] == 0
    assert dm.currentData() == "no" and detail.consent.effects["dm"].text() == "→ 送りません（拒否）"
    detail.opt_out.click()
    settle(qtbot)
    assert stored_customer(tab, customer_id)["dm_opt_out"] == 1
    assert detail.opt_out.isChecked()
    row = tab.model.frame.index[tab.model.frame["customer_id"] == customer_id][0]
    dm_column = [c.key for c in tab.model.columns].index("dm_ok")
    assert tab.model.index(int(row), dm_column).data() == "×"


def test_merge_two_customers(qtbot, tab, monkeypatch):
    other_id = open_customer(qtbot, tab, "小林 健一")
    open_customer(qtbot, tab, "石川 涼平")
    asked = []
    monkeypatch.setattr(customer_detail, "pick_customer",
                        lambda parent, ctx, exclude: on_engine(
                            lambda: ctx.shop.customers.search(str(other_id))).iloc[0].to_dict())
    monkeypatch.setattr(customer_detail, "confirm", lambda parent, text, ok: asked.append(text)
                        or True)
    tab.detail.merge_button.click()
    settle(qtbot)
    assert "小林 健一" in asked[0] and "石川 涼平" in asked[0]
    assert stored_value(tab, "SELECT count(*) FROM orders WHERE customer_id = ?",
                        (other_id,)) == 0
    expected = truth("石川 涼平")["total_amount"] + truth("小林 健一")["total_amount"]
    assert tab.detail.figures["total_amount"].text() == f"¥{expected:,}"
    assert tab.detail.orders.total_rows() == 6
    search(qtbot, tab, "")
    assert tab.model.total_rows() == 147


def test_split_selected_orders_into_a_new_customer(qtbot, tab, monkeypatch):
    customer_id = open_customer(qtbot, tab, "石川 涼平")
    detail = tab.detail
    monkeypatch.setattr(customer_detail, "confirm", lambda *a: True)
    detail.orders_view.selectRow(0)  # newest order, 2025-10-03
    moved_amount = int(detail.orders.value(0, "amount"))
    assert detail.selected_order_ids() == [int(detail.orders.value(0, "order_id"))]
    detail.split_button.click()
    settle(qtbot)
    new_id = stored_value(tab, "SELECT max(id) FROM customers")
    assert new_id != customer_id
    assert stored_customer(tab, new_id)["total_amount"] == moved_amount
    assert stored_customer(tab, customer_id)["purchase_count"] == 2
    assert int(detail.customer["customer_id"]) == new_id
    assert detail.orders.total_rows() == 1
    search(qtbot, tab, "")
    assert tab.model.total_rows() == 149


def test_due_filter_lists_customers_past_their_product_cycle(qtbot, tab):
    shop = tab.ctx.shop
    on_engine(lambda: shop.products.import_cycles(SAMPLES / "products.csv"))
    tab.ctx.data_changed.emit()
    settle(qtbot)
    due = set(on_engine(shop.products.due_targets)["customer_id"])
    assert 0 < len(due) < 148
    tab.due_only.setChecked(True)
    settle(qtbot)
    tab.model.show_all()
    settle(qtbot)
    assert set(tab.model.frame["customer_id"]) == due
    assert set(tab.model.frame["due"]) == {True}


def test_contact_log_shows_recorded_touches(qtbot, tab):
    customer_id = open_customer(qtbot, tab, "渡辺 香織")
    shop = tab.ctx.shop
    on_engine(lambda: shop.touches.record([customer_id], "phone", "お礼の電話", on="2025-11-03",
                                          source="followup", result="次回も購入予定"))
    tab.ctx.data_changed.emit()
    settle(qtbot)
    touches = tab.detail.touches
    assert [touches.index(0, i).data() for i in range(5)] == [
        "2025-11-03", "電話", "お礼の電話", "次回も購入予定", "フォロー"]


def test_deletion_on_request_erases_the_personal_data(qtbot, tab, monkeypatch):
    customer_id = open_customer(qtbot, tab, "佐藤 あすか")
    row = truth("佐藤 あすか")
    asked = []
    told = []
    monkeypatch.setattr(customer_detail, "confirm",
                        lambda parent, text, ok: asked.append(text) or True)
    monkeypatch.setattr(customer_detail, "tell", lambda parent, text: told.append(text))
    tab.detail.erase_button.click()
    settle(qtbot)
    assert "元に戻せません" in asked[0] and "バックアップからも削除され" in asked[0]
    assert told == ["1人の個人情報を削除しました（注文の金額・日付は残しています）。"]
    shop = tab.ctx.shop
    stored = on_engine(lambda: shop.db.query("SELECT name, phone, email FROM customers WHERE id = ?",
                                             (customer_id,)))[0]
    assert "佐藤" not in stored["name"] and stored["phone"] == "" and stored["email"] == ""
    assert stored_value(tab, "SELECT count(*) FROM orders WHERE name = '佐藤 あすか'") == 0
    # The anonymous order figures stay.
    assert stored_value(tab, "SELECT sum(amount) FROM orders WHERE customer_id = ? AND "
                        "status = 'valid'", (customer_id,)) == row["total_amount"]
    assert not tab.detail.undo_button.isEnabled()


def test_a_memo_is_not_lost_when_another_customer_is_clicked(qtbot, tab):
    first = open_customer(qtbot, tab, "佐藤 あすか")
    tab.detail.notes.setPlainText("贈答用に毎年購入")     # typed, never saved by hand
    second = open_customer(qtbot, tab, truth_name_other_than("佐藤 あすか"))
    assert second != first
    settle(qtbot)
    assert stored_customer(tab, first)["notes"] == "贈答用に毎年購入"
    assert tab.detail.customer["customer_id"] == second
    assert tab.detail.notes.toPlainText() == (stored_customer(tab, second)["notes"] or "")


def test_a_memo_saves_itself_after_a_pause_and_a_reload_keeps_what_is_typed(qtbot, tab):
    customer_id = open_customer(qtbot, tab, "佐藤 あすか")
    tab.detail.notes.setPlainText("敏感肌")
    qtbot.waitUntil(lambda: stored_customer(tab, customer_id)["notes"] == "敏感肌",
                    timeout=customer_detail.NOTES_AUTOSAVE_MS * 4)
    settle(qtbot)
    tab.detail.notes.setPlainText("敏感肌。電話は夕方")   # typing on while data reloads
    tab.ctx.data_changed.emit()
    settle(qtbot)
    assert tab.detail.notes.toPlainText() == "敏感肌。電話は夕方"
    qtbot.waitUntil(lambda: stored_customer(tab, customer_id)["notes"] == "敏感肌。電話は夕方",
                    timeout=customer_detail.NOTES_AUTOSAVE_MS * 4)


def truth_name_other_than(name):
    return next(n for n in TRUTH["name"] if n != name and (TRUTH["name"] == n).sum() == 1)


def test_the_shown_list_is_saved_as_shown_and_formula_safe(qtbot, tab, tmp_path):
    from openpyxl import load_workbook

    tab.cluster.setCurrentIndex(tab.cluster.findData("top10"))
    settle(qtbot)
    shown = tab.model.frame["customer_id"].tolist()
    assert 0 < len(shown) < 148
    tab.export_shown(tmp_path / "top10.xlsx")
    settle(qtbot)
    rows = list(load_workbook(tmp_path / "top10.xlsx").active.values)
    assert rows[0][:3] == ("顧客番号", "氏名", "フリガナ") and rows[0][7] == "クラスター"
    assert [r[0] for r in rows[1:]] == shown
    assert {r[7] for r in rows[1:]} == {"TOP10%"}
    assert all(r[5] == "" or "-" in r[5] for r in rows[1:] if r[5])   # one phone format
    # A name that looks like a formula is written as text, not as a formula.
    shop = tab.ctx.shop
    on_engine(lambda: shop.db.execute("UPDATE customers SET name = '=1+2' WHERE id = ?",
                                      (shown[0],)))
    tab.ctx.data_changed.emit()
    settle(qtbot)
    tab.export_shown(tmp_path / "top10.csv")
    settle(qtbot)
    text = (tmp_path / "top10.csv").read_text(encoding="utf-8-sig")
    assert "'=1+2" in text and "\n=1+2" not in text and ",=1+2" not in text


def test_due_filter_without_any_usage_cycle_says_how_to_register_them(qtbot, tab):
    assert not tab.due_note.isVisibleTo(tab)
    tab.due_only.setChecked(True)
    settle(qtbot)
    assert tab.model.rowCount() == 0 and tab.count.text() == "148人中 0人を表示"
    assert tab.due_note.isVisibleTo(tab)
    assert tab.due_note.text() == ("消費サイクルが登録された商品がないため、要フォローのお客様はいません。"
                                   "商品リスト（商品コード・消費サイクル(日)）を取込タブにドロップして"
                                   "登録してください。")
    shop = tab.ctx.shop
    on_engine(lambda: shop.products.import_cycles(SAMPLES / "products.csv"))
    tab.ctx.data_changed.emit()
    settle(qtbot)
    assert tab.model.rowCount() > 0 and not tab.due_note.isVisibleTo(tab)


def test_list_and_detail_show_where_each_customer_stands_in_their_cycle(qtbot, tab):
    shop = tab.ctx.shop
    on_engine(lambda: shop.products.import_cycles(SAMPLES / "products.csv"))
    tab.ctx.data_changed.emit()
    settle(qtbot)
    expected = on_engine(lambda: shop.products.cycle_status(tab.ctx.as_of)).set_index(
        "customer_id")["status"]
    assert len(expected) > 0
    listed = tab.model.frame.set_index("customer_id")["cycle_status"]
    assert listed.loc[expected.index].tolist() == expected.tolist()
    assert set(listed.drop(expected.index)) <= {""}
    column = [c.key for c in tab.model.columns].index("cycle_status")
    row = tab.model.frame.index[tab.model.frame["customer_id"] == expected.index[0]][0]
    assert tab.model.index(row, column).data() == expected.iloc[0]
    tab.select_customer(int(expected.index[0]))
    settle(qtbot)
    assert tab.detail.figures["cycle_status"].text() == expected.iloc[0]


def test_the_list_shows_before_the_cycle_statuses_are_learned(qtbot, tab, monkeypatch):
    """Learning the cycles takes seconds on a big shop: the list comes first, the
    column fills in after."""
    import threading

    from gui.customers import tab as customers_tab
    shop = tab.ctx.shop
    on_engine(lambda: shop.products.import_cycles(SAMPLES / "products.csv"))
    go_on = threading.Event()
    original = customers_tab.load_cycle_statuses

    def slow(shop_, as_of):
        go_on.wait(10)
        return original(shop_, as_of)
    monkeypatch.setattr(customers_tab, "load_cycle_statuses", slow)
    tab.ctx.data_changed.emit()
    qtbot.waitUntil(lambda: tab.model.rowCount() == 148
                    and set(tab.model.frame["cycle_status"]) == {""}, timeout=10000)
    go_on.set()
    settle(qtbot)
    assert (tab.model.frame["cycle_status"] != "").sum() > 0


@pytest.fixture
def small_pages(monkeypatch):
    """Pages of 20 rows, so the 148 sample customers take eight."""
    from gui.customers import tab as customers_tab
    from gui.widgets import paged_table_model
    monkeypatch.setattr(paged_table_model, "PAGE", 20)
    monkeypatch.setattr(customers_tab, "PAGE", 20)


def test_the_list_loads_a_page_at_a_time_as_it_scrolls(qtbot, small_pages, qtmodeltester):
    tab = shown_tab(qtbot, 1366, 768)
    ctx = tab.ctx
    ranked = on_engine(lambda: ctx.shop.customers.table(ctx.as_of))["customer_id"].tolist()
    assert tab.model.rowCount() == 148 and tab.count.text() == "148人中 148人を表示"
    assert tab.model.loaded(0) and not tab.model.loaded(147)
    tab.view.scrollToBottom()
    qtbot.wait(50)      # the view asks for the rows it paints
    settle(qtbot)
    assert tab.model.loaded(147)
    assert tab.model.value(147, "customer_id") == ranked[147]
    assert not tab.model.loaded(70)     # the middle was never shown
    tab.model.show_all()
    settle(qtbot)
    assert tab.model.frame["customer_id"].tolist() == ranked
    qtmodeltester.check(tab.model)


def test_sorting_a_column_asks_the_engine_for_that_order(qtbot, small_pages):
    tab = shown_tab(qtbot)
    ctx = tab.ctx
    table = on_engine(lambda: ctx.shop.customers.table(ctx.as_of))
    kana = [c.key for c in tab.model.columns].index("kana")
    tab.view.sortByColumn(kana, Qt.SortOrder.DescendingOrder)
    settle(qtbot)
    tab.model.show_all()
    settle(qtbot)
    expected = table.sort_values("kana", ascending=False, kind="stable")["customer_id"]
    assert tab.model.frame["customer_id"].tolist() == expected.tolist()
    # A column the engine does not hold (要フォロー) sorts over the whole list too.
    on_engine(lambda: ctx.shop.products.import_cycles(SAMPLES / "products.csv"))
    ctx.data_changed.emit()
    settle(qtbot)
    due = set(on_engine(ctx.shop.products.due_targets)["customer_id"])
    tab.view.sortByColumn([c.key for c in tab.model.columns].index("due"),
                          Qt.SortOrder.DescendingOrder)
    settle(qtbot)
    tab.model.show_all()
    settle(qtbot)
    shown = tab.model.frame["customer_id"].tolist()
    assert set(shown[:len(due)]) == due and len(shown) == 148
    assert tab.count.text() == "148人中 148人を表示"
