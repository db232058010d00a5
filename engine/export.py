"""Writing tables to CSV (UTF-8 with BOM, for Excel) and .xlsx, formula-safe."""
from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from engine.errors import InvalidInputError, OtokuiError

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _safe_text(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for col in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[col]):
            values = frame[col].to_numpy(dtype=object)
            # First characters through numpy (C speed); only the few candidates are
            # checked in Python, so a column of ints and None keeps its ints.
            first = values.astype("U1")
            candidates = np.flatnonzero(np.isin(first, FORMULA_START))
            risky = [i for i in candidates if isinstance(values[i], str)]
            if risky:
                values = values.copy()
                values[risky] = ["'" + values[i] for i in risky]
                frame[col] = pd.Series(values, index=frame.index, dtype=object)
    return frame


def write_csv(frame: pd.DataFrame, stream: BinaryIO) -> None:
    """UTF-8 with BOM, CRLF, minimal quoting, formula-safe: byte for byte what pandas'
    ``to_csv`` (the csv module) writes, but each column's cells are made as Arrow text
    and the lines are joined in C (a 330k-customer list: 1.6 s → 0.2 s)."""
    columns = [_csv_cells(frame.iloc[:, i], frame.shape[1] == 1)
               for i in range(frame.shape[1])]
    if any(c is None for c in columns):
        text = _safe_text(frame).to_csv(index=False, lineterminator="\r\n")
        stream.write(b"\xef\xbb\xbf" + text.encode("utf-8"))
        return
    header = io.StringIO()
    csv.writer(header, lineterminator="\r\n").writerow(
        ["" if c is None else str(c) for c in frame.columns])
    stream.write(b"\xef\xbb\xbf" + header.getvalue().encode("utf-8"))
    if not columns:
        return
    # A slice of lines at a time: the whole file is never held twice.
    for start in range(0, len(frame), _LINES_PER_WRITE):
        cells = [c.slice(start, _LINES_PER_WRITE) for c in columns]
        cells[-1] = pc.binary_join_element_wise(cells[-1], _text("\r\n"), _text(""))
        stream.write(_joined_bytes(pc.binary_join_element_wise(*cells, _text(","))))


_LINES_PER_WRITE = 65_536
_FORMULA_START_BYTES = np.frombuffer("".join(FORMULA_START).encode("ascii"), dtype=np.uint8)
_QUOTED_BYTES = (b",", b'"', b"\r", b"\n")


def _csv_cells(series: pd.Series, alone: bool) -> pa.Array | None:
    """The column's cells as the csv module writes them (formula-safe, quoted where
    needed, missing as empty), or None for a type whose text pandas formats its own
    way (dates, durations …)."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        series, dtype = series.astype(object), np.dtype(object)
    if dtype.kind == "b":
        cells = pc.if_else(_arrow(series), _text("True"), _text("False"))
    elif dtype.kind in "iu":
        cells = _arrow(series).cast(pa.large_string())
    elif dtype.kind == "f":
        # Python's repr of a float (what the csv module writes) is not Arrow's text.
        cells = _python_cells([None if _missing(v) else v for v in series.tolist()])
    elif isinstance(dtype, pd.StringDtype) or dtype == object:
        cells = _text_cells(series)
    else:
        return None
    cells = cells.fill_null(_text(""))
    # The csv module quotes a row's only field when it is empty.
    if alone:
        cells = pc.if_else(pc.equal(cells, _text("")), _text('""'), cells)
    return cells


def _text_cells(series: pd.Series) -> pa.Array:
    try:
        cells = _arrow(series)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        cells = None
    if cells is None or not (pa.types.is_string(cells.type)
                             or pa.types.is_large_string(cells.type)
                             or pa.types.is_null(cells.type)):
        # Numbers or other objects among the text: each cell as the csv module does.
        return _python_cells([None if _missing(v) else neutralise(v)
                              for v in series.tolist()])
    cells = cells.cast(pa.large_string()).fill_null(_text(""))
    offsets, data = _offsets(cells), np.frombuffer(cells.buffers()[2] or b"", dtype=np.uint8)
    starts = offsets[:-1]
    # Every formula start is one ASCII byte: each cell's first byte tells.
    risky = (offsets[1:] > starts) & np.isin(data[np.minimum(starts, len(data) - 1)],
                                              _FORMULA_START_BYTES) if len(data) else None
    if risky is not None and risky.any():
        cells = pc.if_else(risky, pc.binary_join_element_wise(_text("'"), cells, _text("")),
                           cells)
    return _quoted(cells)


def _python_cells(values: list) -> pa.Array:
    texts = [None if v is None else repr(v) if isinstance(v, float) else str(v)
             for v in values]
    return _quoted(pa.array(texts, type=pa.large_string()))


def _quoted(cells: pa.Array) -> pa.Array:
    """Minimal quoting: a cell with a comma, quote, CR or LF is quoted, quotes doubled."""
    text = bytes(_joined_bytes(cells))
    if not any(b in text for b in _QUOTED_BYTES):  # the usual case: one C search each
        return cells
    needs = pc.match_substring_regex(cells, '[,"\r\n]')
    quoted = pc.binary_join_element_wise(
        _text('"'), pc.replace_substring(cells, '"', '""'), _text('"'), _text(""))
    return pc.if_else(needs, quoted, cells)


def _arrow(series: pd.Series) -> pa.Array:
    cells = pa.array(series, from_pandas=True)
    return cells.combine_chunks() if isinstance(cells, pa.ChunkedArray) else cells


def _text(value: str) -> pa.Scalar:
    return pa.scalar(value, pa.large_string())


def _offsets(cells: pa.Array) -> np.ndarray:
    width = np.int64 if pa.types.is_large_string(cells.type) else np.int32
    return np.frombuffer(cells.buffers()[1], dtype=width)[
        cells.offset:cells.offset + len(cells) + 1]


def _joined_bytes(cells: pa.Array) -> memoryview:
    """The text of a string array's cells back to back: its data buffer, no copy."""
    offsets, data = _offsets(cells), cells.buffers()[2]
    if data is None:
        return memoryview(b"")
    return memoryview(data)[int(offsets[0]):int(offsets[-1])]


