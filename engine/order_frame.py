"""From a raw table and a preset to normalised order lines and orders (vectorised)."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from engine import normalize
from engine.errors import BadFileError
from engine.formats import FIELDS, JOIN_SEPARATOR, FormatPreset
from engine.reader import CHUNK_ROWS, OpenedFile, Table

ORDER_FIELDS = ["ordered_at", "member_id", "name", "kana", "postal_code", "address1",
                "address2", "phone", "email", "shipping", "fee", "points", "coupon"]
CUSTOMER_FIELDS = ["member_id", "name", "name_key", "kana", "postal_code", "address1",
                   "address2", "phone", "phone_digits", "email"]
LINE_FIELDS = ["product_code", "product_name", "unit_price", "quantity", "amount"]
# Larger numbers are typos or garbage, and beyond 2**53 floats would silently
# round the yen (the hypothesis suite found 133977 × ¥67,229,444,269 off by one).
MAX_NUMBER = 10 ** 12


@dataclass
class OrderBatch:
    """``orders``: one row per order (index order_no); ``lines``: one row per line."""
    orders: pd.DataFrame
    lines: pd.DataFrame
    rows_read: int


def _column(table: Table, preset: FormatPreset, field: str) -> tuple[pd.Series, str | None]:
    """The field's text: its columns joined (or the first non-empty one)."""
    columns = [c for c in preset.fields.get(field, []) if c in table.frame.columns]
    if not columns:
        return pd.Series("", index=table.frame.index, dtype=str), None
    parts = [table.frame[c].str.strip() for c in columns]
    if preset.join.get(field) == "first" or len(parts) == 1:
        value = parts[0]
        for part in parts[1:]:
            value = value.where(value != "", part)
        return value, columns[0]
    sep = JOIN_SEPARATOR.get(field, "")
    value = parts[0]
    for part in parts[1:]:
        value = (value + sep + part).where(part != "", value).where(value != "", part)
    return value, columns[0]


def _fail(path: Path, table: Table, mask: np.ndarray, column: str | None, reason: str):
    first = int(np.flatnonzero(mask)[0])
    raise BadFileError(path, reason, row=int(table.rows[first]), column=column)


def check_columns(path: Path, headers: list[str], preset: FormatPreset) -> None:
    """Raise BadFileError when the header row lacks a column the preset needs."""
    missing = preset.missing_columns(headers)
    if missing:
        raise BadFileError(path, f"「{preset.label}」に必要な列がありません: " + "、".join(missing), row=1)
    present = set(headers)
    for required in ("order_no", "ordered_at", "quantity"):
        if not any(c in present for c in preset.fields.get(required, [])):
            raise BadFileError(path, f"「{FIELDS[required]}」の列がありません。", row=1)
    if not any(c in present for c in preset.fields.get("line_amount", [])) and not any(
            c in present for c in preset.fields.get("unit_price", [])):
        raise BadFileError(path, "「単価」の列がありません。", row=1)


def iter_batches(opened: OpenedFile, preset: FormatPreset,
                 rows: int | None = CHUNK_ROWS) -> Iterator[tuple[OrderBatch, float]]:
    """The file's orders chunk by chunk, with the fraction of the file done.

    An order's lines are never split between two batches as long as they are
    adjacent in the file (every known export writes them so): the rows of the
    last order of a chunk are carried over to the next one.
    """
    check_columns(opened.path, opened.headers, preset)
    with contextlib.closing(opened.chunks(rows)) as chunks:
        yield from _carried(opened, preset, chunks, rows is not None)


def _carried(opened: OpenedFile, preset: FormatPreset, chunks: Iterator[Table],
             carry_over: bool) -> Iterator[tuple[OrderBatch, float]]:
    carry: Table | None = None
    for table in chunks:
        if carry is not None:
            table = Table(table.headers, pd.concat([carry.frame, table.frame], ignore_index=True),
                          np.concatenate([carry.rows, table.rows]), table.encoding)
            carry = None
        if carry_over:
            numbers = _column(table, preset, "order_no")[0].to_numpy()
            other = np.flatnonzero(numbers != numbers[-1])
            cut = other[-1] + 1 if len(other) else 0
            carry = _take(table, slice(cut, None))
            if cut == 0:
                continue
            table = _take(table, slice(0, cut))
        yield build_batch(opened.path, table, preset), min(1.0, table.rows[-1] / opened.lines)
    if carry is not None:
        yield build_batch(opened.path, carry, preset), 1.0


def _take(table: Table, rows: slice) -> Table:
    return Table(table.headers, table.frame.iloc[rows].reset_index(drop=True),
                 table.rows[rows], table.encoding)


