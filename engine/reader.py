"""Reading an export into a table of strings: encoding, delimiter, CSV/TSV/xlsx."""
from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import warnings
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pandas as pd

from engine.errors import BadFileError


@dataclass
class Table:
    """All cells as str ('' when empty); ``rows`` holds each data row's row number
    in the file as a spreadsheet would show it (the header is row 1 for CSV)."""
    headers: list[str]
    frame: pd.DataFrame
    rows: np.ndarray
    encoding: str
    sha256: str = ""


def read_table(path: Path) -> Table:
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BadFileError(path, "ファイルが見つかりません。") from None
    except IsADirectoryError:
        raise BadFileError(path, "フォルダーです。注文データのファイルを指定してください。") from None
    except OSError as exc:
        raise BadFileError(path, f"ファイルを開けません（{exc.strerror}）。") from None
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise BadFileError(path, "ファイルが空です。注文データをもう一度エクスポートしてください。")
    table = _parse(path, data)
    table.sha256 = hashlib.sha256(data).hexdigest()
    return table


def _parse(path: Path, data: bytes) -> Table:
    suffix = path.suffix.lower()
    if data[:4] == b"PK\x03\x04":
        return _read_xlsx(path, data)
    if suffix in (".xlsx", ".xlsm"):
        raise BadFileError(path, "Excelファイル（.xlsx）として読めません。中身が別の形式のようです。"
                                 "Excelで開いて「.xlsx」か「CSV」で保存し直してください。")
    if suffix == ".xls" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise BadFileError(path, "古いExcel形式（.xls）には対応していません。"
                                 "Excelで「.xlsx」か「CSV」で保存し直してください。")
    if b"\x00" in data:
        raise BadFileError(path, "表形式のテキスト（CSV・TSV）ではありません。",
                           row=_row_of(data, data.index(b"\x00")))
    text, encoding = _decode(path, data)
    return _read_delimited(path, text, encoding)


def _row_of(data: bytes, position: int) -> int:
    return data.count(b"\n", 0, position) + 1


def _decode(path: Path, data: bytes) -> tuple[str, str]:
    """UTF-8 BOM → strict UTF-8 → cp932 (never shift_jis: it lacks ①, 髙, 﨑, №, ～)."""
    if data.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    else:
        candidates = ["utf-8", "cp932"]
    failures = []
    for encoding in candidates:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            failures.append(exc)
    # A file cut in the middle of a multibyte character fails only at its very end.
    for exc in failures:
        if exc.end >= len(data) and exc.start >= len(data) - 3:
            raise BadFileError(path, "ファイルが途中で切れています（最後の文字が欠けています）。"
                                     "もう一度エクスポートしてください。",
                               row=_row_of(data, exc.start)) from None
    furthest = max(failures, key=lambda e: e.start)
    raise BadFileError(path, "文字コードを判別できません（UTF-8でもShift_JISでもありません）。"
                             "CSVで保存し直してください。",
                       row=_row_of(data, furthest.start)) from None


def _read_delimited(path: Path, text: str, encoding: str) -> Table:
    first_line = text.split("\n", 1)[0]
    sep = "\t" if first_line.count("\t") > first_line.count(",") else ","
    try:
        # index_col=False: a first data row with more cells than the header must not
        # silently become the row index and shift every column one place left.
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                                na_filter=False, skip_blank_lines=False, engine="c",
                                quoting=csv.QUOTE_MINIMAL, index_col=False)
    except pd.errors.ParserWarning:
        raise BadFileError(path, "見出しより列の多い行があります（区切り文字や引用符が崩れています）。",
                           row=_first_long_row(text, sep)) from None
    except pd.errors.ParserError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise BadFileError(path, "列の数がほかの行と合いません（区切り文字や引用符が崩れています）。",
                           row=int(match.group(1)) if match else None) from None
    except pd.errors.EmptyDataError:
        raise BadFileError(path, "ファイルに表のデータがありません。") from None
    return _finish(path, frame, first_row=2, encoding=encoding)


def _first_long_row(text: str, sep: str) -> int | None:
    """The file row of the first record with more cells than the header (error path only)."""
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    width = len(next(reader, []))
    return next((reader.line_num for record in reader if len(record) > width), None)


def _finish(path: Path, frame: pd.DataFrame, first_row: int, encoding: str) -> Table:
    headers = [str(c).strip() for c in frame.columns]
    if len(headers) < 2:
        raise BadFileError(path, "表形式のデータではありません（見出し行に列が1つしかありません）。", row=1)
    frame.columns = headers
    frame = frame.fillna("").astype(str)
    rows = frame.index.to_numpy() + first_row
    blank = (frame.apply(lambda col: col.str.strip()) == "").all(axis=1).to_numpy()
    frame = frame.loc[~blank].reset_index(drop=True)
    rows = rows[~blank]
    if frame.empty:
        raise BadFileError(path, "見出し行のほかにデータ行がありません。")
    return Table(headers, frame, rows, encoding)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(path: Path, data: bytes) -> Table:
    from openpyxl import load_workbook

    # A damaged .xlsx can fail anywhere inside zipfile, zlib, the XML parser or
    # openpyxl (read-only sheets are parsed lazily, while iterating), with many
    # exception types; any of them means "cannot read this workbook".
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            raw = [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        finally:
            book.close()
    except Exception as exc:  # noqa: BLE001 — see above
        raise BadFileError(path, f"Excelファイルとして読めません（{type(exc).__name__}: {exc}）。"
                                 "Excelで開いて保存し直してください。") from None
    header_index = next((i for i, row in enumerate(raw[:50])
                         if sum(1 for v in row if v.strip()) >= 2), None)
    if header_index is None:
        raise BadFileError(path, "最初のシートに見出し行が見つかりません。")
    headers = raw[header_index]
    width = len(headers)
    body = [(row + [""] * width)[:width] for row in raw[header_index + 1:]]
    frame = pd.DataFrame(body, columns=headers, dtype=str)
    return _finish(path, frame, first_row=header_index + 2, encoding="xlsx")
