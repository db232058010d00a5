"""Two earlier years for the demo shop, written as the shop's own export files.

The sample exports cover four months: too short for a 前年比 or a time axis. The
history is made from the samples themselves: an earlier order of a customer copies
the rows of one of their sample orders (the same export layout, the same person,
the same products) under a new order number and date. About half of the sample
customers started earlier and come back now and then, more often in the gift
seasons (July, November, December); customers of the shop's own cart (自社) who
bought a few times and then stopped make the churn. The files are imported like
any others, so the 取込 tab lists them. A fixed seed makes every build the same.
"""
from __future__ import annotations

import calendar
import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
from openpyxl import Workbook, load_workbook

from engine.dates import add_months, first_day, month_of, month_span

HISTORY_MONTHS = 23
SEED = 20251101
# Share of the sample customers who bought before the samples' first month.
EARLIER_SHARE = 0.55
# Customers of the shop's own cart who stopped buying before the samples; most
# bought once, as in most small shops.
LAPSED_CUSTOMERS = 200
ONE_TIME_SHARE = 0.55
# Order volume by calendar month: お中元 in July, お歳暮 and year-end gifts in
# November and December, a quiet February.
SEASON = {1: 0.9, 2: 0.7, 3: 0.95, 4: 0.9, 5: 1.0, 6: 0.95, 7: 1.3, 8: 1.0, 9: 0.9,
          10: 1.0, 11: 1.2, 12: 1.7}
LAPSED_SOURCE = "generic"
# A new order number in each platform's own pattern, never one of the samples'.
ORDER_NUMBERS = {
    "rakuten": lambda seq, day: f"123456-{day:%Y%m%d}-{seq:07d}",
    "amazon": lambda seq, day: f"249-{seq:07d}-{(seq * 7919) % 10_000_000:07d}",
    "shopify": lambda seq, day: f"#{seq}",
    "base": lambda seq, day: f"{(seq * 2654435761) % 16 ** 8:08X}",
    "colorme": lambda seq, day: f"{800_000_000 + seq}",
    "generic": lambda seq, day: f"H{seq:08d}",
}


@dataclass
class ExportFile:
    """One sample export as read: its header, rows of cell values and how it is written."""
    name: str
    header: list[str]
    rows: list[list]
    encoding: str = ""
    delimiter: str = ","
    quoting: int = csv.QUOTE_MINIMAL
    newline: str = "\r\n"


def read_export(name: str, data: bytes) -> ExportFile:
    """A CSV, tab-separated text or Excel export, keeping what writing it back needs."""
    if name.endswith(".xlsx"):
        sheet = load_workbook(io.BytesIO(data), read_only=True).active
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        return ExportFile(name, [str(c) for c in rows[0]], rows[1:])
    if data.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    else:
        try:
            data.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "cp932"
    text = data.decode(encoding)
    delimiter = "\t" if name.endswith(".txt") else ","
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return ExportFile(name, rows[0], rows[1:], encoding, delimiter,
                      csv.QUOTE_ALL if text.startswith('"') else csv.QUOTE_MINIMAL,
                      "\r\n" if "\r\n" in text[:4000] else "\n")


def write_export(export: ExportFile, rows: list[list], path: Path) -> Path:
    """``rows`` in ``export``'s layout at ``path``."""
    if export.name.endswith(".xlsx"):
        book = Workbook()
        sheet = book.active
        sheet.append(export.header)
        for row in rows:
            sheet.append(row)
        book.save(path)
        return path
    text = io.StringIO(newline="")
    writer = csv.writer(text, delimiter=export.delimiter, quoting=export.quoting,
                        lineterminator=export.newline)
    writer.writerow(export.header)
    writer.writerows(rows)
    path.write_bytes(text.getvalue().encode(export.encoding))
    return path


def _moved(rows: list[list], old_no: str, new_no: str, old: datetime,
           new: datetime) -> list[list]:
    """An order's rows under another number and time: every cell naming the old
    number (line ids include it) or the old date and time is rewritten."""
    old_texts = {old.strftime("%Y-%m-%d"): new.strftime("%Y-%m-%d"),
                 old.strftime("%Y/%m/%d"): new.strftime("%Y/%m/%d"),
                 old.strftime("%H:%M:%S"): new.strftime("%H:%M:%S")}
    moved = []
    for row in rows:
        cells = []
        for cell in row:
            if isinstance(cell, datetime):
                cell = new
            elif isinstance(cell, str) and cell:
                cell = cell.replace(old_no, new_no)
                for before, after in old_texts.items():
                    cell = cell.replace(before, after)
            cells.append(cell)
        moved.append(cells)
    return moved


def _order_time(rng: np.random.Generator, month: str) -> datetime:
    start = first_day(month)
    days = calendar.monthrange(start.year, start.month)[1]
    # Evenings sell most, as in the samples; no order in the small hours.
    seconds = int(rng.integers(8 * 3600, 24 * 3600))
    return datetime.combine(start + timedelta(days=int(rng.integers(0, days))),
                            datetime.min.time()) + timedelta(seconds=seconds)


def _start(rng: np.random.Generator, months: int) -> int:
    """A customer's first month: the shop wins more customers as it grows."""
    growth = np.linspace(0.6, 1.4, months)
    return int(rng.choice(months, p=growth / growth.sum()))


