"""Property-based tests: random and mutated exports either import correctly or fail
cleanly (an OtokuiError naming the file, database unchanged) — never anything else.

The example count is bounded by the ``hostile`` settings profile so CI stays quick;
``HOSTILE_EXAMPLES`` raises it for a longer local hunt.
"""
import os
import re
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from engine import Shop
from engine.errors import OtokuiError
from engine.imports import normalize
from engine.imports.name_order import family_name_first
from engine.imports.timestamps import datetimes_jst
from tests.support.generated_export import HEADERS, csv_bytes, order_rows
from tests.support.snapshot import SAMPLES, sample_files, snapshot

settings.register_profile(
    "hostile", max_examples=int(os.environ.get("HOSTILE_EXAMPLES", "40")), deadline=None,
    database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                          HealthCheck.function_scoped_fixture])
hostile = settings(settings.get_profile("hostile"))


@pytest.fixture(scope="module")
def template():
    """A shop holding one real import, copied fresh for every example."""
    shop = Shop(":memory:")
    shop.imports.import_file(sample_files()[0])
    return shop


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("hostile")


def fresh_shop(template) -> Shop:
    shop = Shop(":memory:")
    if shop.db.dialect.name == "postgresql":
        # No page copy between two databases of a server: the same import again.
        shop.imports.import_file(sample_files()[0])
    else:
        template.db.conn.backup(shop.db.conn)
    return shop


def import_or_clean_error(template, path: Path):
    """Import ``path``; on failure check the error and the unchanged database.
    Returns (shop, result) — result None when the file was refused cleanly."""
    shop = fresh_shop(template)
    before = snapshot(shop)
    try:
        result = shop.imports.import_file(path)
    except OtokuiError as exc:
        event(f"refused: {getattr(exc, 'reason', exc)}"[:60])
        assert path.name in str(exc), f"error does not name the file: {exc}"
        assert snapshot(shop) == before
        return shop, None
    event("imported")
    if shop.db.dialect.name == "sqlite":
        # (A server checks every foreign key at each commit and keeps no file of ours.)
        assert shop.db.scalar("PRAGMA integrity_check") == "ok"
        assert shop.db.scalar("PRAGMA foreign_key_check") is None
    return shop, result


# --- generated rows: the import must add exactly Σ price × quantity --------------------

_CELL_TEXT = st.text(
    # NUL bytes are left to the mutation tests: here they would refuse nearly every file.
    alphabet=st.sampled_from(list("山田花子ｱｲｳあいう丁目-－=+@\t\r\n,\"'; \u3000\ufeff"
                                  "abcXYZ019０１２%_＝＋＠")),
    max_size=12)
_PLAUSIBLE_DATE = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 1, 1)).map(
    lambda d: d.strftime("%Y-%m-%d %H:%M:%S"))
_DATE = st.one_of(
    _PLAUSIBLE_DATE, _PLAUSIBLE_DATE, _PLAUSIBLE_DATE,
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)).map(
        lambda d: d.strftime("%Y-%m-%d %H:%M:%S")),
    st.sampled_from(["9999-12-31 23:59:59", "2025/7/1", "2025年7月1日", "0000-01-01",
                     "2025-02-30", "", "=NOW()", "2025-07-01T12:00:00Z"]))


# Quantities and prices no order can have sit among plausible ones: negative,
# fractional, beyond any real price; cells of thousands of characters.
_QUANTITY = st.one_of(*[st.integers(1, 20)] * 8, st.integers(-5, 10 ** 6),
                      st.sampled_from(["0.4", "1.5", "-3", "0"]))
_PRICE = st.one_of(*[st.integers(0, 50_000)] * 8, st.integers(-10 ** 6, 10 ** 13),
                   st.sampled_from([-5000, 99_999_999_999]))
_HUGE_CELL = st.integers(900, 3000).map(lambda n: "山" * n)


