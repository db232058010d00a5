"""Rendered PDFs: page count, every eligible name once, no ineligible name, text in its cell.

Text and word positions are read back from the PDF with poppler's pdftotext/pdfinfo.
"""
import functools
import re
import shutil
import subprocess
from importlib.resources import as_file, files

import pytest

from engine.printing.label_layout import placements
from engine.printing.page import Page, text_at
from gui.widgets.print_render import write_pdf
from tests.support.snapshot import imported_shop, meta

AS_OF = meta()["as_of"]
MM_PER_PT = 25.4 / 72
pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None,
                                reason="poppler-utils (pdftotext, pdfinfo) is not installed")


@pytest.fixture(scope="module")
def sample_shop():
    return imported_shop()


def pdf_pages(path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))


@functools.lru_cache(maxsize=1)
def _glyph_owner() -> dict[int, str]:
    """Code point → the lowest code point drawn with the same glyph of the bundled font."""
    from fontTools.ttLib import TTFont
    with as_file(files("resources") / "fonts" / "ipaexg.ttf") as path, \
            TTFont(str(path), lazy=True) as font:
        cmap = font.getBestCmap()
    first: dict[str, int] = {}
    for code in sorted(cmap):
        first.setdefault(cmap[code], code)
    return {code: chr(first[glyph]) for code, glyph in cmap.items()}


def canonical(text: str) -> str:
    """Text as glyphs: the PDF's text layer names a glyph by one of the code points it
    serves (⽥ for 田, 戶 for 戸), so both sides are compared glyph by glyph."""
    owner = _glyph_owner()
    return "".join(owner.get(ord(ch), ch) for ch in re.sub(r"\s+", "", text))


def pdf_text(path) -> str:
    """The PDF's text as :func:`canonical` glyphs, without whitespace."""
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                         text=True, check=True).stdout
    return canonical(out)


