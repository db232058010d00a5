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