@st.composite
def order_tables(draw):
    """Rows in the generated Shopify layout with hostile values in every cell."""
    count = draw(st.integers(1, 12))
    rows = []
    for _ in range(count):
        rows.append({
            "Name": draw(st.sampled_from(["#1", "#2", "#3", "=1+1", "'#4", "#5 "])),
            "Email": draw(_CELL_TEXT),
            "Financial Status": "paid",
            "Created at": draw(_DATE),
            "Lineitem quantity": draw(_QUANTITY),
            "Lineitem name": draw(_HUGE_CELL if draw(st.integers(0, 40)) == 0 else _CELL_TEXT),
            "Lineitem price": draw(_PRICE),
            "Lineitem sku": draw(_CELL_TEXT),
            "Billing Name": draw(_CELL_TEXT),
            "Billing Address1": draw(_CELL_TEXT),
            "Billing City": "",
            "Billing Zip": draw(_CELL_TEXT),
            "Billing Province": "",
            "Billing Phone": draw(_CELL_TEXT),
            "Cancelled at": "",
        })
    return rows


@hostile
@given(rows=order_tables())
def test_generated_orders_import_exactly_or_fail_cleanly(template, scratch, rows):
    path = scratch / "generated.csv"
    path.write_bytes(csv_bytes([[str(r[h]) for h in HEADERS] for r in rows]))
    shop, result = import_or_clean_error(template, path)
    if result is None:
        return
    # Imported means every value was one an order can have.
    assert all(_possible(r) for r in rows), rows
    added = shop.db.query(
        "SELECT count(*) AS orders, coalesce(sum(amount), 0) AS amount FROM orders "
        "WHERE import_id = ?", (result.import_id,))[0]
    assert added["amount"] == sum(int(r["Lineitem price"]) * int(r["Lineitem quantity"])
                                  for r in rows)
    assert added["orders"] == _expected_orders(rows)
    assert shop.db.scalar("SELECT count(*) FROM order_lines l JOIN orders o ON o.id = l.order_id "
                          "WHERE o.import_id = ?", (result.import_id,)) == len(rows)


def _possible(row) -> bool:
    quantity, price = float(row["Lineitem quantity"]), float(row["Lineitem price"])
    year = datetimes_jst(pd.Series([str(row["Created at"])]))[0].iloc[0][:4]
    return (quantity == int(quantity) and quantity >= 0 and 0 <= price < 10 ** 8
            and price * quantity < 10 ** 9 and len(row["Lineitem name"]) <= 1000
            and (not year or 1990 <= int(year) <= datetime.now().year + 1))


def _expected_orders(rows) -> int:
    """Distinct (number, day, buyer), a line without a day or buyer taking its
    order's previous one: one number reused for another day or buyer is another order."""
    days = datetimes_jst(pd.Series([str(r["Created at"]) for r in rows]))[0]
    # Shopify writes 名 姓: the file's names are put 姓 名 as the import does, judged
    # over its distinct names.
    names = pd.Series([r["Billing Name"] for r in rows], dtype=str)
    distinct = names.drop_duplicates()
    ordered = dict(zip(distinct, family_name_first(normalize.text(distinct))))
    buyers = normalize.name_key(names.map(ordered))
    numbers = normalize.text(pd.Series([r["Name"] for r in rows]))
    last, seen = {}, set()
    for number, day, buyer in zip(numbers, days.str.slice(0, 10), buyers):
        previous_day, previous_buyer = last.get(number, ("", ""))
        last[number] = (day or previous_day, buyer or previous_buyer)
        seen.add((number, *last[number]))
    event(f"orders per number: {len(seen) - len(set(numbers))} reused")
    return len(seen)


# --- mutated real exports ---------------------------------------------------------------

def _reencode(data: bytes, encoding: str) -> bytes:
    return data.decode("utf-8-sig", errors="replace").encode(encoding, errors="replace")


def _at(data: bytes, fraction: float) -> int:
    return int(len(data) * fraction)


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


