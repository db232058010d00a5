"""From a raw table and a preset to normalised order lines and orders (vectorised)."""
from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pandas as pd

from engine.errors import BadFileError
from engine.imports import normalize
from engine.imports.formats import CHARGE_FIELDS, FIELDS, FormatPreset, missing_fields
from engine.imports.line_amounts import MAX_NUMBER, row_amounts
from engine.imports.name_order import family_name_first
from engine.imports.raw_columns import RawColumns, fail, joined
from engine.imports.reader import CHUNK_ROWS, OpenedFile, Table
from engine.imports.timestamps import datetimes_jst
from engine.store.dialects import SQLITE

ORDER_FIELDS = ["ordered_at", "member_id", "name", "kana", "postal_code", "address1",
                "address2", "phone", "email", "email_consent", "shipping", "fee", "points",
                "coupon"]
CUSTOMER_FIELDS = ["member_id", "name", "name_key", "kana", "postal_code", "address1",
                   "address2", "phone", "phone_digits", "email"]
LINE_FIELDS = ["product_code", "product_name", "unit_price", "quantity", "amount"]
# A name, address or product name is a line of text; a cell of megabytes is not
# one (a 50 MB name once grew a 250 KB database to 472 MB).
MAX_TEXT = 1000
# Order dates a shop's history can hold: from 1990 to a year ahead (pre-orders).
FIRST_YEAR = 1990


# Part of every raw digest: bump it when a normalisation rule changes, so orders
# stored under the old rules are compared by their normalised content again.
RULES_VERSION = 2
# 2: headers matched whatever their width and case (楽天 通常購入データ's postal codes
#    and phones were read as empty), Shopify's 名 姓 stored 姓 名, prefecture codes
#    and romaji written as the prefecture, consent recorded, EC-CUBE 4 fee rows.


@dataclass
class OrderBatch:
    """``orders``: one row per order (index order_no); ``lines``: one row per line.

    ``order_nos`` holds every order number of the chunk, including the
    ``skipped`` orders left out because the database already has them unchanged.
    """
    orders: pd.DataFrame
    lines: pd.DataFrame
    rows_read: int
    order_nos: pd.Index
    skipped: int = 0


# Given each order's raw digest (index order_no): whether the database already
# holds that order unchanged (a boolean per order). KnownOrders is the real one.
KnownFilter = Callable[[pd.Series], np.ndarray]


def stored_orders_of(conn: sqlite3.Connection, source: str) -> bool:
    """Whether the database holds any order of ``source``."""
    return conn.execute("SELECT 1 FROM orders WHERE source = ? LIMIT 1",
                        (source,)).fetchone() is not None


class KnownOrders:
    """Which orders of a chunk the database holds with the same raw digest
    (imported before from identical cells): those need no normalising at all.
    Called with each order's raw digest (index order_no); a boolean per order."""

    def __init__(self, conn: sqlite3.Connection, source: str, dialect=SQLITE):
        self.conn, self.source, self.dialect = conn, source, dialect
        # A shop's first file of a source has nothing stored to compare with: its
        # batches skip the lookup (and encoding every order number for it).
        self.none_stored = not stored_orders_of(conn, source)

    def __call__(self, raw_digests: pd.Series) -> np.ndarray:
        if self.none_stored:
            return np.zeros(len(raw_digests), dtype=bool)
        listed, order_nos = self.dialect.in_list("order_no", raw_digests.index)
        stored = dict(self.conn.execute(
            "SELECT order_no, raw_digest FROM orders WHERE source = ? AND raw_digest IS NOT NULL "
            f"AND {listed}", (self.source, order_nos)).fetchall())
        if not stored:
            return np.zeros(len(raw_digests), dtype=bool)
        return np.asarray(raw_digests.index.map(stored) == raw_digests.to_numpy(), dtype=bool)


def check_columns(path: Path, headers: list[str], preset: FormatPreset) -> None:
    """Raise BadFileError when the header row lacks a field an import needs
    (``preset`` bound to the file: see detection.bind)."""
    present = set(headers)
    found = [f for f, columns in preset.fields.items() if any(c in present for c in columns)]
    missing = missing_fields(found)
    if missing:
        raise BadFileError(path, "「" + "」「".join(FIELDS[m] for m in missing) + "」の列がありません。",
                           row=1)


def iter_batches(opened: OpenedFile, preset: FormatPreset, rows: int | None = CHUNK_ROWS,
                 known: KnownFilter | None = None) -> Iterator[tuple[OrderBatch, float]]:
    """The file's orders chunk by chunk, with the fraction of the file done;
    orders ``known`` says are stored unchanged are left out (see build_batch).

    An order's lines are never split between two batches as long as they are
    adjacent in the file (every known export writes them so): the rows of the
    last order of a chunk are carried over to the next one.
    """
    check_columns(opened.path, opened.headers, preset)
    with contextlib.closing(opened.chunks(rows)) as chunks:
        yield from _carried(opened, preset, chunks, rows is not None, known)


