"""A download that comes as two files (Yahoo's 注文 and 商品): joined on the order
number whether dropped together or one after the other, in either order; a lone
line file is kept and answered with the file to add; one undoable operation."""
import pytest

from engine import BadFileError, Shop
from engine.imports.downloads import PartMissingError
from tests.support.layouts import LAYOUTS, expected, figures_by_person
from tests.support.snapshot import snapshot

ORDERS = LAYOUTS / "yahoo" / "yahoo_order.csv"
ITEMS = LAYOUTS / "yahoo" / "yahoo_item.csv"
LINES = "SELECT o.order_no, l.product_code, l.unit_price, l.quantity, l.amount FROM order_lines l " \
        "JOIN orders o ON o.id = l.order_id ORDER BY o.order_no, l.line_no"
YAHOO = {person: [figures] for person, figures in expected("yahoo").items()}


def test_files_dropped_together_are_grouped_in_the_order_given(empty_shop):
    shop = empty_shop
    other = LAYOUTS / "base" / "base_orders.csv"
    assert shop.imports.group_downloads([ITEMS, other, ORDERS]) == [(ITEMS, ORDERS), (other,)]
    assert shop.imports.group_downloads([ORDERS, ITEMS, ORDERS]) == [(ORDERS, ITEMS), (ORDERS,)]


@pytest.mark.parametrize("first, second", [(ORDERS, ITEMS), (ITEMS, ORDERS)],
                         ids=["orders-first", "items-first"])
def test_two_files_together_are_one_import_with_lines(empty_shop, first, second):
    shop = empty_shop
    result = shop.imports.import_file(first, partners=[second])
    assert (result.file_name, result.orders_added, result.lines) == (
        "yahoo_order.csv＋yahoo_item.csv", 5, 6)
    assert shop.db.query(LINES)[:3] == [
        {"order_no": "example-store-10001", "product_code": "tea-001", "unit_price": 1080,
         "quantity": 2, "amount": 2160},
        {"order_no": "example-store-10002", "product_code": "tea-002", "unit_price": 1296,
         "quantity": 1, "amount": 1296},
        {"order_no": "example-store-10002", "product_code": "cup-010", "unit_price": 2200,
         "quantity": 1, "amount": 2200}]
    assert figures_by_person(shop) == YAHOO
    assert shop.db.scalar("SELECT count(*) FROM imports") == 1
    # The joined download's re-import is recognised as the same pair of files.
    assert shop.imports.import_file(second, partners=[first]).already_imported


def test_a_lone_line_file_is_kept_and_answered_with_the_file_to_add(empty_shop):
    shop = empty_shop
    before = snapshot(shop)
    with pytest.raises(PartMissingError) as caught:
        shop.imports.import_file(ITEMS)
    message = str(caught.value)
    assert message.startswith("yahoo_item.csv: Yahoo!ショッピングの注文データは「注文」と「商品」の"
                              "2つのファイルです。これは「商品」のファイルです。「注文」のファイル（")
    assert "注文情報のテンプレートを選んだCSV）も一緒に取り込んでください" in message
    assert snapshot(shop) == before
    assert shop.db.query("SELECT format, part, file_name FROM pending_parts") == [
        {"format": "yahoo", "part": "item", "file_name": "yahoo_item.csv"}]
    # The order file, dropped later, is joined with it: one import, the kept file used up.
    result = shop.imports.import_file(ORDERS)
    assert (result.file_name, result.orders_added, result.lines) == (
        "yahoo_order.csv＋yahoo_item.csv", 5, 6)
    assert figures_by_person(shop) == YAHOO
    assert shop.db.scalar("SELECT count(*) FROM pending_parts") == 0


