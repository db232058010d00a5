"""Exports are formula-safe in CSV and .xlsx (SPEC §7)."""
import io
import zipfile

import pandas as pd
import pytest
from openpyxl import load_workbook

from engine.export import write_csv, write_table

HOSTILE = ["=1+1", "+81 90 1234 5678", "-2+3", "@SUM(A1)", "\t=cmd", "\r=cmd",
           "=HYPERLINK(\"http://example.com\",\"x\")", "=cmd|' /C calc'!A0"]
# Full-width ＝＋－＠ are ordinary characters when Excel or LibreOffice reads a file
# (only typing them through the IME can turn them into operators), so they stay as they
# are: neutralising them would put a stray apostrophe before names like 「－限定－」.
FULL_WIDTH = ["＝1+1", "＋α", "－限定－", "＠ショップ"]
PLAIN = ["山田 花子", "1-2-3", "a=b", "'quoted", ""]


def frame() -> pd.DataFrame:
    values = HOSTILE + FULL_WIDTH + PLAIN
    return pd.DataFrame({"text": values, "number": range(-3, len(values) - 3)})


def test_csv_neutralises_every_formula_start():
    buffer = io.BytesIO()
    write_csv(frame(), buffer)
    back = pd.read_csv(io.BytesIO(buffer.getvalue()), encoding="utf-8-sig", dtype=str,
                       keep_default_na=False)
    assert back["text"].tolist() == ["'" + v for v in HOSTILE] + FULL_WIDTH + PLAIN
    # Numbers stay numbers: a negative amount is not a formula.
    assert back["number"].tolist()[:4] == ["-3", "-2", "-1", "0"]


def test_xlsx_stores_formula_like_text_as_text(tmp_path):
    out = tmp_path / "list.xlsx"
    write_table(frame(), out)
    sheet = load_workbook(out).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    # XML readers turn a stored CR into LF; the text is otherwise kept exactly.
    expected = [v.replace("\r", "\n") for v in HOSTILE + FULL_WIDTH + PLAIN]
    assert [c.value if c.value is not None else "" for c in cells] == expected
    assert {c.data_type for c in cells if c.value is not None} == {"s"}
    assert [row[1].value for row in sheet.iter_rows(min_row=2, max_row=3)] == [-3, -2]
    # Nothing in the sheet's XML is a formula element.
    with zipfile.ZipFile(out) as book:
        xml = book.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in xml and "<f " not in xml


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_write_table_by_extension_is_safe(tmp_path, suffix):
    out = tmp_path / f"list{suffix}"
    write_table(pd.DataFrame({"name": ["=1+1"]}), out)
    if suffix == ".csv":
        assert out.read_bytes().decode("utf-8-sig").splitlines()[1] == "'=1+1"
    else:
        cell = load_workbook(out).active["A2"]
        assert (cell.value, cell.data_type) == ("=1+1", "s")


# --- the fast CSV writer writes exactly what pandas would ----------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from engine.export import _safe_text  # noqa: E402

CELL_TEXT = st.text(alphabet=st.sampled_from(list('ab山田 ,"\r\n\t=+-@\'１－') + ["\u3000"]),
                    max_size=8)


def pandas_csv(frame: pd.DataFrame) -> bytes:
    return b"\xef\xbb\xbf" + _safe_text(frame).to_csv(index=False, lineterminator="\r\n").encode()


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 6).flatmap(lambda n: st.fixed_dictionaries({
    "ints": st.lists(st.integers(-10 ** 12, 10 ** 12), min_size=n, max_size=n),
    "floats": st.lists(st.one_of(st.floats(allow_infinity=False), st.just(float("nan"))),
                       min_size=n, max_size=n),
    "texts": st.lists(CELL_TEXT, min_size=n, max_size=n),
    "mixed": st.lists(st.one_of(CELL_TEXT, st.none(), st.integers(-5, 5)), min_size=n,
                      max_size=n),
    "flags": st.lists(st.booleans(), min_size=n, max_size=n)})))
def test_fast_csv_equals_pandas(columns):
    frame = pd.DataFrame({
        "番号": pd.Series(columns["ints"], dtype="int64"),
        "金額": pd.Series(columns["floats"], dtype="float64"),
        "氏名": pd.Series(columns["texts"], dtype=str),
        "備考": pd.Series(columns["mixed"], dtype=object),
        "DM": pd.Series(columns["flags"], dtype=bool),
        "周期": pd.Series([None if i % 3 == 0 else i for i in range(len(columns["ints"]))],
                        dtype="Int64"),
        "率": pd.Series([None if i % 2 else i / 4 for i in range(len(columns["ints"]))],
                       dtype="Float64")})
    buffer = io.BytesIO()
    write_csv(frame, buffer)
    assert buffer.getvalue() == pandas_csv(frame)


def test_dates_and_categories_are_written_as_pandas_writes_them():
    frame = pd.DataFrame({"日付": pd.to_datetime(["2025-07-01", "2025-07-02"]),
                          "区分": pd.Series(["=a", "b"], dtype="category")})
    buffer = io.BytesIO()
    write_csv(frame, buffer)
    assert buffer.getvalue() == pandas_csv(frame)
    assert "2025-07-01,'=a\r\n" in buffer.getvalue().decode("utf-8-sig")


