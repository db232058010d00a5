"""Usage cycles: editing, importing a product list, and due/overdue targets."""
import csv

import pandas as pd
import pytest
from openpyxl import Workbook

from engine import BadFileError, OtokuiError
from tests.support.analysis_shop import build
from tests.support.layouts import LAYOUTS
from tests.support.snapshot import SAMPLES, snapshot

AS_OF = "2025-06-30"
CYCLES = {"A": 30, "B": 60, "C": None, "D": 90, "E": 60}
ORDERS = {  # recency as of 2025-06-30 in the comments
    1: [("2025-01-10", 900, [("D", 900)]),
        ("2025-05-01", 300, [("A", 100), ("B", 100), ("C", 100)])],     # B 60, R 60 → due
    2: [("2025-03-01", 200, [("A", 100), ("B", 100)])],                 # B 60, R 121 → overdue
    3: [("2025-05-20", 100, [("A", 100)]), ("2025-05-20", 100, [("D", 100)])],  # D 90, R 41
    4: [("2025-05-31", 100, [("A", 100)])],                             # A 30, R 30 → due
    5: [("2025-05-15", 100, [("A", 100)])],                             # A 30, R 46 → overdue
    6: [("2025-05-16", 100, [("A", 100)])],                             # A 30, R 45 → due
    7: [("2025-04-01", 100, [("C", 100)])],                             # no cycle
    8: [("2025-04-01", 100, [("B", 100)]), ("2025-07-05", 100, [("A", 100)])],  # B, R 90 → due
    9: [("2025-03-01", 100, [("A", 100)])],                             # A, R 121 → overdue
    10: [("2025-04-30", 200, [("E", 100), ("B", 100)])],                # B (code tie), R 61 → due
}


@pytest.fixture
def shop():
    shop = build(ORDERS)
    shop.db.execute("INSERT INTO orders (source, order_no, ordered_at, order_date, status,"
                    " customer_id, amount, digest) VALUES ('generic', 'X9', '2025-06-20',"
                    " '2025-06-20', 'cancelled', 9, 100, '')")
    for code, days in CYCLES.items():
        shop.products.set_cycle(code, days)
    return shop


def test_due_and_overdue_hand_computed(shop):
    due = shop.products.due_targets(AS_OF)
    assert due.columns.tolist() == ["customer_id", "name", "product_code", "product_name",
                                    "cycle_days", "last_purchase", "recency_days", "state"]
    found = {r.customer_id: (r.product_code, r.cycle_days, r.recency_days, r.state)
             for r in due.itertuples()}
    assert found == {
        1: ("B", 60, 60, "due"), 2: ("B", 60, 121, "overdue"), 4: ("A", 30, 30, "due"),
        5: ("A", 30, 46, "overdue"), 6: ("A", 30, 45, "due"), 8: ("B", 60, 90, "due"),
        9: ("A", 30, 121, "overdue"), 10: ("B", 60, 61, "due"),
    }
    # Most overdue first: R / cycle = 4.03, 2.02, 1.53, 1.5, 1.5, 1.02, 1.0, 1.0
    assert due["customer_id"].tolist() == [9, 2, 5, 6, 8, 10, 1, 4]
    assert due.set_index("customer_id").at[1, "last_purchase"] == "2025-05-01"
    assert due.set_index("customer_id").at[1, "name"] == "顧客1"


def test_cleared_cycle_stops_targeting(shop):
    shop.products.set_cycle("A", None)
    due = shop.products.due_targets(AS_OF)
    assert sorted(due["customer_id"]) == [1, 2, 8, 10]


def test_set_cycle_is_undoable_and_checked(shop):
    op = shop.products.set_cycle("B", "45日").operation
    assert shop.products.table().set_index("code").at["B", "cycle_days"] == 45
    shop.journal.undo(op)
    assert shop.products.table().set_index("code").at["B", "cycle_days"] == 60
    for bad in (0, -5, "abc", 4000, 1.5):
        with pytest.raises(OtokuiError, match="消費サイクル"):
            shop.products.set_cycle("B", bad)
    with pytest.raises(OtokuiError, match="見つかりません"):
        shop.products.set_cycle("ZZZ", 30)


def test_table_counts_customers_and_last_sale(shop):
    table = shop.products.table().set_index("code")
    assert table.index.tolist() == ["A", "B", "C", "D", "E"]
    assert table.loc["A", ["customers", "last_sold"]].tolist() == [8, "2025-07-05"]
    assert table.loc["D", ["customers", "last_sold"]].tolist() == [2, "2025-05-20"]
    assert table.loc["C", "name"] == "商品C" and table["cycle_days"].isna().sum() == 1


def sample_cycles() -> dict:
    with open(SAMPLES / "products.csv", encoding="utf-8-sig", newline="") as f:
        return {r["商品コード"]: int(r["消費サイクル日数"]) if r["消費サイクル日数"] else None
                for r in csv.DictReader(f)}


def test_import_the_sample_product_list(shop):
    count = shop.products.import_cycles(SAMPLES / "products.csv").counts["products"]
    expected = sample_cycles()
    assert count == len(expected) == 40
    table = shop.products.table().set_index("code")
    assert {code: _value(table.at[code, "cycle_days"]) for code in expected} == expected
    assert sum(days is None for days in expected.values()) > 0
    assert table.at["A", "cycle_days"] == 30      # products not in the list keep theirs


def _value(cell):
    return None if pd.isna(cell) else int(cell)


