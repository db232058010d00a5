"""Bad input: a clear error naming file, row and column; the database unchanged."""
import csv
import io
import os
import re
import zipfile
from pathlib import Path

import pytest

from engine import BadFileError, Shop
from engine.imports.formats import UnknownFormatError
from tests.support.snapshot import SAMPLES, snapshot

RAKUTEN = SAMPLES / "rakuten" / "rakuten_202507.csv"
SHOPIFY = SAMPLES / "shopify" / "shopify_202507.csv"


@pytest.fixture
def shop(empty_shop):
    """A shop in each store with one file imported: a refused file leaves it as it was."""
    empty_shop.imports.import_file(SAMPLES / "base" / "base_202507.csv")
    return empty_shop


def rewrite(source, target, row, column, value, encoding):
    """Copy an export with one cell changed; ``row`` as a spreadsheet shows it."""
    text = source.read_bytes().decode(encoding)
    delimiter = "\t" if source.suffix == ".txt" else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    rows[row - 1][rows[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    target.write_bytes(out.getvalue().encode(encoding))
    return target


def failing_import(shop, path, **kwargs):
    before = snapshot(shop)
    imports_before = shop.db.scalar("SELECT count(*) FROM imports")
    with pytest.raises(BadFileError) as info:
        shop.imports.import_file(path, **kwargs)
    assert snapshot(shop) == before
    assert shop.db.scalar("SELECT count(*) FROM imports") == imports_before
    assert str(info.value).startswith(path.name)
    return info.value


def test_empty_file(shop, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert "空" in failing_import(shop, path).reason


def test_random_bytes(shop, tmp_path):
    path = tmp_path / "noise.csv"
    path.write_bytes(os.urandom(4096) + b"\x00")
    error = failing_import(shop, path)
    assert error.row is not None


def test_random_bytes_without_nul(shop, tmp_path):
    path = tmp_path / "noise2.csv"
    path.write_bytes(bytes(b for b in os.urandom(8000) if b))
    failing_import(shop, path)


def test_utf8_file_cut_in_a_multibyte_character(shop, tmp_path):
    data = SHOPIFY.read_bytes()
    cut = data.rindex("ハンド".encode()) + 1  # inside the 3-byte ハ
    path = tmp_path / "cut.csv"
    path.write_bytes(data[:cut])
    error = failing_import(shop, path)
    assert "途中で切れて" in error.reason
    assert error.row == data[:cut].count(b"\n") + 1


def test_cp932_file_cut_in_a_multibyte_character(shop, tmp_path):
    data = RAKUTEN.read_bytes()
    cut = len(data) - 40
    while data[cut - 1] < 0x81:  # move back until the cut splits a double-byte character
        cut -= 1
    path = tmp_path / "cut_sjis.csv"
    path.write_bytes(data[:cut])
    error = failing_import(shop, path)
    assert "途中で切れて" in error.reason


def test_non_numeric_price_names_row_and_column(shop, tmp_path):
    path = rewrite(RAKUTEN, tmp_path / "price.csv", 6, "単価", "四千円", "cp932")
    error = failing_import(shop, path)
    assert (error.row, error.column) == (6, "単価")
    assert str(error).startswith("price.csv 6行目「単価」列")


def test_bad_date_names_row_and_column(shop, tmp_path):
    path = rewrite(SHOPIFY, tmp_path / "date.csv", 3, "Created at", "昨日", "utf-8-sig")
    error = failing_import(shop, path)
    assert (error.row, error.column) == (3, "Created at")


def test_text_file_named_xlsx(shop, tmp_path):
    path = tmp_path / "orders.xlsx"
    path.write_bytes(RAKUTEN.read_bytes())
    assert ".xlsx" in failing_import(shop, path).reason


def test_unknown_headers(shop, tmp_path):
    path = tmp_path / "unknown.csv"
    path.write_text("品番,お名前,いくら\nA,山田,100\n", encoding="utf-8")
    error = failing_import(shop, path)
    assert isinstance(error, UnknownFormatError)
    assert error.headers == ["品番", "お名前", "いくら"] and error.row == 1


def test_ragged_row(shop, tmp_path):
    text = SHOPIFY.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    text[3] = text[3].rstrip("\r\n") + ',"extra","cells"\r\n'
    path = tmp_path / "ragged.csv"
    path.write_text("".join(text), encoding="utf-8-sig")
    assert failing_import(shop, path).row == 4


def test_missing_required_column_for_a_forced_format(shop, tmp_path):
    path = tmp_path / "partial.csv"
    path.write_text("注文番号,注文日時\n1,2025-07-01\n", encoding="utf-8")
    error = failing_import(shop, path, format_name="rakuten")
    assert "単価" in error.reason


def test_a_late_error_leaves_no_partial_import(shop, tmp_path):
    last = len(RAKUTEN.read_bytes().splitlines())
    path = rewrite(RAKUTEN, tmp_path / "late.csv", last, "注文日時", "2025-99-01 10:00:00", "cp932")
    error = failing_import(shop, path)
    assert error.row == last and error.column == "注文日時"


@pytest.mark.parametrize("extra_row", [2, 5])
def test_a_row_with_more_cells_than_the_header_is_refused_not_shifted(shop, tmp_path, extra_row):
    # Found by the hypothesis suite: when the first data row had one cell too many,
    # pandas took the first column as the row index and shifted every column left.
    lines = SHOPIFY.read_text(encoding="utf-8").splitlines()
    lines[extra_row - 1] += ',"extra"'
    path = tmp_path / "shifted.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    error = failing_import(shop, path)
    assert error.row == extra_row
    assert "見出しより列の多い行" in error.reason or "列の数" in error.reason


def test_a_damaged_xlsx_is_refused(shop, tmp_path):
    # Found by the hypothesis suite: one changed byte inside the compressed sheet made
    # zlib raise while openpyxl parsed the rows lazily.
    data = bytearray((SAMPLES / "generic" / "generic_202509.xlsx").read_bytes())
    data[len(data) // 2] = (data[len(data) // 2] + 1) % 256
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(bytes(data))
    assert "Excelファイルとして読めません" in failing_import(shop, path).reason


@pytest.mark.parametrize("column,value,expected,blamed", [
    # Each fine alone; times the quantity 11 past a line's bound of 10**9.
    ("Lineitem price", "99999999", "小計（単価×数量）が大きすぎます", "Lineitem quantity"),
    ("Lineitem price", "1e400", "単価（税込）が大きすぎます", "Lineitem price"),
    ("Lineitem price", "inf", "単価（税込）が大きすぎます", "Lineitem price"),
    ("Lineitem quantity", "3000000000000", "数量が大きすぎます", "Lineitem quantity"),
    ("Shipping", "-1e13", "送料が大きすぎます", "Shipping"),
])
def test_numbers_too_large_to_be_exact_are_refused(shop, tmp_path, column, value, expected,
                                                    blamed):
    # Found by the hypothesis suite: beyond 2**53 the float arithmetic rounded the yen.
    rows = list(csv.reader(io.StringIO(SHOPIFY.read_text(encoding="utf-8"))))
    rows[1][rows[0].index("Lineitem quantity")] = "11"
    path = rewrite_rows(rows, tmp_path / "big.csv")
    path = rewrite(path, path, 2, column, value, "utf-8")
    error = failing_import(shop, path)
    assert expected in error.reason
    assert (error.row, error.column) == (2, blamed)


def rewrite_rows(rows, target):
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    target.write_bytes(out.getvalue().encode("utf-8"))
    return target


# --- values no order can have are refused, naming file, row and column --------------

@pytest.mark.parametrize("column,value,expected", [
    ("Created at", "0001-01-01 10:00:00 +0900", "ありえない日付"),
    ("Created at", "9999-12-31 00:00:00", "ありえない日付"),
    ("Lineitem quantity", "-3", "数量がマイナスです"),
    ("Lineitem quantity", "0.4", "数量が整数ではありません"),
    ("Lineitem price", "-5000", "単価（税込）がマイナスです"),
    ("Lineitem price", "99999999999", "単価（税込）が大きすぎます"),
    ("Billing Name", "山" * 5_000_000, "氏名が長すぎます"),
])
def test_impossible_values_are_refused(shop, tmp_path, column, value, expected):
    path = rewrite(SHOPIFY, tmp_path / "bad.csv", 2, column, value, "utf-8")
    error = failing_import(shop, path)
    assert expected in error.reason
    assert (error.row, error.column) == (2, column)


def test_an_order_without_any_date_is_refused(shop, tmp_path):
    rows = list(csv.reader(io.StringIO(SHOPIFY.read_text(encoding="utf-8"))))
    date = rows[0].index("Created at")
    number = rows[1][rows[0].index("Name")]
    for row in rows[1:]:
        if row[rows[0].index("Name")] == number:
            row[date] = ""
    error = failing_import(shop, rewrite_rows(rows, tmp_path / "nodate.csv"))
    assert "注文日時が空です" in error.reason and (error.row, error.column) == (2, "Created at")


# --- workbooks and texts as other programs write them --------------------------------

def _zip_with(path: Path, target: Path, member: str, change) -> Path:
    """A copy of a workbook with one member changed (``change(b"")`` adds a missing one)."""
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info.filename)
            out.writestr(info, change(data) if info.filename == member else data)
        if member not in source.namelist():
            out.writestr(member, change(b""))
    return target


def test_a_workbook_claiming_a_million_rows_by_16384_columns_reads_its_real_cells(shop, tmp_path):
    workbook = SAMPLES / "generic" / "generic_202509.xlsx"
    claims = _zip_with(workbook, tmp_path / "claims.xlsx", "xl/worksheets/sheet1.xml",
                       lambda xml: re.sub(rb'<dimension ref="[^"]+"',
                                          b'<dimension ref="A1:XFD1048576"', xml))
    with zipfile.ZipFile(claims) as archive:
        assert b"XFD1048576" in archive.read("xl/worksheets/sheet1.xml")
    honest = Shop(":memory:").imports.import_file(workbook)
    result = shop.imports.import_file(claims)
    assert (result.orders_added, result.rows_read) == (honest.orders_added, honest.rows_read)


def test_a_workbook_with_absurdly_many_texts_is_refused_before_reading_them(shop, tmp_path):
    workbook = SAMPLES / "generic" / "generic_202509.xlsx"
    # The table of texts Excel keeps, declaring 30 million of them.
    bloated = _zip_with(workbook, tmp_path / "bloated.xlsx", "xl/sharedStrings.xml",
                        lambda _xml: b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://'
                                     b'schemas.openxmlformats.org/spreadsheetml/2006/main" '
                                     b'count="30000000" uniqueCount="30000000"><si><t>a</t></si></sst>')
    assert "大きすぎます" in failing_import(shop, bloated).reason


def test_a_big_workbook_is_read_in_parts_and_can_be_cancelled(tmp_path):
    from openpyxl import Workbook

    from engine.errors import CancelledError
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["受注番号", "受注日", "氏名", "商品コード", "単価", "数量"])
    for number in range(1, 45_001):
        sheet.append([str(number), "2025-07-01", f"客{number % 900}", "S1", 1000, 1])
    path = tmp_path / "big.xlsx"
    book.save(path)
    shop = Shop(":memory:")
    messages = []
    result = shop.imports.import_file(path, progress=lambda f, m: messages.append(m))
    assert result.orders_added == 45_000
    # Written part by part as it was read (20,000 rows at a time), not read whole first.
    assert sum("注文を書き込んでいます" in m for m in messages) >= 3
    fresh, written = Shop(":memory:"), []
    with pytest.raises(CancelledError):   # asked while the second part is being read
        fresh.imports.import_file(path, progress=lambda f, m: written.append(m),
                                  cancel=lambda: sum("注文を書き込んでいます" in m
                                                     for m in written) >= 1)
    assert fresh.db.scalar("SELECT count(*) FROM orders") == 0


def test_excel_unicode_text_utf16_with_tabs_imports_like_the_csv(shop, tmp_path):
    rows = list(csv.reader(io.StringIO(SHOPIFY.read_text(encoding="utf-8"))))
    out = io.StringIO()
    csv.writer(out, delimiter="\t", lineterminator="\r\n").writerows(rows)
    unicode_text = tmp_path / "orders.txt"
    unicode_text.write_bytes(out.getvalue().encode("utf-16"))   # BOM, little-endian
    assert unicode_text.read_bytes()[:2] == b"\xff\xfe"
    expected = Shop(":memory:").imports.import_file(SHOPIFY)
    result = Shop(":memory:").imports.import_file(unicode_text)
    assert (result.orders_added, result.lines, result.source) == \
        (expected.orders_added, expected.lines, "shopify")