# --- the Arrow writer writes exactly what the csv module wrote, cell by cell ----------

import csv  # noqa: E402

from engine import export  # noqa: E402
from engine.export import neutralise  # noqa: E402


def csv_module_csv(frame: pd.DataFrame) -> bytes:
    """The writer before Arrow: the csv module, one formula-safe cell at a time."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["" if c is None else str(c) for c in frame.columns])
    # A frame without columns was written as its (empty) header alone.
    for row in frame.itertuples(index=False) if frame.shape[1] else []:
        writer.writerow(["" if export._missing(v) else neutralise(v) for v in row])
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


TRICKY_TEXT = HOSTILE + FULL_WIDTH + PLAIN + [
    'say "hi"', '"', '""', "a,b", ",", "line\nbreak", "crlf\r\nend", "tab\tin", " lead",
    "trail ", "髙橋 﨑山 ①②", "🍣と鮨", "\u3000全角空白", "=髙", "-", "+", "@", "'=x",
    "x" * 300, "カンマ、読点,半角", None, float("nan"), pd.NA]


def tricky_frame() -> pd.DataFrame:
    n = len(TRICKY_TEXT)
    cycle = lambda values: [values[i % len(values)] for i in range(n)]  # noqa: E731
    return pd.DataFrame({
        "文字列": pd.Series(TRICKY_TEXT, dtype=object),
        "str型": pd.Series(TRICKY_TEXT, dtype=str),
        "区分": pd.Series(cycle(["=区分", "通常", None, "a,b"]), dtype="category"),
        "混在": pd.Series(cycle(["=x", 7, -3, 2.5, True, None, "ok", float("nan")]),
                        dtype=object),
        "空": pd.Series([None] * n, dtype=object),
        "整数": pd.Series(cycle([0, -1, 2 ** 63 - 1, -2 ** 63, 10 ** 12]), dtype="int64"),
        "符号なし": pd.Series(cycle([0, 2 ** 64 - 1]), dtype="uint64"),
        "小数": pd.Series(cycle([0.1, -0.0, 1e16, 1.5e-7, float("inf"), float("nan"), 100.0]),
                        dtype="float64"),
        "件数": pd.Series(cycle([1, None, -5]), dtype="Int64"),
        "率": pd.Series(cycle([0.25, None, 3.0]), dtype="Float64"),
        "可否": pd.Series(cycle([True, False]), dtype=bool),
        "同意": pd.Series(cycle([True, None, False]), dtype="boolean"),
        "a,b \"見出し\"": range(n),
    })


@pytest.mark.parametrize("lines_per_write", [3, 65_536])
def test_tricky_frame_bytes_equal_the_csv_module(monkeypatch, lines_per_write):
    # A small slice size puts cells of every kind at the start and end of a slice.
    monkeypatch.setattr(export, "_LINES_PER_WRITE", lines_per_write)
    frame = tricky_frame()
    buffer = io.BytesIO()
    write_csv(frame, buffer)
    assert buffer.getvalue() == csv_module_csv(frame) == pandas_csv(frame)


@pytest.mark.parametrize("frame", [
    pd.DataFrame({"氏名": ["", None, "a", "=1"]}),                 # a row's only field
    pd.DataFrame({"": pd.Series([None, ""], dtype=str)}),
    pd.DataFrame({"氏名": pd.Series([], dtype=str), "n": pd.Series([], dtype="int64")}),
    pd.DataFrame({None: [1, 2], 3: ["x", "y"]}),
    pd.DataFrame(index=range(3)),
], ids=["one-column", "one-str-column", "no-rows", "odd-names", "no-columns"])
def test_edge_shapes_equal_the_csv_module(frame):
    buffer = io.BytesIO()
    write_csv(frame, buffer)
    assert buffer.getvalue() == csv_module_csv(frame)


def test_formula_cells_are_neutralised_wherever_they_are(monkeypatch):
    monkeypatch.setattr(export, "_LINES_PER_WRITE", 4)
    names = ["山田"] * 10
    names[0], names[5], names[9] = "=SUM(A1)", "@cmd", "-1+2"
    frame = pd.DataFrame({"氏名": pd.Series(names, dtype=str),
                          "備考": pd.Series(["+81", None] * 5, dtype=object),
                          "区分": pd.Series(["\t=x", "b"] * 5, dtype="category")})
    buffer = io.BytesIO()
    write_csv(frame, buffer)
    rows = buffer.getvalue().decode("utf-8-sig").split("\r\n")
    assert rows[0] == "氏名,備考,区分"
    assert rows[1] == "'=SUM(A1),'+81,'\t=x"
    assert rows[2] == "山田,,b"
    assert rows[6] == "'@cmd,,b"
    assert rows[10] == "'-1+2,,b"
    assert rows[11] == ""


def test_characters_outside_cp932_are_kept_as_utf8():
    buffer = io.BytesIO()
    write_csv(pd.DataFrame({"氏名": ["髙﨑①", "🍣"]}), buffer)
    assert buffer.getvalue() == "\ufeff氏名\r\n髙﨑①\r\n🍣\r\n".encode("utf-8")