def _carried(opened: OpenedFile, preset: FormatPreset, chunks: Iterator[Table],
             carry_over: bool, known: KnownFilter | None) -> Iterator[tuple[OrderBatch, float]]:
    carry: Table | None = None
    for table in chunks:
        if carry is not None:
            table = carry.followed_by(table)
            carry = None
        if carry_over:
            columns = [c for c in preset.fields["order_no"] if c in table.frame.columns]
            numbers = joined(table.frame, columns, False, "").to_numpy()
            other = np.flatnonzero(numbers != numbers[-1])
            cut = other[-1] + 1 if len(other) else 0
            carry = table.take(slice(cut, None))
            if cut == 0:
                continue
            table = table.take(slice(0, cut))
        yield (build_batch(opened.path, table, preset, known),
               min(1.0, table.rows[-1] / opened.lines))
    if carry is not None:
        yield build_batch(opened.path, carry, preset, known), 1.0


def build_batch(path: Path, table: Table, preset: FormatPreset,
                known: KnownFilter | None = None) -> OrderBatch:
    """Normalise every line, check values, group lines into orders.

    Each order gets a digest of its raw cells; orders ``known`` reports as
    stored with that very digest are left out before the costly normalising.
    Raises BadFileError naming the first bad row and column.
    """
    check_columns(path, list(table.frame.columns), preset)
    rows_read = len(table.frame)
    raw = RawColumns(table, preset)
    order_nos = raw.apply("order_no", normalize.text)
    if (order_nos == "").any():
        fail(path, table, order_nos == "", raw.column("order_no"), "注文番号が空です。")
    raw_digests = _raw_digests(table, preset, order_nos)
    skipped = 0
    if known is not None:
        unchanged = np.asarray(known(raw_digests), dtype=bool)
        skipped = int(unchanged.sum())
        if skipped:
            keep = ~pd.Index(order_nos).isin(raw_digests.index[unchanged])
            table, order_nos = table.take(keep), order_nos[keep]
            if not len(order_nos):
                return OrderBatch(pd.DataFrame(), pd.DataFrame(), rows_read,
                                  raw_digests.index, skipped)
            raw = RawColumns(table, preset)
    _check_text_lengths(path, table, raw)
    lines = pd.DataFrame({"order_no": order_nos}, index=table.frame.index)
    ordered_at, bad = raw.apply("ordered_at", _datetimes)
    if bad.any():
        fail(path, table, bad, raw.column("ordered_at", bad),
             "日付を読めません（例: 2025-07-01 12:34:56 や 2025/7/1、R4.11.30）。")
    _check_years(path, table, raw, ordered_at)
    lines["ordered_at"] = ordered_at
    amounts = row_amounts(path, table, raw, preset)
    lines["unit_price"] = amounts.unit_price
    lines["quantity"] = amounts.quantity
    lines["amount"] = amounts.amount
    for money in CHARGE_FIELDS:
        values, bad = raw.apply(money, _except(normalize.amounts, preset.blank_values.get(money)))
        if bad.any():
            fail(path, table, bad, raw.column(money, bad), f"{FIELDS[money]}が数字ではありません。")
        too_big = np.abs(values) >= MAX_NUMBER
        if too_big.any():
            fail(path, table, too_big, raw.column(money, too_big),
                 f"{FIELDS[money]}が大きすぎます（上限は {MAX_NUMBER:,}）。")
        lines[money] = amounts.charges.get(money, values)
    for field, function in _text_fields(preset).items():
        lines[field] = raw.apply(field, _except(function, preset.blank_values.get(field)))
    lines["cancelled"] = _cancelled(raw, preset, len(lines))
    lines["row"] = table.rows
    lines = _separate_reused_numbers(path, lines, preset, raw.column("order_no"))
    charges = (lines.groupby("order_no", sort=False)[list(amounts.charges)].sum()
               if amounts.charges else None)
    if amounts.lines and not amounts.goods.all():
        lines = lines[amounts.goods]
    batch = _group(lines, rows_read, raw_digests.index, amounts.lines)
    if charges is not None:
        batch.orders.update(charges)
    missing = batch.orders["ordered_at"] == ""
    if missing.any():
        first = batch.orders.loc[missing, "row"].iloc[0]
        fail(path, table, table.rows == first, raw.column("ordered_at"), "注文日時が空です。")
    batch.orders["raw_digest"] = raw_digests.reindex(batch.orders.index)
    batch.skipped = skipped
    return batch


