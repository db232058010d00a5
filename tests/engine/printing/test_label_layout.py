"""Label layout: what goes where on a label, the barcode's geometry, nothing outside its cell."""
import gc

import pytest

from engine.printing import barcode

from engine.errors import OtokuiError
from engine.printing import text_metrics
from engine.printing.label_layout import (LabelData, address_lines, barcode_points, format_postal,
                                 layout_label, layout_pages, placements, sheet_count)
from engine.printing.label_sheet import builtin_sheets
from engine.printing.page import Box, Text

SHEETS = {s.id: s for s in builtin_sheets()}
PLAZA = LabelData(503, "郵便 太郎", "1000013", "東京都千代田区霞が関1丁目3番2号 郵便プラザ503室")
LONG = LabelData(
    77, "長谷川部 左右衛門之介", "0600042",
    "北海道札幌市中央区大通西十丁目四番地一号 南大通ビルディング別館アネックス棟 1203号室")
# Too long for one line at any readable size: must wrap, and still show every character.
VERY_LONG = LabelData(
    78, "勅使河原 三郎", "9071801",
    "沖縄県八重山郡竹富町字南風見仲三百八十二番地の四十五 ヴィラ・オーシャンビュー南風見"
    "仲リゾートレジデンス弐番館 A棟1203号室")


def texts(items):
    return [i for i in items if isinstance(i, Text)]


def bars(items):
    return [i for i in items if isinstance(i, Box)]


def inside(bounds, cell, offset=(0.0, 0.0), margin=0.0):
    left, top, right, bottom = bounds
    x, y = cell.x + offset[0], cell.y + offset[1]
    eps = 1e-9
    return (left >= x + margin - eps and top >= y + margin - eps
            and right <= x + cell.width - margin + eps
            and bottom <= y + cell.height - margin + eps)


@pytest.mark.parametrize("address1, address2, expected", [
    ("東京都千代田区霞が関1丁目3番2号 郵便プラザ503室", "", ("東京都千代田区霞が関1丁目3番2号", "郵便プラザ503室")),
    ("福井県品川区浅草橋21丁目10番6号 シティ 296", "", ("福井県品川区浅草橋21丁目10番6号", "シティ 296")),
    ("札幌市中央区南1条西5丁目3-2 ABCビル 2F", "", ("札幌市中央区南1条西5丁目3-2", "ABCビル 2F")),
    ("東京都 千代田区 霞が関1-3-2", "", ("東京都 千代田区 霞が関1-3-2", "")),
    ("竹富町字南風見仲三百八十二番地の四十五 ヴィラ南風見 A棟", "",
     ("竹富町字南風見仲三百八十二番地の四十五", "ヴィラ南風見 A棟")),
    ("大阪府大阪市北区梅田1-2-3", "梅田ビル 5F", ("大阪府大阪市北区梅田1-2-3", "梅田ビル 5F")),
])
def test_building_goes_on_its_own_line(address1, address2, expected):
    assert address_lines(address1, address2) == expected


def test_postal_code_gets_its_mark_and_hyphen():
    assert format_postal("1000013") == "〒100-0013"


@pytest.mark.parametrize("sheet_id, points", [
    # 10 pt: 79.8 mm of bars + 2 × 2 mm quiet zone = 83.8 mm ≤ 86.4
    ("a4-12", 10.0), ("a4-10", 10.0),
    # 70 mm: 8 pt is 63.84 + 4 = 67.84 mm; 8.5 pt would need 71.8 mm
    ("a4-21", 8.0),
    # 66 mm cannot hold even the smallest size the manual allows (8 pt, 67.84 mm)
    ("a4-24", None),
])
def test_barcode_size_per_sheet(sheet_id, points):
    assert barcode_points(SHEETS[sheet_id].label_width) == points