MUTATIONS = {
    "utf16": lambda d, f, n: _reencode(d, "utf-16"),
    "latin1": lambda d, f, n: _reencode(d, "latin-1"),
    "cp932": lambda d, f, n: _reencode(d, "cp932"),
    "nul": lambda d, f, n: d[:_at(d, f)] + b"\x00" * n + d[_at(d, f):],
    "bom_inside": lambda d, f, n: d[:_at(d, f)] + b"\xef\xbb\xbf" + d[_at(d, f):],
    "truncate": lambda d, f, n: d[:_at(d, f)],
    "flip_byte": lambda d, f, n: (d[:_at(d, f)] + bytes([(d[_at(d, f)] + n) % 256])
                                  + d[_at(d, f) + 1:]) if _at(d, f) < len(d) else d,
    "empty_lines": lambda d, f, n: b"\n".join(
        line + b"\r\n" * (n % 4) for line in _lines(d)),
    "ragged_row": lambda d, f, n: b"\n".join(
        line + b",x" * n if i == 1 + n % 5 else line for i, line in enumerate(_lines(d))),
    "short_row": lambda d, f, n: b"\n".join(
        line[:len(line) // 2] if i == 1 + n % 5 else line for i, line in enumerate(_lines(d))),
    "huge_field": lambda d, f, n: d.replace(b",", b',"' + b"A" * 2_000_000 + b'",', 1)
    if f < 0.5 else d.replace(b"\n", b"\n" + b"9" * 400_000, 1),
    "ten_thousand_columns": lambda d, f, n: b"\n".join(
        line.rstrip(b"\r") + b"".join(b",c%d" % k for k in range(10_000))
        + (b"\r" if line.endswith(b"\r") else b"") if line else line
        for line in _lines(d)),
    "formula_cells": lambda d, f, n: d.replace(b'"', b'"=HYPERLINK(""x"")', 1 + n % 3)
    .replace(b",", b',"=cmd|\' /C calc\'!A0",', 1),
    "unbalanced_quote": lambda d, f, n: d[:_at(d, f)] + b'"' + d[_at(d, f):],
    "year_9999": lambda d, f, n: d.replace(b"2025-0", b"9999-1", 1 + n % 3),
    "negative_quantity": lambda d, f, n: re.sub(
        rb'(?<=[,\t])("?)1("?)(?=[,\t\r\n])', rb"\g<1>-%d\g<2>" % (n + 1), d, count=1 + n % 3),
    "duplicate_rows": lambda d, f, n: b"\n".join(
        _lines(d)[:2 + n % 3] + _lines(d)[1:]),
    "header_only": lambda d, f, n: _lines(d)[0],
    "crlf_cr_only": lambda d, f, n: d.replace(b"\r\n", b"\r"),
}


def _sample_choices() -> list[Path]:
    files = sample_files() + [SAMPLES / "messy" / f for f in ("amazon_all.txt", "base_all.csv")]
    return [f for f in files if f.exists()]


@hostile
@given(sample=st.sampled_from(_sample_choices()),
       mutations=st.lists(st.tuples(st.sampled_from(sorted(MUTATIONS)),
                                    st.floats(0, 1), st.integers(1, 40)), min_size=1, max_size=3))
def test_mutated_exports_import_or_fail_cleanly(template, scratch, sample, mutations):
    data = sample.read_bytes()
    for name, fraction, number in mutations:
        data = MUTATIONS[name](data, fraction, number)
    path = scratch / f"mutated{sample.suffix}"
    path.write_bytes(data)
    shop, result = import_or_clean_error(template, path)
    if result is None or result.already_imported:
        return
    # Whatever was accepted is internally consistent.
    assert shop.db.scalar(
        "SELECT count(*) FROM orders o WHERE o.import_id = ? AND o.amount != "
        "(SELECT coalesce(sum(amount), 0) FROM order_lines l WHERE l.order_id = o.id)",
        (result.import_id,)) == 0
    assert shop.db.scalar("SELECT count(*) FROM orders WHERE customer_id IS NULL") == 0


@hostile
@given(data=st.binary(max_size=3000), suffix=st.sampled_from([".csv", ".txt", ".xlsx", ".tsv"]))
def test_random_bytes_fail_cleanly(template, scratch, data, suffix):
    path = scratch / f"random{suffix}"
    path.write_bytes(data)
    import_or_clean_error(template, path)


def test_mutations_are_applied_for_real():
    """Guards the mutators themselves: each one changes a real export."""
    data = sample_files()[0].read_bytes()
    unchanged = [name for name, mutate in MUTATIONS.items() if mutate(data, 0.5, 3) == data]
    assert unchanged == []


def test_generated_rows_helper_round_trips(scratch):
    path = scratch / "plain.csv"
    path.write_bytes(csv_bytes(order_rows(5, 3)))
    with Shop(":memory:") as shop:
        result = shop.imports.import_file(path)
    assert result.orders_added == 5