def _check_text_lengths(path: Path, table: Table, raw: RawColumns) -> None:
    for field in ("order_no", *_TEXT_FUNCTIONS):
        if raw.column(field) is None:
            continue
        too_long = raw.apply(field, lambda v: (v.str.len() > MAX_TEXT).to_numpy())
        if too_long.any():
            fail(path, table, too_long, raw.column(field, too_long),
                 f"{FIELDS[field]}が長すぎます（{MAX_TEXT:,}文字まで）。列がずれていないか確認してください。")


def _check_years(path: Path, table: Table, raw: RawColumns, ordered_at: np.ndarray) -> None:
    """Dates a shop's history cannot hold (0001-01-01, 9999-12-31 as "no date")."""
    years = pd.to_numeric(pd.Series(ordered_at).str.slice(0, 4), errors="coerce").to_numpy()
    last = date.today().year + 1
    impossible = (years < FIRST_YEAR) | (years > last)
    if impossible.any():
        value = ordered_at[int(np.flatnonzero(impossible)[0])][:10]
        fail(path, table, impossible, raw.column("ordered_at", impossible),
             f"注文日時「{value}」はありえない日付です（{FIRST_YEAR}年〜{last}年）。")


def _separate_reused_numbers(path: Path, lines: pd.DataFrame, preset: FormatPreset,
                             column: str | None) -> pd.DataFrame:
    """One order number used by two orders of the file (another day or another buyer).

    A line without a date or buyer belongs with the line before it (Shopify fills
    them on an order's first row only). Where the source's numbers are unique, a
    second order under one number is an error in the file, named by its rows;
    where a shop reuses numbers (its own cart restarting each year, two stores),
    each further order keeps its number with its date: 「1（2025-03-04）」.
    """
    keys = pd.DataFrame({"order_no": lines["order_no"],
                         "day": lines["ordered_at"].str.slice(0, 10),
                         "buyer": _buyers(lines["member_id"], lines["name"])})
    filled = keys.replace("", np.nan).groupby("order_no", sort=False).ffill()
    keys[["day", "buyer"]] = filled[["day", "buyer"]].fillna("")
    orders = keys.drop_duplicates()
    clash = orders.duplicated("order_no", keep=False).to_numpy()
    if not clash.any():
        return lines
    number = orders.loc[clash, "order_no"].iloc[0]
    if preset.order_numbers == "unique":
        rows = lines.loc[orders.index[clash & (orders["order_no"] == number).to_numpy()], "row"]
        raise BadFileError(path, f"注文番号「{number}」の注文が2つあります（{rows.iloc[0]}行目と"
                                 f"{rows.iloc[1]}行目で注文日または注文者が違います）。"
                                 "別のお店や別の期間のファイルが混ざっていないか確認してください。",
                           row=int(rows.iloc[1]), column=column)
    rank = orders.groupby("order_no", sort=False).cumcount()
    renamed = orders.assign(new=np.where(
        rank == 0, orders["order_no"], orders["order_no"] + "（" + orders["day"] + "）"))
    same_day = renamed.duplicated("new", keep=False) & (rank > 0)
    renamed.loc[same_day, "new"] += "・" + (rank[same_day] + 1).astype(str)
    mapping = keys.merge(renamed, on=["order_no", "day", "buyer"], how="left")["new"]
    return lines.assign(order_no=mapping.to_numpy())


def _buyers(member_ids: pd.Series, names: pd.Series) -> pd.Series:
    """Who placed each line, as far as an order number's reuse is concerned."""
    return member_ids.where(member_ids != "", normalize.name_key(names))


def _raw_digests(table: Table, preset: FormatPreset, order_nos: np.ndarray) -> pd.Series:
    """Per order (index order_no, in file order): a hash of the raw cells of every
    mapped column of its lines in their order, salted with the mapping and the
    normalisation rules. Equal digests mean equal imported content."""
    frame = table.frame
    mapped = preset.columns()
    columns = [c for c in frame.columns if c in mapped]
    line_hash = pd.util.hash_pandas_object(frame[columns], index=False).to_numpy()
    codes, numbers = pd.factorize(order_nos)
    position = pd.Series(codes).groupby(codes).cumcount().to_numpy(dtype="uint64") + 1
    combined = np.full(len(numbers), _salt(preset), dtype="uint64")
    with np.errstate(over="ignore"):
        np.add.at(combined, codes, line_hash * position)
    return pd.Series([f"{v:016x}" for v in combined.tolist()], index=numbers, dtype=str)


def _salt(preset: FormatPreset) -> int:
    rules = json.dumps({"rules": RULES_VERSION, "fields": preset.fields, "join": preset.join,
                        "cancelled_when": preset.cancelled_when, "name_order": preset.name_order,
                        "blank_values": preset.blank_values,
                        "rows": preset.rows and vars(preset.rows)}, sort_keys=True)
    return int.from_bytes(hashlib.blake2b(rules.encode(), digest_size=8).digest(), "little")


