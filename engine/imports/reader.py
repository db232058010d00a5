"""Reading an export into a table of strings: encoding, delimiter, CSV/TSV/xlsx."""
from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import re
import warnings
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from engine.errors import BadFileError


def python_text():
    """While an import runs, pandas keeps text as Python strings (its storage before
    pyarrow was installed): the import's normalising works cell by cell on Python
    strings, and Arrow-backed text would be converted both ways for every column
    (11–20 % more CPU for an import)."""
    return pd.option_context("mode.string_storage", "python")


@dataclass
class Origin:
    """Columns a table took from another file (an order file joined to its lines):
    that file, and the row each of the table's rows came from there."""
    path: Path
    columns: frozenset[str]
    rows: np.ndarray


@dataclass
class Table:
    """All cells as str ('' when empty); ``rows`` holds each data row's row number
    in the file as a spreadsheet would show it (the header is row 1 for CSV)."""
    headers: list[str]
    frame: pd.DataFrame
    rows: np.ndarray
    encoding: str
    sha256: str = ""
    origin: Origin | None = None

    def located(self, path: Path, column: str | None) -> tuple[Path, np.ndarray]:
        """The file ``column`` was read from and each row's number in it."""
        if self.origin is not None and column in self.origin.columns:
            return self.origin.path, self.origin.rows
        return path, self.rows

    def take(self, rows: slice | np.ndarray) -> "Table":
        """These rows only (a slice or a boolean mask), renumbered from 0."""
        origin = self.origin and Origin(self.origin.path, self.origin.columns,
                                        self.origin.rows[rows])
        return Table(self.headers, self.frame.iloc[rows].reset_index(drop=True),
                     self.rows[rows], self.encoding, origin=origin)

    def followed_by(self, other: "Table") -> "Table":
        """This table's rows, then ``other``'s."""
        origin = self.origin and Origin(self.origin.path, self.origin.columns,
                                        np.concatenate([self.origin.rows, other.origin.rows]))
        return Table(other.headers, pd.concat([self.frame, other.frame], ignore_index=True),
                     np.concatenate([self.rows, other.rows]), other.encoding, origin=origin)


CHUNK_ROWS = 100_000
_BLOCK = 1 << 22
_WHITESPACE = b" \t\r\n\xef\xbb\xbf"
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# Workbook rows read between two chunks (and so between two cancel checks):
# openpyxl reads some 30,000 rows a second.
XLSX_CHUNK_ROWS = 20_000
# What no order export is: more columns than this, more rows than Excel holds,
# more distinct texts than cells a real export has, XML past these sizes.
MAX_COLUMNS = 2_000
MAX_XLSX_ROWS = 1_048_576
MAX_SHARED_STRINGS = 5_000_000
MAX_XML_BYTES = 3 << 30


@dataclass
class OpenedFile:
    """A checked export: its hash and encoding are known, its rows are read on
    demand in chunks (so a file of any size fits in memory)."""
    path: Path
    sha256: str
    encoding: str
    headers: list[str]
    lines: int
    # A workbook's header row (0-based), found when it was opened.
    header_row: int = 0

    def chunks(self, rows: int | None = CHUNK_ROWS) -> Iterator[Table]:
        """Tables of at most ``rows`` data rows (``None``: one table). Raises
        BadFileError on a broken row, possibly after some chunks were yielded."""
        if self.encoding == "xlsx":
            yield from _read_xlsx_rows(self, None if rows is None else min(rows, XLSX_CHUNK_ROWS))
        else:
            yield from _read_delimited(self, rows)


def open_file(path: Path | str) -> OpenedFile:
    """Hash and check the file in one streaming pass and read its header row.

    Raises BadFileError for a missing, empty, binary or undecodable file.
    """
    path = Path(path)
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        raise BadFileError(path, "ファイルが見つかりません。") from None
    except IsADirectoryError:
        raise BadFileError(path, "フォルダーです。注文データのファイルを指定してください。") from None
    except OSError as exc:
        raise BadFileError(path, f"ファイルを開けません（{exc.strerror}）。") from None
    with handle:
        scan = _Scan(path)
        while block := handle.read(_BLOCK):
            scan.feed(block)
    encoding = scan.finish()
    if encoding == "xlsx":
        headers, header_row, rows = _xlsx_headers(path)
        return OpenedFile(path, scan.digest.hexdigest(), encoding, headers, rows, header_row)
    return OpenedFile(path, scan.digest.hexdigest(), encoding,
                      _read_headers(path, encoding), max(1, scan.newlines))