def pdf_words(path) -> list[list[tuple[float, float, float, float, str]]]:
    """Per page, every word's box in mm from the top-left corner."""
    html = subprocess.run(["pdftotext", "-bbox", "-enc", "UTF-8", str(path), "-"],
                          capture_output=True, text=True, check=True).stdout
    pages = []
    for page in html.split("<page ")[1:]:
        pages.append([(float(a) * MM_PER_PT, float(b) * MM_PER_PT, float(c) * MM_PER_PT,
                       float(d) * MM_PER_PT, word) for a, b, c, d, word in re.findall(
            r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<', page)])
    return pages


def test_labels_pdf_of_the_top_clusters(qapp, sample_shop, tmp_path):
    selection = sample_shop.printing.targets(clusters=["top1", "top10", "top20"], as_of=AS_OF)
    assert len(selection.targets) == 28
    sheet = sample_shop.printing.sheets.get("a4-12")
    pages = sample_shop.printing.label_pages(selection.targets, "a4-12", start=3)
    out = tmp_path / "labels.pdf"
    assert write_pdf(pages, out, "宛名ラベル") == 3
    assert pdf_pages(out) == 3                    # 2 used + 28 labels = 30 → 3 sheets of 12

    # Words grouped into lines per label cell; each word must lie in its cell (±0.5 mm).
    spots = placements(len(selection.targets), sheet, start=3)
    lines: dict[tuple, list] = {}
    for number, words in enumerate(pdf_words(out)):
        cells = [spot.cell for spot in spots if spot.page == number]
        for left, top, right, bottom, word in words:
            (cell,) = [c for c in cells if c.x <= (left + right) / 2 <= c.x + c.width
                       and c.y <= (top + bottom) / 2 <= c.y + c.height]
            assert left >= cell.x - 0.5 and right <= cell.x + cell.width + 0.5, word
            assert top >= cell.y - 0.5 and bottom <= cell.y + cell.height + 0.5, word
            lines.setdefault((number, cell.index, round(top, 1)), []).append((left, word))
    texts = ["".join(canonical(w) for _, w in sorted(words)) for words in lines.values()]
    name_lines = [t for t in texts if t.endswith(canonical("様"))]
    expected = sorted(canonical(f"{n}様") for n in selection.targets["name"])
    assert sorted(name_lines) == expected        # every eligible name, each exactly once
    whole = pdf_text(out)
    for name in map(canonical, selection.skipped["name"]):
        if canonical(f"{name}様") not in expected:
            assert name not in whole, name
    # The first page's first two cells were used already: nothing is printed there.
    first_row_bottom = sheet.cell(1).y + sheet.cell(1).height
    assert all(top >= first_row_bottom - 0.5 for _, top, _, _, _ in pdf_words(out)[0])


def test_pdf_positions_match_the_layout(qapp, tmp_path):
    run = text_at(30.0, 46.0, 12, "位置確認ABC")
    out = tmp_path / "one.pdf"
    write_pdf([Page(210, 297, [run])], out, "test")
    ((left, top, right, bottom, word),) = pdf_words(out)[0]
    expected = run.bounds()
    assert canonical(word) == canonical("位置確認ABC")
    assert left == pytest.approx(expected[0], abs=0.1)
    assert right == pytest.approx(expected[2], abs=0.3)
    assert top == pytest.approx(expected[1], abs=0.5)
    assert bottom == pytest.approx(expected[3], abs=0.5)


def test_target_list_pdf_lists_everyone(qapp, sample_shop, tmp_path):
    selection = sample_shop.printing.targets(clusters=["once"], as_of=AS_OF)
    pages = sample_shop.printing.target_list_pages(selection.targets)
    out = tmp_path / "list.pdf"
    assert write_pdf(pages, out, "対象者リスト") == pdf_pages(out) == len(pages) > 1
    text = pdf_text(out)
    for row in selection.targets.itertuples():
        assert canonical(row.name) in text
        assert f"{row.postal_code[:3]}-{row.postal_code[3:]}" in text
    assert text.count(canonical("氏名")) == len(pages)        # headers repeat on every page


def test_unwritable_pdf_is_a_clear_error(qapp, tmp_path):
    from engine.errors import OtokuiError
    page = Page(210, 297, [])
    with pytest.raises(OtokuiError, match="書き込めません"):
        write_pdf([page], tmp_path / "missing" / "x.pdf", "x")
    with pytest.raises(OtokuiError, match="印刷するもの"):
        write_pdf([], tmp_path / "x.pdf", "x")


def test_pdf_written_on_the_worker_thread_with_progress_and_cancel(qtbot, sample_shop, tmp_path):
    from engine.errors import CancelledError
    from gui.worker import QueryOp, wait_for_worker

    selection = sample_shop.printing.targets(clusters=["top1", "top10", "top20"], as_of=AS_OF)
    pages = sample_shop.printing.label_pages(selection.targets, "a4-12")
    here, there = tmp_path / "here.pdf", tmp_path / "there.pdf"
    write_pdf(pages, here, "宛名ラベル")
    heard, results = [], []
    op = QueryOp(None, sample_shop, lambda shop, progress, cancel: write_pdf(
        pages, there, "宛名ラベル", lambda f, m: heard.append((f, m)), cancel),
        success=results.append).run_in_background()
    wait_for_worker()
    qtbot.waitUntil(lambda: not op.running, timeout=10000)
    assert results == [3] and pdf_pages(there) == 3
    assert pdf_text(there) == pdf_text(here)
    assert [m for _f, m in heard] == ["1 / 3ページ目を作っています", "2 / 3ページ目を作っています",
                                      "3 / 3ページ目を作っています"]
    # Cancelled after the first page: no half-written file is left behind.
    asked = iter([False, True])
    with pytest.raises(CancelledError):
        write_pdf(pages, tmp_path / "cancelled.pdf", "宛名ラベル", cancel=lambda: next(asked))
    assert not (tmp_path / "cancelled.pdf").exists()