_TEXT_FUNCTIONS = {
    "product_code": normalize.text, "product_name": normalize.text, "member_id": normalize.text,
    "name": normalize.text, "kana": normalize.kana, "postal_code": normalize.postal_code,
    "address1": normalize.address_line, "address2": normalize.address,
    "phone": normalize.phone_display, "email": normalize.email,
    "email_consent": normalize.consent,
}


def _text_fields(preset: FormatPreset) -> dict:
    """The normalising function of each text field for this preset."""
    if preset.name_order != "given_first":
        return _TEXT_FUNCTIONS
    return {**_TEXT_FUNCTIONS,
            "name": lambda names: family_name_first(normalize.text(names))}


def _except(function, blanks: list[str] | None):
    """``function`` reading the cells that mean "none" (EC-CUBE 2's 会員ID 0, 楽天's
    -99999 = 無効値) as empty."""
    if not blanks:
        return function
    meaning_none = set(normalize.text(pd.Series(blanks, dtype=str)))
    return lambda values: function(values.where(~normalize.text(values).isin(meaning_none), ""))


def _datetimes(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    stamps, bad = datetimes_jst(values)
    # Order-level cells may be filled on an order's first row only (Shopify).
    return stamps, bad & (values.str.strip() != "").to_numpy()


def _cancelled(raw: RawColumns, preset: FormatPreset, n: int) -> np.ndarray:
    result = np.zeros(n, dtype=bool)
    for rule in preset.cancelled_when:
        values_of = (partial(raw.apply_column, rule["column"]) if "column" in rule
                     else partial(raw.apply, rule["field"]))
        if rule.get("not_empty"):
            result |= values_of(normalize.text) != ""
        if "in" in rule:
            wanted = {v.lower() for v in rule["in"]}
            result |= values_of(lambda v: normalize.text(v).str.lower().isin(wanted).to_numpy())
    return result


def _group(lines: pd.DataFrame, rows_read: int, order_nos: pd.Index,
           with_lines: bool = True) -> OrderBatch:
    """Lines → orders. Order-level fields take the first non-empty value of the order.
    Without lines (an export of orders only) each order's amount is its own and no
    line is kept.

    Lines are grouped by integer codes of their order number (first appearance
    first), so the strings are hashed once rather than by every groupby.
    """
    codes, numbers = pd.factorize(lines["order_no"].to_numpy(dtype=object))
    lines["line_no"] = lines.groupby(codes).cumcount() + 1
    text_fields = [f for f in ORDER_FIELDS if f not in CHARGE_FIELDS]
    orders = lines[text_fields].replace("", np.nan).groupby(codes).first().fillna("")
    orders = orders.join(lines[list(CHARGE_FIELDS)].groupby(codes).first())
    grouped = lines[["amount", "cancelled", "row"]].groupby(codes)
    orders["amount"] = grouped["amount"].sum() if with_lines else grouped["amount"].first()
    orders["cancelled"] = grouped["cancelled"].any()
    orders["row"] = grouped["row"].first()
    orders.index = pd.Index(numbers, name="order_no", dtype=str)
    orders["name_key"] = normalize.name_key(orders["name"])
    orders["phone_digits"] = normalize.phone_digits(orders["phone"])
    orders["order_date"] = orders["ordered_at"].str.slice(0, 10)
    if not with_lines:
        lines = lines.iloc[:0]
        codes = codes[:0]
    orders["digest"] = _digest(orders, lines, codes)
    return OrderBatch(orders, lines, rows_read, order_nos)


def _digest(orders: pd.DataFrame, lines: pd.DataFrame, codes: np.ndarray) -> pd.Series:
    """A fingerprint of an order's content, so a re-import can tell unchanged orders.

    ``codes`` gives each line's order as its position in ``orders``.
    """
    order_part = pd.util.hash_pandas_object(
        orders[["ordered_at", "cancelled", "amount"] + CUSTOMER_FIELDS].astype(str), index=False)
    line_hash = pd.util.hash_pandas_object(
        lines[["line_no"] + LINE_FIELDS].astype(str), index=False).to_numpy()
    weights = lines["line_no"].to_numpy(dtype="uint64")
    line_part = np.zeros(len(orders), dtype="uint64")
    with np.errstate(over="ignore"):
        np.add.at(line_part, codes, line_hash * weights)
    combined = order_part.to_numpy() ^ line_part
    # Consent enters only where given, so orders without it keep their old digests.
    given = (orders["email_consent"] != "").to_numpy()
    if given.any():
        combined[given] ^= pd.util.hash_pandas_object(
            "consent " + orders.loc[given, "email_consent"], index=False).to_numpy()
    return pd.Series([f"{v:016x}" for v in combined.tolist()], index=orders.index)
