"""shop.printing: label pages, target lists (Excel/CSV/pages), insert lists, contact log."""
import pandas as pd
import pytest
from openpyxl import load_workbook

from engine.printing.page import Box, Text
from tests.engine.marketing.test_dm_targets import build_shop
from tests.support.snapshot import imported_shop, meta

AS_OF = meta()["as_of"]

HEADERS = ["顧客番号", "氏名", "フリガナ", "郵便番号", "住所", "電話番号", "クラスター",
           "経過日数(R)", "購入回数(F)", "累計金額(M)"]


@pytest.fixture
def shop():
    shop = build_shop()
    shop.db.execute("UPDATE customers SET name = '=HYPERLINK(\"x\")', kana = '+ア' WHERE id = 4")
    return shop


def selection_of(shop):
    return shop.printing.targets(customer_ids=[1, 2, 3, 4, 5], as_of="2025-07-01")


def test_target_list_has_japanese_headers_and_display_values(shop):
    frame = shop.printing.target_list(selection_of(shop).targets)
    assert list(frame.columns) == HEADERS
    row = frame.iloc[0].to_dict()
    assert row["顧客番号"] == 3 and row["郵便番号"] == "060-0042"
    assert row["経過日数(R)"] == 30 and row["購入回数(F)"] == 1 and row["累計金額(M)"] == 3000
    assert set(frame["クラスター"]) <= {"TOP1%", "TOP10%", "TOP20%", "1回購入"}


def test_target_list_xlsx_is_formula_safe_with_widths(shop, tmp_path):
    out = tmp_path / "targets.xlsx"
    shop.printing.export_target_list(selection_of(shop).targets, out)
    sheet = load_workbook(out).active
    rows = list(sheet.values)
    assert list(rows[0]) == HEADERS
    assert len(rows) == 1 + 3
    # Stored as a text cell, so Excel shows it and never runs it.
    names = [r[1] for r in rows[1:]]
    assert '=HYPERLINK("x")' in names
    assert all(sheet.cell(row=r, column=2).data_type == "s" for r in range(2, 5))
    assert sheet.column_dimensions["E"].width > sheet.column_dimensions["H"].width > 6


def test_target_list_csv_has_bom_and_neutralised_cells(shop, tmp_path):
    out = tmp_path / "targets.csv"
    shop.printing.export_target_list(selection_of(shop).targets, out)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    frame = pd.read_csv(out, encoding="utf-8-sig", dtype=str)
    assert list(frame.columns) == HEADERS
    assert "'=HYPERLINK(\"x\")" in frame["氏名"].tolist()
    assert "'+ア" in frame["フリガナ"].tolist()
    assert frame["郵便番号"].tolist() == ["060-0042", "105-0011", "907-1801"]


def test_other_extensions_are_refused(shop, tmp_path):
    from engine.errors import OtokuiError
    with pytest.raises(OtokuiError, match=r"\.xlsx と \.csv"):
        shop.printing.export_target_list(selection_of(shop).targets, tmp_path / "x.pdf")


def test_label_pages_use_the_stored_offset(shop):
    targets = selection_of(shop).targets
    plain = shop.printing.label_pages(targets, "a4-12", start=1)
    shop.printing.sheets.set_offset(1.0, 2.0)
    moved = shop.printing.label_pages(targets, "a4-12", start=1)
    first = [i for i in plain[0].items if isinstance(i, Text)][0]
    first_moved = [i for i in moved[0].items if isinstance(i, Text)][0]
    assert (first_moved.x - first.x, first_moved.baseline - first.baseline) == \
        pytest.approx((1.0, 2.0))
    assert len([i for i in plain[0].items if isinstance(i, Box)]) == 3 * 67


PLAN = pd.DataFrame({
    "source": ["base"] * 4, "order_no": ["B-1002", "B-1001", "B-1003", "B-1004"],
    "order_date": ["2025-11-02", "2025-11-01", "2025-11-02", "2025-11-03"],
    "customer_id": [2, 3, 4, 1], "name": ["青木 花子", "井上 次郎", "上田 三郎", "青木 一郎"],
    "postal_code": ["1050011"] * 4, "address": ["東京都港区芝公園4-2-8"] * 4,
    "purchase_number": [1, 2, 10, 2],
    "insert_name": ["サンクスレター", "2回目のご案内", "10回記念クーポン", "2回目のご案内"],
    "count_insert": ["サンクスレター", "2回目のご案内", "10回記念クーポン", "2回目のご案内"],
    "task_ids": [""] * 4,
})


def test_insert_pages_list_every_parcel_in_order(shop):
    (page,) = shop.printing.insert_pages(PLAN)
    texts = page.texts()
    assert texts[0] == "同梱物リスト"
    assert "4件" in texts[1] and "2回目のご案内: 2枚" in texts[1]
    assert texts[2:9] == ["済", "注文番号", "注文日", "顧客番号", "お客様", "購入回数", "同梱物"]
    orders = [t for t in texts if t.startswith("B-")]
    assert orders == ["B-1001", "B-1002", "B-1003", "B-1004"]
    assert texts.count("□") == 4
    row = texts[texts.index("B-1003"):texts.index("B-1003") + 6]
    assert row == ["B-1003", "2025-11-02", "4", "上田 三郎", "10回目", "10回記念クーポン"]
    assert texts[-1] == "1 / 1"


def test_long_insert_lists_run_over_pages_with_headers(shop):
    plan = pd.concat([PLAN] * 40, ignore_index=True)
    pages = shop.printing.insert_pages(plan)
    assert len(pages) > 1
    assert sum(p.texts().count("□") for p in pages) == 160
    for number, page in enumerate(pages, start=1):
        assert "注文番号" in page.texts() and page.texts()[-1] == f"{number} / {len(pages)}"
        for item in page.items:
            left, top, right, bottom = item.bounds()
            assert 0 <= left and right <= page.width and 0 <= top and bottom <= page.height


def test_printing_records_touches(shop):
    selection = selection_of(shop)
    assert shop.printing.record_dm(selection, on="2025-07-02") == 4   # 1 and 2 share a label
    history = shop.touches.for_customer(1)
    assert history[["date", "medium", "source"]].values.tolist() == [
        ["2025-07-02", "dm", "labels"]]
    plan = PLAN[PLAN["customer_id"] != 4]
    assert shop.printing.record_inserts(plan, on="2025-11-04") == 3
    assert shop.touches.for_customer(3)["action"].tolist() == ["2回目のご案内", "DM送付（宛名ラベル印刷）"]
    assert shop.touches.for_customer(4)["medium"].tolist() == ["dm"]    # not in this plan


def test_labels_for_dm_followups_check_the_tasks_off():
    shop = imported_shop()
    shop.followups.generate("2025-11", as_of=AS_OF)
    selection = shop.printing.targets(followup_month="2025-11", as_of=AS_OF)
    tasks = shop.followups.tasks("2025-11")
    open_dm = tasks[(tasks["medium"] == "dm") & (tasks["status"] == "open")]
    assert shop.printing.record_dm(selection, on="2025-11-05",
                                   followup_month="2025-11") == len(selection.customer_ids)
    after = shop.followups.tasks("2025-11").set_index("task_id")
    first = open_dm.drop_duplicates("customer_id")["task_id"]
    assert (after.loc[first, "status"] == "done").all()
    assert (after.loc[first, "done_on"] == "2025-11-05").all()
    # Each customer has exactly one touch for it, logged by the check-off.
    touches = shop.db.query("SELECT customer_id, source FROM touches")
    assert sorted(t["customer_id"] for t in touches) == selection.customer_ids
    assert {t["source"] for t in touches} == {"followup"}