def test_an_order_file_alone_imports_its_subtotals_and_its_lines_come_later(empty_shop):
    shop = empty_shop
    alone = shop.imports.import_file(ORDERS)
    assert (alone.orders_added, alone.lines) == (5, 0)
    assert figures_by_person(shop) == YAHOO
    assert shop.db.scalar("SELECT count(*) FROM pending_parts WHERE part = 'order'") == 1
    later = shop.imports.import_file(ITEMS)
    assert (later.file_name, later.orders_added, later.orders_updated, later.lines) == (
        "yahoo_order.csv＋yahoo_item.csv", 0, 5, 6)
    assert figures_by_person(shop) == YAHOO
    assert shop.db.scalar("SELECT count(*) FROM order_lines") == 6
    assert shop.db.scalar("SELECT count(*) FROM pending_parts") == 0


def test_undoing_the_pair_returns_to_the_order_file_alone(empty_shop):
    shop = empty_shop
    shop.imports.import_file(ORDERS)
    alone = snapshot(shop)
    later = shop.imports.import_file(ITEMS)
    shop.imports.undo(later.import_id)
    assert snapshot(shop) == alone


def test_files_of_different_downloads_are_refused_naming_the_row(empty_shop, tmp_path):
    items = tmp_path / "yahoo_item.csv"
    text = ITEMS.read_bytes().decode("cp932").replace("example-store-10005", "example-store-99999")
    items.write_bytes(text.encode("cp932"))
    shop = empty_shop
    before = snapshot(shop)
    with pytest.raises(BadFileError) as caught:
        shop.imports.import_file(ORDERS, partners=[items])
    error = caught.value
    assert (error.file, error.row, error.column) == ("yahoo_item.csv", 7, "OrderId")
    assert "example-store-99999" in error.reason and "yahoo_order.csv にありません" in error.reason
    assert snapshot(shop) == before


def test_an_order_without_lines_is_refused_naming_the_order_file_row(tmp_path):
    items = tmp_path / "yahoo_item.csv"
    lines = ITEMS.read_bytes().decode("cp932").splitlines(keepends=True)
    items.write_bytes("".join(lines[:-1]).encode("cp932"))     # the last order's only line gone
    with pytest.raises(BadFileError) as caught:
        Shop(":memory:").imports.import_file(ORDERS, partners=[items])
    assert (caught.value.file, caught.value.row) == ("yahoo_order.csv", 6)
    assert "商品が yahoo_item.csv にありません" in caught.value.reason


def test_a_bad_cell_of_the_order_file_is_named_in_the_order_file(tmp_path):
    orders = tmp_path / "yahoo_order.csv"
    text = ORDERS.read_bytes().decode("cp932").replace('"1754384700"', '""').replace(
        '"2025/08/05 18:05:00"', '"いつか"')
    orders.write_bytes(text.encode("cp932"))
    with pytest.raises(BadFileError) as caught:
        Shop(":memory:").imports.import_file(ITEMS, partners=[orders])
    assert (caught.value.file, caught.value.row, caught.value.column) == (
        "yahoo_order.csv", 3, "OrderTime")


def test_a_file_of_another_download_is_not_a_partner():
    with pytest.raises(BadFileError) as caught:
        Shop(":memory:").imports.import_file(ORDERS, partners=[LAYOUTS / "base" / "base_orders.csv"])
    assert caught.value.file == "base_orders.csv"


def test_a_kept_file_of_another_download_does_not_hold_up_this_one(empty_shop, tmp_path):
    other_month = tmp_path / "yahoo_item.csv"
    other_month.write_bytes(ITEMS.read_bytes().decode("cp932").replace(
        "example-store-100", "example-store-900").encode("cp932"))
    shop = empty_shop
    with pytest.raises(PartMissingError):
        shop.imports.import_file(other_month)
    result = shop.imports.import_file(ORDERS)
    assert (result.file_name, result.orders_added, result.lines) == ("yahoo_order.csv", 5, 0)
    assert shop.db.query("SELECT part FROM pending_parts ORDER BY part") == [
        {"part": "item"}, {"part": "order"}]
