"""Label sheets: the SPEC's dimensions, derived margins, custom sheets and the offset."""
import pytest

from engine import Shop
from engine.errors import OtokuiError
from engine.printing.label_sheet import LabelSheet, builtin_sheets


@pytest.fixture
def shop():
    return Shop(":memory:")


def by_id():
    return {s.id: s for s in builtin_sheets()}


@pytest.mark.parametrize("sheet_id, grid, label, left, top", [
    # SPEC §6 gives 12面's margins; the rest are centred on A4 (210 × 297 mm):
    # 10面: (210 − 2 × 86.4) / 2 = 18.6, (297 − 5 × 50.8) / 2 = 21.5
    # 21面: (210 − 3 × 70) / 2 = 0,      (297 − 7 × 42.3) / 2 = 0.45
    # 24面: (210 − 3 × 66) / 2 = 6,      (297 − 8 × 33.9) / 2 = 12.9
    ("a4-12", (2, 6), (86.4, 42.3), 18.6, 21.2),
    ("a4-10", (2, 5), (86.4, 50.8), 18.6, 21.5),
    ("a4-21", (3, 7), (70.0, 42.3), 0.0, 0.45),
    ("a4-24", (3, 8), (66.0, 33.9), 6.0, 12.9),
])
def test_builtin_sheets_have_the_specs_dimensions(sheet_id, grid, label, left, top):
    sheet = by_id()[sheet_id]
    assert (sheet.columns, sheet.rows) == grid
    assert (sheet.label_width, sheet.label_height) == label
    assert (sheet.pitch_x, sheet.pitch_y) == label
    assert (sheet.left, sheet.top) == pytest.approx((left, top))
    assert (sheet.page_width, sheet.page_height) == (210, 297)


def test_every_builtin_cell_lies_on_the_page():
    for sheet in builtin_sheets():
        for cell in sheet.cells():
            assert cell.x >= 0 and cell.y >= 0
            assert cell.x + cell.width <= sheet.page_width + 1e-9
            assert cell.y + cell.height <= sheet.page_height + 1e-9


def test_cells_run_along_the_rows():
    sheet = by_id()["a4-12"]
    assert (sheet.cell(0).x, sheet.cell(0).y) == (18.6, 21.2)
    assert (sheet.cell(1).x, sheet.cell(1).y) == (105.0, 21.2)
    assert (sheet.cell(2).x, sheet.cell(2).y) == (18.6, 63.5)
    last = sheet.cell(11)
    assert (last.x, last.y) == (105.0, pytest.approx(232.7))
    with pytest.raises(OtokuiError, match="1〜12"):
        sheet.cell(12)


def test_custom_sheet_is_saved_and_listed(shop):
    saved = shop.printing.sheets.save_custom({
        "id": "my-18", "name": "自社 18面", "columns": 3, "rows": 6,
        "label_width": 62, "label_height": 45, "left": 8, "top": 13.5,
        "pitch_x": 65, "pitch_y": 45})
    sheet = shop.printing.sheets.get("my-18")
    assert sheet == saved and sheet.custom
    assert sheet.cell(4).x == 8 + 65 and sheet.cell(4).y == 13.5 + 45
    assert [s.id for s in shop.printing.sheets.all()][-1] == "my-18"
    shop.printing.sheets.delete_custom("my-18")
    with pytest.raises(OtokuiError, match="my-18"):
        shop.printing.sheets.get("my-18")


@pytest.mark.parametrize("changes, message", [
    ({"columns": 4}, "右端を 55.0mm"),          # 8 + 3 × 65 + 62 = 265 > 210
    ({"rows": 7}, "下端を 31.5mm"),             # 13.5 + 6 × 45 + 45 = 328.5 > 297
    ({"pitch_x": 60}, "重なります"),
    ({"left": -1}, "マイナス"),
    ({"label_width": "広い"}, "数値"),
    ({"columns": 2.5}, "数値"),
    ({"id": "自社"}, "ID"),
    ({"name": ""}, "名前"),
])
def test_impossible_custom_sheets_are_refused(shop, changes, message):
    data = {"id": "my-18", "name": "自社 18面", "columns": 3, "rows": 6, "label_width": 62,
            "label_height": 45, "left": 8, "top": 13.5, "pitch_x": 65, "pitch_y": 45}
    data.update(changes)
    with pytest.raises(OtokuiError, match=message):
        shop.printing.sheets.save_custom(data)
    assert shop.printing.sheets.custom() == []


def test_a_builtin_id_cannot_be_overwritten(shop):
    with pytest.raises(OtokuiError, match="標準"):
        shop.printing.sheets.save_custom(by_id()["a4-12"].to_dict())


def test_missing_margins_are_centred():
    sheet = LabelSheet.from_dict({"id": "x", "name": "x", "grid": [2, 4], "label": [90, 60],
                                  "pitch": [95, 65]})
    # (210 − 95 − 90) / 2 = 12.5; (297 − 3 × 65 − 60) / 2 = 21
    assert (sheet.left, sheet.top) == (12.5, 21.0)


def test_offset_is_stored_and_bounded(shop):
    assert shop.printing.sheets.offset() == (0.0, 0.0)
    shop.printing.sheets.set_offset(1.5, -0.75)
    assert shop.printing.sheets.offset() == (1.5, -0.75)
    with pytest.raises(OtokuiError, match="10mm"):
        shop.printing.sheets.set_offset(12, 0)
    with pytest.raises(OtokuiError, match="数値"):
        shop.printing.sheets.set_offset("右", 0)
    assert shop.printing.sheets.offset() == (1.5, -0.75)
