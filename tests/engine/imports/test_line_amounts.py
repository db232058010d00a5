"""What each row adds to its order: EC-CUBE 4's fee rows go to shipping, fee,
discount and points (never into sales), its tax-excluded prices get their tax;
an export without lines (EC-CUBE 2) takes each order's goods subtotal."""
import csv
import io

import pytest

from engine import BadFileError, Shop
from tests.support.layouts import LAYOUTS

ECCUBE4 = LAYOUTS / "eccube4" / "order_20251001120000.csv"
ECCUBE2 = LAYOUTS / "eccube2" / "order_20251101120000.csv"


def rows_of(path):
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("cp932"))))


def written(path, header_source, rows, tmp_path, encoding="cp932"):
    """A file in ``header_source``'s exact header row with ``rows`` (dicts by column)."""
    header = next(csv.reader(io.StringIO(header_source.read_bytes().decode(encoding))))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in header])
    target = tmp_path / path
    target.write_bytes(out.getvalue().encode(encoding))
    return target


def eccube4_row(order, kind, price, quantity=1, rate="10", status="5", **cells):
    return {"注文ID": order, "注文番号": order, "会員ID": "", "お名前(姓)": "山田", "お名前(名)": "太郎",
            "郵便番号": "1500001", "都道府県(名称)": "東京都", "住所1": "渋谷区神宮前1-2-3",
            "TEL": "09012345678", "対応状況(ID)": status, "受注日": "2025-09-02 10:15:30",
            "価格": price, "個数": quantity, "税率": rate, "明細区分(ID)": kind,
            "商品コード": f"P-{price}" if kind == "1" else "", **cells}


def test_fee_rows_are_charges_and_tax_is_added_half_up(tmp_path):
    path = written("order_1.csv", ECCUBE4, [
        eccube4_row("1", "1", "1005", 2),           # 1005 + 100.5 → 101 tax = 1106, × 2
        eccube4_row("1", "1", "1007", 1, "8"),      # 1007 + 80.56 → 81 tax = 1088
        eccube4_row("1", "1", "1006", 1, "8%"),     # 1006 + 80.48 → 80 tax = 1086
        eccube4_row("1", "2", "550"),               # 送料 (two deliveries)
        eccube4_row("1", "2", "330"),
        eccube4_row("1", "3", "330"),               # 手数料
        eccube4_row("1", "4", "-100"),              # 割引, written negative
        eccube4_row("1", "5", "9999"),              # 税: neither goods nor a charge
        eccube4_row("1", "6", "-50"),               # ポイント
    ], tmp_path)
    shop = Shop(":memory:")
    result = shop.imports.import_file(path)
    assert (result.source, result.lines) == ("eccube4", 3)
    order = shop.db.query("SELECT amount, shipping, fee, coupon, points FROM orders")
    assert order == [{"amount": 1106 * 2 + 1088 + 1086, "shipping": 880, "fee": 330,
                      "coupon": 100, "points": 50}]
    lines = shop.db.query("SELECT product_code, unit_price, quantity, amount FROM order_lines "
                          "ORDER BY line_no")
    assert lines == [
        {"product_code": "P-1005", "unit_price": 1106, "quantity": 2, "amount": 2212},
        {"product_code": "P-1007", "unit_price": 1088, "quantity": 1, "amount": 1088},
        {"product_code": "P-1006", "unit_price": 1086, "quantity": 1, "amount": 1086}]


def test_orders_in_payment_or_checkout_or_returned_are_not_sales(tmp_path):
    path = written("order_2.csv", ECCUBE4, [
        eccube4_row(str(n), "1", "1000", status=status) for n, status in
        enumerate(["5", "3", "7", "8", "9", "1"], start=1)], tmp_path)
    shop = Shop(":memory:")
    shop.imports.import_file(path)
    assert shop.db.query("SELECT order_no, status FROM orders ORDER BY order_no") == [
        {"order_no": str(n), "status": status} for n, status in enumerate(
            ["valid", "cancelled", "cancelled", "cancelled", "cancelled", "valid"], start=1)]


def test_a_bad_tax_rate_on_a_goods_row_names_row_and_column(tmp_path):
    path = written("order_3.csv", ECCUBE4, [
        eccube4_row("1", "1", "1000"), eccube4_row("1", "2", "550", rate="なし"),
        eccube4_row("2", "1", "1000", rate="十")], tmp_path)
    shop = Shop(":memory:")
    with pytest.raises(BadFileError) as caught:
        shop.imports.import_file(path)
    assert (caught.value.row, caught.value.column) == (4, "税率")
    assert shop.db.scalar("SELECT count(*) FROM orders") == 0


def test_a_template_without_the_row_kind_is_refused_not_overstated(tmp_path):
    source = rows_of(ECCUBE4)
    header = [h for h in source[0] if h not in ("明細区分(ID)", "明細区分(名称)")]
    path = tmp_path / "order_4.csv"
    with open(path, "w", encoding="cp932", newline="") as handle:
        writer = csv.DictWriter(handle, header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(source)
    with pytest.raises(BadFileError) as caught:
        Shop(":memory:").imports.import_file(path, format_name="eccube4")
    assert "明細区分(ID)" in caught.value.reason


def test_an_export_without_lines_takes_each_orders_goods_subtotal():
    shop = Shop(":memory:")
    result = shop.imports.import_file(ECCUBE2)
    assert (result.source, result.orders_added, result.lines) == ("eccube2", 5, 0)
    assert shop.db.scalar("SELECT count(*) FROM order_lines") == 0
    orders = shop.db.query("SELECT order_no, status, amount, shipping, fee, points FROM orders "
                           "ORDER BY order_no")
    assert orders == [
        {"order_no": "101", "status": "valid", "amount": 2160, "shipping": 550, "fee": 0, "points": 0},
        {"order_no": "102", "status": "valid", "amount": 3496, "shipping": 0, "fee": 0, "points": 0},
        {"order_no": "103", "status": "cancelled", "amount": 5400, "shipping": 550, "fee": 0,
         "points": 0},
        {"order_no": "104", "status": "valid", "amount": 4400, "shipping": 550, "fee": 330, "points": 0},
        {"order_no": "105", "status": "valid", "amount": 5400, "shipping": 550, "fee": 0, "points": 100}]


def test_member_id_zero_is_no_member_so_guests_stay_apart(tmp_path):
    rows = rows_of(ECCUBE2)
    for row in rows:
        row["会員ID"] = "0"       # EC-CUBE 2 writes 0 for every guest
    path = written("guests.csv", ECCUBE2, rows, tmp_path)
    shop = Shop(":memory:")
    shop.imports.import_file(path)
    assert shop.db.scalar("SELECT count(*) FROM customers") == 4
    assert shop.db.scalar("SELECT count(*) FROM orders WHERE member_id != ''") == 0


def test_a_bad_subtotal_names_row_and_column(tmp_path):
    rows = rows_of(ECCUBE2)
    rows[2]["小計"] = "五千"
    with pytest.raises(BadFileError) as caught:
        Shop(":memory:").imports.import_file(written("bad.csv", ECCUBE2, rows, tmp_path))
    assert (caught.value.row, caught.value.column) == (4, "小計")