def test_plaza_label_on_a4_12():
    cell = SHEETS["a4-12"].cell(0)
    items = layout_label(PLAZA, cell)
    runs = texts(items)
    assert [t.text for t in runs] == ["〒100-0013", "東京都千代田区霞が関1丁目3番2号",
                                      "郵便プラザ503室", "郵便 太郎　様", "No.503"]
    postal, street, building, name, number = runs
    assert street.size_pt == building.size_pt == 10.0
    assert name.size_pt == 14.0 and name.size_pt > street.size_pt > number.size_pt
    # Lines follow each other downwards, the barcode sits between address and name.
    assert postal.bounds()[3] <= street.bounds()[1] < building.bounds()[1]
    boxes = bars(items)
    assert len(boxes) == barcode.BAR_COUNT == 67
    bar_top = min(b.y for b in boxes)
    bar_bottom = max(b.y + b.height for b in boxes)
    assert bar_top - building.bounds()[3] >= barcode.QUIET_ZONE_MM - 1e-9
    assert name.bounds()[1] - bar_bottom >= barcode.QUIET_ZONE_MM - 1e-9
    assert number.x + number.width == pytest.approx(cell.x + cell.width - 3.0)
    for item in items:
        assert inside(item.bounds(), cell), item


def test_bars_have_the_10_point_geometry_and_encode_the_address():
    items = layout_label(PLAZA, SHEETS["a4-12"].cell(0))
    boxes = bars(items)
    assert {b.width for b in boxes} == {0.6}
    pitches = {round(b2.x - b1.x, 6) for b1, b2 in zip(boxes, boxes[1:])}
    assert pitches == {1.2}
    top = min(b.y for b in boxes)
    kinds = "".join({(0.0, 3.6): "F", (0.0, 2.4): "A", (1.2, 2.4): "D", (1.2, 1.2): "T"}
                    [(round(b.y - top, 6), round(b.height, 6))] for b in boxes)
    assert kinds == barcode.bars(barcode.encode("1000013", "1丁目3番2号 郵便プラザ503室"))
    # Centred, with more than the 2 mm quiet zone to the label's edges.
    cell = SHEETS["a4-12"].cell(0)
    left, right = boxes[0].x, boxes[-1].x + boxes[-1].width
    assert right - left == pytest.approx(79.8)
    assert left - cell.x == pytest.approx(cell.x + cell.width - right)
    assert left - cell.x >= barcode.QUIET_ZONE_MM


def test_narrow_sheets_scale_or_drop_the_barcode():
    boxes = bars(layout_label(PLAZA, SHEETS["a4-21"].cell(0)))
    assert len(boxes) == 67
    assert boxes[1].x - boxes[0].x == pytest.approx(0.96)
    assert max(b.height for b in boxes) == pytest.approx(2.88)
    assert bars(layout_label(PLAZA, SHEETS["a4-24"].cell(0))) == []


def test_bad_postal_code_still_gives_a_label_without_bars():
    items = layout_label(LabelData(1, "山田 花子", "12345", "東京都港区1-2-3"),
                         SHEETS["a4-12"].cell(0))
    assert bars(items) == [] and texts(items)[0].text == "〒12345"


@pytest.mark.parametrize("sheet_id", sorted(SHEETS))
@pytest.mark.parametrize("label", [LONG, VERY_LONG], ids=["long", "very_long"])
def test_long_address_is_wrapped_or_shrunk_never_cut(sheet_id, label):
    cell = SHEETS[sheet_id].cell(0)
    items = layout_label(label, cell)
    runs = texts(items)
    address = runs[1:-2]
    printed = "".join(t.text for t in address).replace(" ", "")
    assert printed == label.address1.replace(" ", "")
    assert address[-1].text.endswith("1203号室")
    assert runs[-2].text == f"{label.name}　様"
    building = "ヴィラ・オーシャンビュー" if label is VERY_LONG else "南大通"
    assert any(t.text.startswith(building) for t in address)
    # Readable type on a few lines: LONG needs 2 lines on the wide sheets, VERY_LONG 3.
    assert min(t.size_pt for t in address) >= 7.5
    fewest = 2 if label is LONG else 3
    assert len(address) == fewest if cell.width > 80 else fewest <= len(address) <= fewest + 1
    for item in items:
        assert inside(item.bounds(), cell), (sheet_id, item)
    for run in runs:
        assert text_metrics.text_width_mm(run.text, run.size_pt) == pytest.approx(run.width)


def test_placements_start_on_a_partly_used_sheet():
    sheet = SHEETS["a4-12"]
    spots = placements(10, sheet, start=5)
    assert [s.cell.index for s in spots] == [4, 5, 6, 7, 8, 9, 10, 11, 0, 1]
    assert [s.page for s in spots] == [0] * 8 + [1] * 2
    assert sheet_count(10, sheet, 5) == 2 and sheet_count(8, sheet, 5) == 1
    assert sheet_count(0, sheet, 5) == 0
    with pytest.raises(OtokuiError, match="1〜12"):
        placements(3, sheet, start=13)


