"""印刷 tab on the sample shop: choosing targets, sheets, offset, saving PDF and lists."""
import pytest
from openpyxl import load_workbook

from engine.errors import OtokuiError
from gui.context import AppContext
from gui.printing import insert_list_page
from gui.printing import label_sheet_dialog
from gui.printing import label_targets_page
from gui.printing.tab import PrintingTab
from tests.support.engine_side import on_engine
from tests.support.sample_shop import sample_shop, settle
from tests.support.snapshot import SAMPLES, meta

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


@pytest.fixture
def tab(qtbot, monkeypatch):
    errors = []
    for module in (label_targets_page, insert_list_page):
        monkeypatch.setattr(module, "show_error", lambda parent, exc: errors.append(exc))
    ctx = AppContext(sample_shop())
    tab = PrintingTab(ctx)
    tab.errors = errors
    qtbot.addWidget(tab)
    tab.resize(1280, 800)
    tab.show()
    settle(qtbot)
    return tab


def stored_value(tab, sql):
    shop = tab.ctx.shop
    return on_engine(lambda: shop.db.scalar(sql))


def choose_top_clusters(qtbot, page):
    page.way.setCurrentIndex(0)
    for code in ("top1", "top10", "top20"):
        page.cluster_boxes[code].setChecked(True)
    page.show_button.click()
    settle(qtbot)


def test_sheets_and_start_position(tab, qtmodeltester):
    page = tab.labels
    names = [page.sheet.itemText(i) for i in range(page.sheet.count())]
    assert names[:4] == ["A4 10面（86.4×50.8mm）", "A4 12面（86.4×42.3mm）",
                         "A4 21面（70×42.3mm）", "A4 24面（66×33.9mm）"]
    assert page.sheet.currentData().id == "a4-12" and page.start.maximum() == 12
    assert page.barcode_note.text() == "カスタマバーコードは 10ポイントで印刷します。"
    page.sheet.setCurrentIndex(2)
    assert page.barcode_note.text() == "カスタマバーコードは 8ポイントで印刷します。"
    page.sheet.setCurrentIndex(3)
    assert page.start.maximum() == 24
    assert "印刷しません" in page.barcode_note.text()
    qtmodeltester.check(page.model)


def test_targets_by_cluster_fill_the_table(qtbot, tab, qtmodeltester):
    page = tab.labels
    choose_top_clusters(qtbot, page)
    page.model.show_all()
    assert page.model.rowCount() == 28
    assert page.summary.text() == "ラベル 28枚（28名）。対象外: DM不可 2名"
    postal = page.model.frame["postal_code"].tolist()
    assert postal == sorted(postal) and all(len(p) == 8 and p[3] == "-" for p in postal)
    qtmodeltester.check(page.model)


def test_hand_picked_ids_and_bad_input(qtbot, tab):
    page = tab.labels
    page.way.setCurrentIndex(3)
    assert page.way_inputs.currentIndex() == 3
    page.ids.setText("1, 2 47")
    page.show_button.click()
    settle(qtbot)
    assert sorted(page.model.frame["customer_id"]) == [1, 2]
    page.ids.setText("1 二")
    page.show_button.click()
    assert isinstance(tab.errors[-1], OtokuiError) and "数字" in str(tab.errors[-1])


def test_offset_is_saved_for_next_time(qtbot, tab):
    page = tab.labels
    page.offset_x.setValue(1.2)
    page.offset_y.setValue(-0.5)
    page.save_offset()
    settle(qtbot)
    assert on_engine(tab.ctx.shop.printing.sheets.offset) == (1.2, -0.5)


