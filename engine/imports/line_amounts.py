"""What each row of an export adds to its order, checked and in yen.

A row is a goods line (unit price × quantity; tax added where the export writes
prices without it), a charge (EC-CUBE 4's 送料, 手数料 and 割引 rows, which go to
the order's shipping, fee or discount and never into its amount), a row left out
(a tax row), or — in an export without lines — the whole order with its goods
subtotal. Every check names the first bad row and column.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from engine.imports import normalize
from engine.imports.formats import FIELDS, FormatPreset
from engine.imports.raw_columns import RawColumns, fail
from engine.imports.reader import Table

# Larger numbers are typos or garbage, and beyond 2**53 floats would silently
# round the yen (the hypothesis suite found 133977 × ¥67,229,444,269 off by one).
MAX_NUMBER = 10 ** 12
# What no mail-order line can be: a unit price of 1億円 or more, a line of 10億円.
MAX_UNIT_PRICE = 10 ** 8
MAX_LINE_AMOUNT = 10 ** 9


@dataclass
class RowAmounts:
    """Per row: whether it is a goods line, and its unit price, quantity and amount
    (0 on other rows); per charge field, the row's charge (0 where it is none);
    ``lines`` is False for an export without lines, whose amount is the order's."""
    goods: np.ndarray
    unit_price: np.ndarray
    quantity: np.ndarray
    amount: np.ndarray
    charges: dict[str, np.ndarray] = field(default_factory=dict)
    lines: bool = True


def row_amounts(path: Path, table: Table, raw: RawColumns, preset: FormatPreset) -> RowAmounts:
    if "quantity" not in preset.fields:
        return _order_amounts(path, table, raw, preset)
    goods, charged = _row_kinds(raw, preset)
    quantity = _numbers(path, table, raw, "quantity", "数量が数字ではありません。", goods | charged)
    fraction = goods & (quantity != np.round(quantity))
    if fraction.any():
        fail(path, table, fraction, raw.column("quantity", fraction), "数量が整数ではありません。")
    price_field = next(f for f in ("line_amount", "unit_price", "unit_price_ex_tax")
                       if f in preset.fields)
    price = _numbers(path, table, raw, price_field, f"{_price_name(price_field)}が数字ではありません。",
                     goods | charged)
    if price_field == "line_amount":
        total = price
        unit = np.divide(total, quantity, out=total.copy(), where=quantity != 0)
    else:
        unit = price if price_field == "unit_price" else _with_tax(path, table, raw, price, goods)
        total = unit * quantity
    _check_limits(path, table, raw, preset, goods, (quantity, unit, total))
    charges = {}
    if preset.rows is not None:
        kinds = raw.apply_column(preset.rows.column, normalize.text)
        # Charges as written (fee rows are tax-included); a discount row's minus is its sign.
        written = np.abs(np.nan_to_num(price * quantity if price_field != "line_amount" else price))
        for name, values in preset.rows.charges.items():
            charges[name] = np.where(np.isin(kinds, values), written, 0.0)
    return RowAmounts(goods, np.where(goods, np.round(unit), 0).astype("int64"),
                      np.where(goods, np.round(quantity), 0).astype("int64"),
                      np.where(goods, np.round(total), 0).astype("int64"), charges)


def _row_kinds(raw: RawColumns, preset: FormatPreset) -> tuple[np.ndarray, np.ndarray]:
    """Goods rows and charge rows (every row is goods without a row-kind column)."""
    n = len(raw.table.frame)
    if preset.rows is None:
        return np.ones(n, dtype=bool), np.zeros(n, dtype=bool)
    kinds = raw.apply_column(preset.rows.column, normalize.text)
    charge_values = [v for values in preset.rows.charges.values() for v in values]
    return np.isin(kinds, preset.rows.goods), np.isin(kinds, charge_values)


def _numbers(path: Path, table: Table, raw: RawColumns, name: str, reason: str,
             rows: np.ndarray) -> np.ndarray:
    values, bad = raw.apply(name, normalize.amounts)
    bad = rows & (bad | np.isnan(values))
    if bad.any():
        fail(path, table, bad, raw.column(name, bad), reason)
    return values


def _with_tax(path: Path, table: Table, raw: RawColumns, price: np.ndarray,
              goods: np.ndarray) -> np.ndarray:
    """Tax-included unit prices from tax-excluded ones and each line's rate (8, 10,
    8%, or 0.08): the tax per unit rounded half up, as carts do by default."""
    rates, bad = raw.apply("tax_rate", _rates)
    bad = goods & bad
    if bad.any():
        fail(path, table, bad, raw.column("tax_rate", bad),
             "税率が数字ではありません（例: 8、10、8%）。")
    # Rounded to 6 places first: 1000 × 0.08 is 80.00000000000001 in floats.
    tax = np.floor(np.round(price * rates / 100, 6) + 0.5)
    return price + tax


def _rates(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    numbers, bad = normalize.amounts(values.str.replace("%", "", regex=False)
                                     .str.replace("％", "", regex=False))
    bad = bad | np.isnan(numbers) | (numbers < 0) | (numbers > 100)
    # No Japanese rate is 1% or less: such a value is a fraction (0.08).
    return np.where(numbers < 1, numbers * 100, numbers), bad


def _check_limits(path: Path, table: Table, raw: RawColumns, preset: FormatPreset,
                  goods: np.ndarray, values: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    """No goods line of an impossible size, nor (unless the source writes returns)
    a negative one."""
    quantity, unit, total = values
    for array, name, limit in ((quantity, "quantity", MAX_NUMBER),
                               (unit, "unit_price", MAX_UNIT_PRICE),
                               (total, "line_amount", MAX_LINE_AMOUNT)):
        column = (raw.column(name) or (raw.column("unit_price_ex_tax") if name == "unit_price"
                                       else None) or raw.column("quantity"))
        too_big = goods & ~(np.abs(array) < limit)
        if too_big.any():
            fail(path, table, too_big, column, f"{FIELDS[name]}が大きすぎます（上限は {limit - 1:,}）。")
        if not preset.returns:
            negative = goods & (array < 0)
            if negative.any():
                fail(path, table, negative, column,
                     f"{FIELDS[name]}がマイナスです。返品や値引きの行は取り込めません"
                     "（この形式では返品を書き出しません）。")


def _price_name(field_name: str) -> str:
    return {"line_amount": "金額", "unit_price": "単価", "unit_price_ex_tax": "単価"}[field_name]


def _order_amounts(path: Path, table: Table, raw: RawColumns, preset: FormatPreset) -> RowAmounts:
    """An export without lines: each row is an order with its goods subtotal."""
    n = len(table.frame)
    every = np.ones(n, dtype=bool)
    amount = _numbers(path, table, raw, "order_amount", "商品の合計金額が数字ではありません。", every)
    too_big = ~(np.abs(amount) < MAX_LINE_AMOUNT)
    if too_big.any():
        fail(path, table, too_big, raw.column("order_amount", too_big),
             f"{FIELDS['order_amount']}が大きすぎます（上限は {MAX_LINE_AMOUNT - 1:,}）。")
    if not preset.returns and (amount < 0).any():
        fail(path, table, amount < 0, raw.column("order_amount"), "商品の合計金額がマイナスです。")
    zero = np.zeros(n, dtype="int64")
    return RowAmounts(np.zeros(n, dtype=bool), zero, zero, np.round(amount).astype("int64"),
                      lines=False)