def test_offset_moves_every_primitive():
    cell = SHEETS["a4-12"].cell(3)
    plain = layout_label(PLAZA, cell)
    moved = layout_label(PLAZA, cell, offset=(1.5, -2.0))
    for a, b in zip(plain, moved):
        pa, pb = a.bounds(), b.bounds()
        assert (pb[0] - pa[0], pb[1] - pa[1]) == pytest.approx((1.5, -2.0))


@pytest.mark.parametrize("sheet_id", sorted(SHEETS))
def test_every_label_of_a_full_run_stays_in_its_cell(sheet_id):
    sheet = SHEETS[sheet_id]
    labels = [PLAZA, LONG] * sheet.per_page
    start = sheet.per_page // 2
    pages = layout_pages(labels, sheet, start=start, offset=(0.4, 0.3))
    assert len(pages) == sheet_count(len(labels), sheet, start) == 3
    spots = placements(len(labels), sheet, start)
    for label, spot in zip(labels, spots):
        for item in layout_label(label, spot.cell, (0.4, 0.3)):
            assert item in pages[spot.page].items
            assert inside(item.bounds(), spot.cell, (0.4, 0.3)), item
    names = [t for page in pages for t in page.texts() if t.endswith("様")]
    assert len(names) == len(labels)


def test_outlines_for_a_test_print_follow_the_offset():
    sheet = SHEETS["a4-10"]
    (page,) = layout_pages([PLAZA], sheet, start=2, offset=(0.5, -0.5), outlines=True)
    edges = [b for b in bars(page.items) if not b.fill]
    assert len(edges) == sheet.per_page == 10
    assert (edges[0].x, edges[0].y) == (sheet.left + 0.5, sheet.top - 0.5)
    assert (edges[0].width, edges[0].height) == (86.4, 50.8)
    assert len([b for b in bars(page.items) if b.fill]) == 67


@pytest.mark.parametrize("name, printed", [
    ("山田 花子", "山田 花子　様"), ("山田様", "山田様"), ("株式会社オトクイ 御中", "株式会社オトクイ 御中"),
])
def test_honorific_is_added_once(name, printed):
    label = LabelData(1, name, "1000013", "東京都千代田区霞が関1-3-2")
    assert texts(layout_label(label, SHEETS["a4-12"].cell(0)))[-2].text == printed


def test_long_runs_report_progress_and_can_be_cancelled(monkeypatch):
    from engine.errors import CancelledError
    from engine.printing import label_layout

    monkeypatch.setattr(label_layout, "PROGRESS_EVERY", 10)
    sheet = SHEETS["a4-12"]
    labels = [PLAZA] * 25
    heard = []
    pages = layout_pages(labels, sheet, progress=lambda f, m: heard.append((f, m)))
    assert len(pages) == 3
    assert heard == [(0.0, "ラベルを配置しています（0 / 25枚）"),
                     (0.4, "ラベルを配置しています（10 / 25枚）"),
                     (0.8, "ラベルを配置しています（20 / 25枚）")]
    asked = []
    with pytest.raises(CancelledError):
        layout_pages(labels, sheet, cancel=lambda: asked.append(1) or len(asked) > 1)
    assert len(asked) == 2  # checked at labels 0 and 10, stopped at 10
    # The cycle collector, paused while the pages fill up, runs again afterwards.
    assert gc.isenabled()



@pytest.mark.parametrize("address1,address2,expected", [
    ("東京都渋谷区神宮前1-2-3 シャルム 113", "シャルム 113", ("東京都渋谷区神宮前1-2-3", "シャルム 113")),
    ("東京都渋谷区神宮前1-2-3 シャルム113", "シャルム　113", ("東京都渋谷区神宮前1-2-3", "シャルム113")),
    ("東京都渋谷区神宮前1-2-3", "シャルム 113", ("東京都渋谷区神宮前1-2-3", "シャルム 113")),
])
def test_a_building_in_both_fields_is_printed_once(address1, address2, expected):
    assert address_lines(address1, address2) == expected