def _missing(value) -> bool:
    return (value is None or value is pd.NA or value is pd.NaT
            or (isinstance(value, float) and value != value))


def write_xlsx(frame: pd.DataFrame, path: Path, sheet_title: str = "一覧",
               headers: list[str] | None = None) -> None:
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=False)
    sheet = book.active
    sheet.title = sheet_title
    headers = headers or [str(c) for c in frame.columns]
    sheet.append(headers)
    for row in frame.itertuples(index=False):
        sheet.append([None if (v is None or (isinstance(v, float) and pd.isna(v))) else v
                      for v in row])
    # Strings are stored as text cells, never formulas.
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    for index, header in enumerate(headers, start=1):
        values = frame.iloc[:, index - 1].astype(str).head(500)
        width = max([_display_width(header)] + [_display_width(v) for v in values])
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 6), 60)
    sheet.freeze_panes = "A2"
    book.save(path)


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in str(text))


def save_table(frame: pd.DataFrame, path: Path, sheet_title: str = "一覧") -> None:
    """A list the user saves from a screen: .xlsx (column widths, text cells) or CSV
    (UTF-8 with BOM) by the file's extension."""
    try:
        if path.suffix.lower() == ".xlsx":
            write_xlsx(frame, path, sheet_title=sheet_title)
        elif path.suffix.lower() == ".csv":
            with open(path, "wb") as stream:
                write_csv(frame, stream)
        else:
            raise InvalidInputError(f"{path.name}: 保存できるのは .xlsx と .csv です。")
    except PermissionError:
        raise OtokuiError(f"{path.name}: ファイルに書き込めません。Excelで開いている場合は"
                          "閉じてから、もう一度保存してください。") from None


def write_table(frame: pd.DataFrame, out: Path | None, stdout=None) -> None:
    """CSV or .xlsx by the file's extension; CSV to stdout when ``out`` is None."""
    if out is None:
        stream = getattr(stdout or sys.stdout, "buffer", None)
        if stream is None:
            buffer = io.BytesIO()
            write_csv(frame, buffer)
            (stdout or sys.stdout).write(buffer.getvalue().decode("utf-8-sig"))
        else:
            write_csv(frame, stream)
            stream.flush()
        return
    suffix = out.suffix.lower()
    try:
        if suffix == ".xlsx":
            write_xlsx(frame, out)
        elif suffix in (".csv", ".txt"):
            with open(out, "wb") as stream:
                write_csv(frame, stream)
        else:
            raise InvalidInputError(f"{out.name}: 出力できるのは .csv と .xlsx です。")
    except PermissionError:
        raise OtokuiError(
            f"{out.name}: ファイルに書き込めません。Excelで開いている場合は閉じてから、もう一度実行してください。"
        ) from None