def build_batch(path: Path, table: Table, preset: FormatPreset) -> OrderBatch:
    """Normalise every line, check values, group lines into orders.

    Raises BadFileError naming the first bad row and column.
    """
    check_columns(path, list(table.frame.columns), preset)
    raw = {f: _column(table, preset, f) for f in FIELDS}
    lines = pd.DataFrame(index=table.frame.index)
    lines["order_no"] = normalize.text(raw["order_no"][0])
    if (lines["order_no"] == "").any():
        _fail(path, table, (lines["order_no"] == "").to_numpy(), raw["order_no"][1],
              "注文番号が空です。")
    ordered_at, bad = normalize.datetimes_jst(raw["ordered_at"][0])
    # Order-level cells may be filled on an order's first row only (Shopify).
    bad = bad & (raw["ordered_at"][0].str.strip() != "").to_numpy()
    if bad.any():
        _fail(path, table, bad, raw["ordered_at"][1],
              "日付を読めません（例: 2025-07-01 12:34:56 や 2025/7/1）。")
    lines["ordered_at"] = ordered_at
    quantity, bad = normalize.amounts(raw["quantity"][0])
    bad = bad | np.isnan(quantity)
    if bad.any():
        _fail(path, table, bad, raw["quantity"][1], "数量が数字ではありません。")
    if raw["line_amount"][1] is not None:
        total, bad = normalize.amounts(raw["line_amount"][0])
        bad = bad | np.isnan(total)
        if bad.any():
            _fail(path, table, bad, raw["line_amount"][1], "金額が数字ではありません。")
        unit = np.divide(total, quantity, out=total.copy(), where=quantity != 0)
    else:
        unit, bad = normalize.amounts(raw["unit_price"][0])
        bad = bad | np.isnan(unit)
        if bad.any():
            _fail(path, table, bad, raw["unit_price"][1], "単価が数字ではありません。")
        total = unit * quantity
    for values, field in ((quantity, "quantity"), (unit, "unit_price"), (total, "line_amount")):
        too_big = ~(np.abs(values) < MAX_NUMBER)
        if too_big.any():
            column = raw[field][1] or raw["quantity"][1]
            _fail(path, table, too_big, column,
                  f"{FIELDS[field]}が大きすぎます（上限は {MAX_NUMBER:,}）。")
    lines["unit_price"] = np.round(unit).astype("int64")
    lines["quantity"] = np.round(quantity).astype("int64")
    lines["amount"] = np.round(total).astype("int64")
    for money in ("shipping", "fee", "points", "coupon"):
        values, bad = normalize.amounts(raw[money][0])
        if bad.any():
            _fail(path, table, bad, raw[money][1], f"{FIELDS[money]}が数字ではありません。")
        too_big = np.abs(values) >= MAX_NUMBER
        if too_big.any():
            _fail(path, table, too_big, raw[money][1],
                  f"{FIELDS[money]}が大きすぎます（上限は {MAX_NUMBER:,}）。")
        lines[money] = values
    lines["product_code"] = normalize.text(raw["product_code"][0])
    lines["product_name"] = normalize.text(raw["product_name"][0])
    lines["member_id"] = normalize.text(raw["member_id"][0])
    lines["name"] = normalize.text(raw["name"][0])
    lines["kana"] = normalize.kana(raw["kana"][0])
    lines["postal_code"] = normalize.postal_code(raw["postal_code"][0])
    lines["address1"] = normalize.address(raw["address1"][0])
    lines["address2"] = normalize.address(raw["address2"][0])
    lines["phone"] = normalize.phone_display(raw["phone"][0])
    lines["email"] = normalize.email(raw["email"][0])
    lines["cancelled"] = _cancelled(raw, preset)
    lines["row"] = table.rows
    return _group(lines, len(table.frame))


def _cancelled(raw: dict, preset: FormatPreset) -> np.ndarray:
    result = np.zeros(len(raw["order_no"][0]), dtype=bool)
    for rule in preset.cancelled_when:
        values = normalize.text(raw[rule["field"]][0])
        if rule.get("not_empty"):
            result |= (values != "").to_numpy()
        if "in" in rule:
            result |= values.str.lower().isin([v.lower() for v in rule["in"]]).to_numpy()
    return result


def _group(lines: pd.DataFrame, rows_read: int) -> OrderBatch:
    """Lines → orders. Order-level fields take the first non-empty value of the order."""
    lines["line_no"] = lines.groupby("order_no", sort=False).cumcount() + 1
    text_fields = [f for f in ORDER_FIELDS if f not in ("shipping", "fee", "points", "coupon")]
    firsts = lines[["order_no"] + text_fields].replace("", np.nan).groupby(
        "order_no", sort=False).first().fillna("")
    money = lines.groupby("order_no", sort=False)[["shipping", "fee", "points", "coupon"]].first()
    orders = firsts.join(money)
    grouped = lines.groupby("order_no", sort=False)
    orders["amount"] = grouped["amount"].sum()
    orders["cancelled"] = grouped["cancelled"].any()
    orders["row"] = grouped["row"].first()
    orders["name_key"] = normalize.name_key(orders["name"])
    orders["phone_digits"] = normalize.phone_digits(orders["phone"])
    orders["order_date"] = orders["ordered_at"].str.slice(0, 10)
    orders["digest"] = _digest(orders, lines)
    return OrderBatch(orders, lines, rows_read)


def _digest(orders: pd.DataFrame, lines: pd.DataFrame) -> pd.Series:
    """A fingerprint of an order's content, so a re-import can tell unchanged orders."""
    order_part = pd.util.hash_pandas_object(
        orders[["ordered_at", "cancelled", "amount"] + CUSTOMER_FIELDS].astype(str), index=False)
    line_hash = pd.util.hash_pandas_object(
        lines[["line_no"] + LINE_FIELDS].astype(str), index=False).to_numpy()
    weights = lines["line_no"].to_numpy(dtype="uint64")
    with np.errstate(over="ignore"):
        weighted = pd.Series(line_hash * weights, index=lines["order_no"].to_numpy())
        line_part = weighted.groupby(level=0, sort=False).sum()
        combined = order_part.to_numpy() ^ line_part.reindex(orders.index).to_numpy(dtype="uint64")
    return pd.Series([f"{v:016x}" for v in combined], index=orders.index)