def peek_headers(path: Path | str) -> list[str] | None:
    """The header row alone, read cheaply (the rest of the file is neither hashed
    nor checked): enough to tell which files belong together before importing
    them. None when it cannot be read so; the file's import then says why."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(1 << 16)
        if head.startswith(b"PK\x03\x04"):
            return _xlsx_headers(path)[0]
    except (OSError, BadFileError):
        return None
    if head.startswith(_UTF16_BOMS):
        # Excel's 「Unicode テキスト」 (a character cut at the block's end aside).
        text = head[:len(head) // 2 * 2].decode("utf-16", errors="replace")
    else:
        text = _first_line_text(head.split(b"\n", 1)[0])
        if text is None:
            return None
    line = text.split("\n", 1)[0].rstrip("\r")
    delimiter = "\t" if line.count("\t") > line.count(",") else ","
    return [h.strip() for h in next(csv.reader([line], delimiter=delimiter), [])]


def _first_line_text(line: bytes) -> str | None:
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return line.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def read_table(path: Path | str) -> Table:
    """The whole file as one table."""
    opened = open_file(path)
    whole = next(opened.chunks(None))
    whole.sha256 = opened.sha256
    return whole


class _Scan:
    """Hash, emptiness, binary content and UTF-8 validity, block by block."""

    def __init__(self, path: Path):
        self.path = path
        self.digest = hashlib.sha256()
        self.size = 0
        self.newlines = 0
        self.content = False
        self.kind = None
        self.head = b""
        self.bom = False
        self.utf8 = codecs.getincrementaldecoder("utf-8")()
        self.utf8_failed = False

    def feed(self, block: bytes) -> None:
        if self.kind is None:
            self.head = block[:8]
            self.bom = block.startswith(codecs.BOM_UTF8)
            self.kind = ("xlsx" if block[:4] == b"PK\x03\x04"
                         else "utf-16" if block.startswith(_UTF16_BOMS) else "text")
        self.digest.update(block)
        self.content = self.content or bool(block.replace(b"\x00", b"").strip(_WHITESPACE)
                                            .removeprefix(b"\xff\xfe").removeprefix(b"\xfe\xff"))
        if self.kind == "utf-16":
            # Excel's 「Unicode テキスト」: every character two bytes, NULs everywhere.
            self.newlines += block.count(b"\n\x00") + block.count(b"\x00\n")
        elif self.kind == "text":
            nul = block.find(b"\x00")
            if nul >= 0:
                self._check_kind()
                raise BadFileError(self.path, "表形式のテキスト（CSV・TSV）ではありません。",
                                   row=self.newlines + block.count(b"\n", 0, nul) + 1)
            if not self.utf8_failed:
                try:
                    self.utf8.decode(block)
                except UnicodeDecodeError:
                    self.utf8_failed = True
            self.newlines += block.count(b"\n")
        self.size += len(block)

    def _check_kind(self) -> None:
        suffix = self.path.suffix.lower()
        if suffix in (".xlsx", ".xlsm"):
            raise BadFileError(self.path, "Excelファイル（.xlsx）として読めません。中身が別の形式のようです。"
                                          "Excelで開いて「.xlsx」か「CSV」で保存し直してください。")
        if suffix == ".xls" or self.head == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
            raise BadFileError(self.path, "古いExcel形式（.xls）には対応していません。"
                                          "Excelで「.xlsx」か「CSV」で保存し直してください。")

    def finish(self) -> str:
        """The encoding ('xlsx' for a workbook)."""
        if not self.content:
            raise BadFileError(self.path, "ファイルが空です。注文データをもう一度エクスポートしてください。")
        if self.kind in ("xlsx", "utf-16"):
            return self.kind
        self._check_kind()
        if not self.utf8_failed:
            try:
                self.utf8.decode(b"", final=True)
                return "utf-8-sig" if self.bom else "utf-8"
            except UnicodeDecodeError:
                pass
        if self.bom or not self.utf8_failed:
            # A UTF-8 file with a broken or cut character: the exact check names the row.
            _decode(self.path, self.path.read_bytes())
        return "cp932"  # checked while parsing; a failure is then located exactly


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


def _delimiter(path: Path, encoding: str) -> str:
    with open(path, encoding=encoding, errors="replace", newline="") as handle:
        first_line = handle.readline()
    return "\t" if first_line.count("\t") > first_line.count(",") else ","


def _csv_reader(path: Path, encoding: str, **options):
    # index_col=False: a first data row with more cells than the header must not
    # silently become the row index and shift every column one place left.
    return pd.read_csv(path, sep=_delimiter(path, encoding), dtype=str, keep_default_na=False,
                       na_filter=False, skip_blank_lines=False, engine="c",
                       quoting=csv.QUOTE_MINIMAL, encoding=encoding, index_col=False, **options)


def _read_headers(path: Path, encoding: str) -> list[str]:
    try:
        frame = _csv_reader(path, encoding, nrows=0)
    except pd.errors.ParserError as exc:
        raise _broken_table(path, exc) from None
    except pd.errors.EmptyDataError:
        raise BadFileError(path, "ファイルに表のデータがありません。") from None
    except UnicodeDecodeError:
        _decode(path, path.read_bytes())
        raise
    headers = [str(c).strip() for c in frame.columns]
    if len(headers) < 2:
        raise BadFileError(path, "表形式のデータではありません（見出し行に列が1つしかありません）。", row=1)
    return headers


def _read_delimited(opened: "OpenedFile", rows: int | None) -> Iterator[Table]:
    path, found = opened.path, 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            if rows is None:
                frames = contextlib.nullcontext([_csv_reader(path, opened.encoding)])
            else:
                frames = _csv_reader(path, opened.encoding, chunksize=rows)
            with frames as reader:
                for frame in reader:
                    table = _finish(opened.headers, frame, first_row=2, encoding=opened.encoding)
                    found += len(table.frame)
                    if len(table.frame):
                        yield table
    except pd.errors.ParserWarning:
        raise BadFileError(path, "見出しより列の多い行があります（区切り文字や引用符が崩れています）。",
                           row=_first_long_row(path, opened.encoding)) from None
    except pd.errors.ParserError as exc:
        raise _broken_table(path, exc) from None
    except pd.errors.EmptyDataError:
        raise BadFileError(path, "ファイルに表のデータがありません。") from None
    except UnicodeDecodeError:
        if opened.encoding == "utf-16":
            raise BadFileError(path, "UTF-16のテキストとして読めません（途中で切れているか壊れています）。"
                                     "もう一度書き出してください。") from None
        _decode(path, path.read_bytes())  # raises, naming the row
        raise
    if not found:
        raise BadFileError(path, "見出し行のほかにデータ行がありません。")


def _broken_table(path: Path, exc: pd.errors.ParserError) -> BadFileError:
    match = re.search(r"line (\d+)", str(exc))
    return BadFileError(path, "列の数がほかの行と合いません（区切り文字や引用符が崩れています）。",
                        row=int(match.group(1)) if match else None)


def _first_long_row(path: Path, encoding: str) -> int | None:
    """The file row of the first record with more cells than the header (error path only)."""
    with open(path, encoding=encoding, errors="replace", newline="") as handle:
        reader = csv.reader(handle, delimiter=_delimiter(path, encoding))
        width = len(next(reader, []))
        return next((reader.line_num for record in reader if len(record) > width), None)


def _finish(headers: list[str], frame: pd.DataFrame, first_row: int, encoding: str) -> Table:
    """Strings everywhere, blank rows dropped, each row's number in the file kept."""
    frame.columns = headers
    # Cells are never missing here: the CSV reader does not detect NA and pads short
    # rows with "", workbook cells are already text.
    frame = frame.astype(str)
    rows = frame.index.to_numpy() + first_row
    # Blank rows: checked column by column on the rows still blank, so a normal
    # file costs one pass over its first column.
    blank = np.ones(len(frame), dtype=bool)
    for column in range(frame.shape[1]):
        candidates = np.flatnonzero(blank)
        if not len(candidates):
            break
        cells = frame.iloc[:, column].to_numpy(dtype=object)[candidates].tolist()
        blank[candidates] = [not cell.strip() for cell in cells]
    if blank.any():
        frame = frame.loc[~blank]
        rows = rows[~blank]
    return Table(headers, frame.reset_index(drop=True), rows, encoding)


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