def write_xlsx(path, rows):
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def test_import_xlsx_with_japanese_headers(shop, tmp_path):
    path = write_xlsx(tmp_path / "商品一覧.xlsx", [
        ["商品番号", "商品名", "消費サイクル（日）"],
        ["A", "美容液", "４５日"], ["B", "", ""], ["NEW", "新商品", 20]])
    assert shop.products.import_cycles(path).counts["products"] == 3
    table = shop.products.table().set_index("code")
    assert _value(table.at["A", "cycle_days"]) == 45 and table.at["A", "name"] == "美容液"
    assert _value(table.at["B", "cycle_days"]) is None and table.at["B", "name"] == "商品B"
    assert (_value(table.at["NEW", "cycle_days"]), table.at["NEW", "customers"]) == (20, 0)


@pytest.mark.parametrize("rows, row, column, message", [
    ([["商品コード", "消費サイクル(日)"], ["A", "30"], ["B", "abc"]], 3, "消費サイクル(日)", "abc"),
    ([["商品コード", "消費サイクル(日)"], ["A", "0"]], 2, "消費サイクル(日)", "1〜3650"),
    ([["商品コード", "消費サイクル(日)"], ["A", "30"], ["A", "60"]], 3, "商品コード", "2回"),
    ([["商品コード", "消費サイクル(日)"], ["A", "30"], ["", "60"]], 3, "商品コード", "空"),
    ([["商品コード", "商品名"], ["A", "美容液"]], 1, None, "消費サイクル"),
])
def test_bad_product_lists_change_nothing(shop, tmp_path, rows, row, column, message):
    path = tmp_path / "products.csv"
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="cp932")
    before = snapshot(shop)
    with pytest.raises(BadFileError, match=message) as info:
        shop.products.import_cycles(path)
    assert (info.value.file, info.value.row, info.value.column) == ("products.csv", row, column)
    assert snapshot(shop) == before


def test_import_is_one_undoable_operation(shop):
    before = snapshot(shop)
    shop.products.import_cycles(SAMPLES / "products.csv")
    op = shop.db.scalar("SELECT max(id) FROM operations")
    shop.journal.undo(op)
    assert snapshot(shop) == before


def test_import_counts_what_changed(shop, tmp_path):
    # Before: A 30, B 60, C none, D 90, E 60.
    path = tmp_path / "商品リスト.csv"
    path.write_text("商品コード,商品名,使用日数\nA,美容液,30\nB,,45\nC,,20\nD,,\nNEW,新商品,14\n",
                    encoding="cp932")
    counts = shop.products.import_cycles(path).counts
    assert dict(counts) == {"products": 5, "cycles": 4, "set": 2, "updated": 1, "cleared": 1}


def order_exports() -> list:
    """Every order export in the test data: the samples and the real layouts."""
    return sorted(p for folder in (SAMPLES, LAYOUTS) for p in folder.rglob("*")
                  if p.is_file() and p.suffix.lower() in {".csv", ".txt", ".tsv", ".xlsx"}
                  and p.name != "products.csv")


def test_no_order_export_is_taken_for_a_product_list(shop):
    exports = order_exports()
    assert len(exports) > 30
    assert [p.name for p in exports if shop.products.is_product_list(p)] == []


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "cp932", "utf-16"])
def test_a_product_list_is_told_from_its_header_in_any_encoding(shop, tmp_path, encoding):
    assert shop.products.is_product_list(SAMPLES / "products.csv")
    path = tmp_path / "商品一覧.csv"
    separator = "\t" if encoding == "utf-16" else ","
    path.write_text(separator.join(["品番", "商品名", "消費サイクル（日）", "単価"]) + "\n"
                    + separator.join(["A", "美容液", "30", "4980"]) + "\n", encoding=encoding)
    assert shop.products.is_product_list(path)


def test_a_product_list_workbook_is_told_too(shop, tmp_path):
    path = write_xlsx(tmp_path / "商品一覧.xlsx", [["SKU", "使用サイクル日数"], ["A", 30]])
    assert shop.products.is_product_list(path)


@pytest.mark.parametrize("header", [
    "商品コード,商品名,単価",                               # no usage cycle: no product list
    "注文番号,商品コード,消費サイクル",                      # an order number: orders
    "商品コード,消費サイクル,氏名,電話番号",                  # a buyer: orders
    "受注日,品番,サイクル日数",                             # an order date: orders
])
def test_a_file_with_order_columns_or_without_cycles_is_no_product_list(shop, tmp_path, header):
    path = tmp_path / "x.csv"
    path.write_text(header + "\n" + ",".join("1" * len(header.split(","))) + "\n",
                    encoding="utf-8")
    assert not shop.products.is_product_list(path)


def test_an_unreadable_file_is_no_product_list(shop, tmp_path):
    assert not shop.products.is_product_list(tmp_path / "missing.csv")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert not shop.products.is_product_list(empty)


def test_due_targets_read_the_same_from_the_summary_table(shop, monkeypatch):
    from engine.marketing import products
    from engine.store.figures import figures_current
    as_of = pd.Timestamp("2025-08-31").date()
    assert figures_current(shop.db, as_of)
    kept = shop.products._due_targets(as_of)
    monkeypatch.setattr(products, "figures_current", lambda db, day: False)
    scanned = shop.products._due_targets(as_of)
    pd.testing.assert_frame_equal(kept, scanned)
    # Customer 8's order of 2025-07-05 (A, 30 days) is the last one read.
    assert kept.set_index("customer_id").at[8, "last_purchase"] == "2025-07-05"
    assert len(kept) >= 8