def _plan(rng: np.random.Generator, months: list[str], customers: list[int]
          ) -> list[tuple[int, str]]:
    """(customer, month) of every earlier order of the sample customers."""
    planned = []
    for customer in customers:
        if rng.random() >= EARLIER_SHARE:
            continue
        start = _start(rng, len(months))
        # Most buy every few months; a few loyal ones nearly monthly.
        rate = float(np.clip(rng.gamma(1.2, 0.15), 0.03, 0.7))
        planned.append((customer, months[start]))
        for month in months[start + 1:]:
            if rng.random() < rate * SEASON[int(month[5:])]:
                planned.append((customer, month))
    return planned


def _lapsed_plan(rng: np.random.Generator, months: list[str]) -> list[tuple[int, str]]:
    """(lapsed customer number, month): a first order, for some a few more, then no more."""
    planned = []
    for number in range(LAPSED_CUSTOMERS):
        start = _start(rng, len(months) - 2)
        planned.append((number, months[start]))
        if rng.random() < ONE_TIME_SHARE:
            continue
        for month in months[start + 1:]:
            if rng.random() < 0.2:  # stops for good
                break
            if rng.random() < 0.4 * SEASON[int(month[5:])]:
                planned.append((number, month))
    return planned


def _lapsed_person(rng: np.random.Generator, number: int, people: list[list],
                   columns: dict[str, int]) -> dict[int, str]:
    """Cells of a made-up former customer: family and given names of two sample
    customers, the address of a third, a phone and e-mail of their own."""
    picks = [people[int(i)] for i in rng.choice(len(people), size=3, replace=False)]
    cells = {}
    for field in ("氏名", "フリガナ"):
        family = str(picks[0][columns[field]]).split(" ")[0]
        given = str(picks[1][columns[field]]).split(" ")[-1]
        cells[columns[field]] = f"{family} {given}"
    for field in ("郵便番号", "住所"):
        cells[columns[field]] = picks[2][columns[field]]
    digits = rng.integers(0, 10, size=8)
    cells[columns["電話番号"]] = (f"0{rng.choice([7, 8, 9])}0-{''.join(map(str, digits[:4]))}"
                                 f"-{''.join(map(str, digits[4:]))}")
    cells[columns["メールアドレス"]] = f"d{number:06d}.{int(rng.integers(10, 100))}@example.jp"
    cells[columns["会員コード"]] = f"M9{number:06d}"
    return cells


def write_history(shop, exports: dict[str, list[ExportFile]], folder: Path) -> list[Path]:
    """Export files, one per source, of the orders before the samples' first month,
    for the customers ``shop`` holds after importing the samples."""
    rng = np.random.default_rng(SEED)
    orders = shop.db.frame(
        "SELECT source, order_no, ordered_at, customer_id FROM orders WHERE status = 'valid' "
        "ORDER BY customer_id, ordered_at, id")
    first = month_of(date.fromisoformat(orders["ordered_at"].min()[:10]))
    months = month_span(add_months(first, -HISTORY_MONTHS), add_months(first, -1))
    rows_of: dict[str, dict[str, list[list]]] = {}
    for source, files in exports.items():
        number_column = files[0].header.index(shop.formats.by_name(source).fields["order_no"][0])
        rows_of[source] = {}
        for export in files:
            for row in export.rows:
                rows_of[source].setdefault(str(row[number_column]), []).append(row)
    templates = {c: list(group[["source", "order_no", "ordered_at"]].itertuples(index=False))
                 for c, group in orders.groupby("customer_id")}
    generated: dict[str, list[tuple[datetime, list[list]]]] = {s: [] for s in exports}
    sequence = dict.fromkeys(exports, 0)

    def add(source: str, order_no: str, ordered_at: str, month: str, rows: list[list],
            person: dict[int, str] | None = None) -> None:
        sequence[source] += 1
        when = _order_time(rng, month)
        new_no = ORDER_NUMBERS[source](sequence[source], when)
        moved = _moved(rows, order_no, new_no, datetime.fromisoformat(ordered_at), when)
        if person:
            moved = [[person.get(i, cell) for i, cell in enumerate(row)] for row in moved]
        generated[source].append((when, moved))

    for customer, month in _plan(rng, months, sorted(templates)):
        source, order_no, ordered_at = templates[customer][int(rng.integers(
            0, len(templates[customer])))]
        add(source, order_no, ordered_at, month, rows_of[source][order_no])

    own = [t for ts in templates.values() for t in ts if t.source == LAPSED_SOURCE]
    header = exports[LAPSED_SOURCE][0].header
    columns = {name: header.index(name) for name in
               ("氏名", "フリガナ", "郵便番号", "住所", "電話番号", "メールアドレス", "会員コード")}
    people = [rows_of[LAPSED_SOURCE][t.order_no][0] for t in own]
    lapsed: dict[int, dict[int, str]] = {}
    for number, month in _lapsed_plan(rng, months):
        person = lapsed.setdefault(number, _lapsed_person(rng, number, people, columns))
        template = own[int(rng.integers(0, len(own)))]
        add(LAPSED_SOURCE, template.order_no, template.ordered_at, month,
            rows_of[LAPSED_SOURCE][template.order_no], person)

    paths = []
    for source, made in generated.items():
        export = exports[source][0]
        rows = [row for _when, order in sorted(made, key=lambda o: o[0]) for row in order]
        suffix = export.name.rsplit(".", 1)[1]
        paths.append(write_export(export, rows, folder / f"{source}_history.{suffix}"))
    return paths