def test_save_labels_and_lists(qtbot, tab, tmp_path):
    page = tab.labels
    page.save_labels_pdf(tmp_path / "none.pdf")
    assert "対象を選んで" in str(tab.errors[-1])
    choose_top_clusters(qtbot, page)
    page.start.setValue(5)
    page.save_labels_pdf(tmp_path / "labels.pdf")
    page.outlines.setChecked(True)           # a test print with outlines is never logged
    page.save_labels_pdf(tmp_path / "test-print.pdf")
    page.save_list_pdf(tmp_path / "list.pdf")
    page.export_list(tmp_path / "list.xlsx")
    settle(qtbot)
    assert (tmp_path / "labels.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp_path / "test-print.pdf").stat().st_size > (tmp_path / "labels.pdf").stat().st_size
    assert (tmp_path / "list.pdf").read_bytes().startswith(b"%PDF")
    rows = list(load_workbook(tmp_path / "list.xlsx").active.values)
    assert len(rows) == 29 and rows[0][1] == "氏名"


def test_a_pdf_alone_never_counts_as_mailed(qtbot, tab, tmp_path, monkeypatch):
    page = tab.labels
    asked = []
    monkeypatch.setattr(label_targets_page, "confirm", lambda parent, text, ok: asked.append(text))
    choose_top_clusters(qtbot, page)
    assert not page.record_button.isEnabled()
    page.save_labels_pdf(tmp_path / "labels.pdf")
    settle(qtbot)
    assert asked == [] and stored_value(tab, "SELECT count(*) FROM touches") == 0
    assert "PDFの保存だけでは記録しません" in page.summary.text()
    assert page.record_button.isEnabled()
    page.record_button.click()             # asked, and the user does not confirm
    settle(qtbot)
    assert len(asked) == 1 and "28名の接触履歴にDM送付を記録します" in asked[0]
    assert stored_value(tab, "SELECT count(*) FROM touches") == 0


def test_printed_labels_are_recorded_once_the_user_confirms_the_mailing(qtbot, tab, monkeypatch):
    page = tab.labels
    asked = []
    monkeypatch.setattr(label_targets_page, "print_pages", lambda parent, pages, title: True)
    monkeypatch.setattr(label_targets_page, "confirm",
                        lambda parent, text, ok: asked.append(text) or True)
    choose_top_clusters(qtbot, page)
    page.print_labels()
    settle(qtbot)
    assert asked[0].startswith("印刷したラベル 28枚のDMを発送しますか？")
    assert stored_value(
        tab, "SELECT count(DISTINCT customer_id) FROM touches WHERE medium = 'dm'") == 28
    assert page.summary.text().endswith("28名の接触履歴にDM送付を記録しました。")
    assert not page.record_button.isEnabled()


def test_insert_list_for_new_orders(qtbot, tab, tmp_path, monkeypatch):
    page = tab.inserts
    confirmed = []
    monkeypatch.setattr(insert_list_page, "confirm",
                        lambda parent, text, ok: confirmed.append(text) or True)
    # The sample shop already holds October: planning it again imports nothing new.
    october = [SAMPLES / n for n in meta()["files"] if "202510" in n]
    page.save_pdf(tmp_path / "none.pdf")
    assert not (tmp_path / "none.pdf").exists()
    page.make_plan(october)
    settle(qtbot)
    page.model.show_all()
    assert page.model.rowCount() == 56
    assert page.summary.text().startswith("56件の注文。")
    page.save_pdf(tmp_path / "inserts.pdf")
    settle(qtbot)
    assert (tmp_path / "inserts.pdf").read_bytes().startswith(b"%PDF")
    assert confirmed == []           # saving the list is not packing the parcels
    assert stored_value(tab, "SELECT count(*) FROM touches WHERE source = 'inserts'") == 0
    page.record_button.click()
    settle(qtbot)
    with_insert = page.plan[page.plan["insert_name"] != ""]
    logged = stored_value(tab, "SELECT count(*) FROM touches WHERE source = 'inserts'")
    assert logged == with_insert.groupby("insert_name")["customer_id"].nunique().sum() > 0
    assert len(confirmed) == 1


def test_custom_sheet_from_the_dialog(qtbot, tab, monkeypatch):
    page = tab.labels
    monkeypatch.setattr(label_sheet_dialog.LabelSheetDialog, "exec", lambda self: 1)
    monkeypatch.setattr(label_sheet_dialog.LabelSheetDialog, "values", lambda self: {
        "id": "my-18", "name": "自社 18面", "columns": 3, "rows": 6, "label_width": 62.0,
        "label_height": 45.0, "left": 8.0, "top": 13.5, "pitch_x": 65.0, "pitch_y": 45.0,
        "page_width": 210.0, "page_height": 297.0})
    page.add_sheet()
    settle(qtbot)
    names = [page.sheet.itemText(i) for i in range(page.sheet.count())]
    assert names[-1] == "自社 18面"
    shop = tab.ctx.shop
    assert on_engine(lambda: shop.printing.sheets.get("my-18")).cell(4).x == 73.0


def test_due_targets_explain_an_empty_result(qtbot, tab):
    """購入サイクル finding nobody says why: no usage cycle registered (and how to
    register them), or cycles registered but nobody due as of the 基準日."""
    from datetime import date

    from engine.marketing.dm_targets import NO_CYCLES
    page = tab.labels
    page.way.setCurrentIndex(1)
    assert page.way.currentData() == "due"
    page.show_button.click()
    settle(qtbot)
    assert page.model.rowCount() == 0 and tab.errors == []
    assert page.summary.text() == NO_CYCLES
    assert "商品リスト" in NO_CYCLES and "取込タブにドロップ" in NO_CYCLES

    shop = tab.ctx.shop
    on_engine(lambda: shop.products.import_cycles(SAMPLES / "products.csv"))
    tab.ctx.set_as_of(date(2025, 7, 2))   # the first orders are only days old
    page.show_button.click()
    settle(qtbot)
    assert page.model.rowCount() == 0
    assert page.summary.text() == ("基準日（2025年7月2日）の時点で、最後に買った商品の"
                                   "消費サイクルを過ぎたお客様はいません。")

    tab.ctx.set_as_of(date.fromisoformat(meta()["as_of"]))
    settle(qtbot)
    assert page.model.rowCount() > 0 and page.summary.text().startswith("ラベル ")