@contextlib.contextmanager
def _first_sheet(path: Path):
    """The workbook's first sheet, read-only and streaming, with its claimed size
    ignored (a 2 KB file can claim 1,048,576 × 16,384 cells). Sizes no export has
    are refused before openpyxl reads anything."""
    import zipfile

    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(path) as archive:
            members = {info.filename: info for info in archive.infolist()}
            sizes = {name: info.file_size for name, info in members.items()}
            shared = members.get("xl/sharedStrings.xml")
            if shared is not None:
                with archive.open(shared) as handle:
                    head = handle.read(4096).decode("utf-8", "replace")
                match = re.search(r'uniqueCount="(\d+)"', head) or re.search(r'count="(\d+)"', head)
                if match and int(match.group(1)) > MAX_SHARED_STRINGS:
                    raise BadFileError(path, f"文字列が {int(match.group(1)):,} 種類もあり、注文データとしては"
                                             "大きすぎます。CSVで保存し直すか、期間を分けてください。")
            if sum(info.file_size for info in members.values()) > MAX_XML_BYTES:
                raise BadFileError(path, "展開すると大きすぎるExcelファイルです。CSVで保存し直すか、"
                                         "期間を分けてください。")
    except zipfile.BadZipFile as exc:
        raise BadFileError(path, f"Excelファイルとして読めません（{exc}）。"
                                 "Excelで開いて保存し直してください。") from None
    # A damaged .xlsx can fail anywhere inside zipfile, zlib, the XML parser or
    # openpyxl (read-only sheets are parsed lazily, while iterating), with many
    # exception types; any of them means "cannot read this workbook".
    # The file is opened here, not by openpyxl, so it is closed even when
    # openpyxl fails half-way through opening it.
    with open(path, "rb") as handle:
        try:
            book = load_workbook(handle, read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 — see above
            raise _unreadable_workbook(path, exc) from None
        try:
            sheet = book.worksheets[0]
            # Rows for progress only: as the sheet says, else guessed from its
            # XML at some 35 bytes a cell.
            claimed = sheet.max_row or (sizes.get(sheet._worksheet_path, 0)
                                        // (35 * max(1, sheet.max_column or 8)))
            sheet.reset_dimensions()
            yield sheet, claimed
        finally:
            book.close()


def _unreadable_workbook(path: Path, exc: BaseException) -> BadFileError:
    return BadFileError(path, f"Excelファイルとして読めません（{type(exc).__name__}: {exc}）。"
                              "Excelで開いて保存し直してください。")


def _xlsx_headers(path: Path) -> tuple[list[str], int, int]:
    """The header row (the first of the first 50 with two or more cells), its
    index, and the number of rows the sheet says it has (for progress only)."""
    with _first_sheet(path) as (sheet, claimed):
        try:
            first = [[_cell_text(v) for v in row] for row in
                     sheet.iter_rows(max_row=50, max_col=MAX_COLUMNS + 1, values_only=True)]
        except Exception as exc:  # noqa: BLE001 — see _first_sheet
            raise _unreadable_workbook(path, exc) from None
    header_index = next((i for i, row in enumerate(first)
                         if sum(1 for v in row if v.strip()) >= 2), None)
    if header_index is None:
        raise BadFileError(path, "最初のシートに見出し行が見つかりません。")
    headers = [h.strip() for h in first[header_index]]
    while headers and not headers[-1]:
        headers.pop()
    if len(headers) > MAX_COLUMNS:
        raise BadFileError(path, f"列が多すぎます（{MAX_COLUMNS:,}列まで）。注文データのシートか"
                                 "確認してください。", row=header_index + 1)
    return headers, header_index, max(1, min(claimed, MAX_XLSX_ROWS))


def _read_xlsx_rows(opened: OpenedFile, rows: int | None) -> Iterator[Table]:
    """The sheet's data rows, streamed, ``rows`` at a time (None: all at once)."""
    path, width = opened.path, len(opened.headers)
    first_row = opened.header_row + 2   # as a spreadsheet numbers it
    found = 0
    with _first_sheet(path) as (sheet, _claimed):
        body: list[list[str]] = []
        start = first_row
        try:
            for number, row in enumerate(sheet.iter_rows(min_row=first_row, max_col=width,
                                                         values_only=True), start=first_row):
                if number > MAX_XLSX_ROWS:
                    raise BadFileError(path, "Excelの行数の上限を超えています。", row=number)
                cells = [_cell_text(v) for v in row]
                body.append(cells + [""] * (width - len(cells)))
                if rows is not None and len(body) >= rows:
                    table = _body_table(opened.headers, body, start)
                    found += len(table.frame)
                    yield table
                    body, start = [], number + 1
        except BadFileError:
            raise
        except Exception as exc:  # noqa: BLE001 — see _first_sheet
            raise _unreadable_workbook(path, exc) from None
        if body or not found:
            table = _body_table(opened.headers, body, start)
            found += len(table.frame)
            if len(table.frame):
                yield table
    if not found:
        raise BadFileError(path, "見出し行のほかにデータ行がありません。")


def _body_table(headers: list[str], body: list[list[str]], first_row: int) -> Table:
    frame = pd.DataFrame(body, columns=headers, dtype=str) if body else \
        pd.DataFrame({h: pd.Series(dtype=str) for h in headers})
    return _finish(headers, frame, first_row=first_row, encoding="xlsx")
