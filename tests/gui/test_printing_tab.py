"""印刷 tab on the sample shop: choosing targets, sheets, offset, saving PDF and lists."""
import pytest
from openpyxl import load_workbook

from engine.errors import OtokuiError
from gui.context import AppContext
from gui.tabs import label_targets_page
from gui.tabs.printing_tab import PrintingTab
from tests.gui.sample_shop import sample_shop, settle

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


@pytest.fixture
def tab(qtbot, monkeypatch):
    errors = []
    monkeypatch.setattr(label_targets_page, "show_error", lambda parent, exc: errors.append(exc))
    ctx = AppContext(sample_shop())
    tab = PrintingTab(ctx)
    tab.errors = errors
    qtbot.addWidget(tab)
    tab.resize(1280, 800)
    tab.show()
    settle(qtbot)
    return tab


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
    page.sheet.setCurrentIndex(3)
    assert page.start.maximum() == 24
    qtmodeltester.check(page.model)


def test_targets_by_cluster_fill_the_table(qtbot, tab, qtmodeltester):
    page = tab.labels
    choose_top_clusters(qtbot, page)
    page.model.show_all()
    assert page.model.rowCount() == 28
    assert page.summary.text() == "ラベル 28枚（28名）。対象外: DM不可 2名"
    postal = page.model.frame["postal_code"].tolist()
    assert postal == sorted(postal)
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
    assert tab.ctx.shop.printing.sheets.offset() == (1.2, -0.5)


def test_save_labels_and_lists(qtbot, tab, tmp_path):
    page = tab.labels
    page.record.setChecked(False)
    page.save_labels_pdf(tmp_path / "none.pdf")
    assert "対象を選んで" in str(tab.errors[-1])
    choose_top_clusters(qtbot, page)
    page.start.setValue(5)
    page.save_labels_pdf(tmp_path / "labels.pdf")
    page.save_list_pdf(tmp_path / "list.pdf")
    page.export_list(tmp_path / "list.xlsx")
    settle(qtbot)
    assert (tmp_path / "labels.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp_path / "list.pdf").read_bytes().startswith(b"%PDF")
    rows = list(load_workbook(tmp_path / "list.xlsx").active.values)
    assert len(rows) == 29 and rows[0][1] == "氏名"
