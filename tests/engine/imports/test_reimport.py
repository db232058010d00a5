"""A later export of the same order updates it; the latest import wins (SPEC §2).
Tests that import into one shop run in both stores (``empty_shop``)."""
import json

from engine import BadFileError, Shop
from engine.imports.formats import UnknownFormatError
from tests.support.snapshot import SAMPLES, snapshot

import pytest

RAKUTEN_SEP = SAMPLES / "rakuten" / "rakuten_202509.csv"


def test_a_later_export_with_a_changed_status_updates_the_order(empty_shop, tmp_path):
    text = RAKUTEN_SEP.read_bytes().decode("cp932")
    assert text.count("キャンセル確定") >= 1
    earlier = tmp_path / "rakuten_early.csv"
    earlier.write_bytes(text.replace("キャンセル確定", "発送済").encode("cp932"))
    shop = empty_shop
    first = shop.imports.import_file(earlier)
    cancelled_no = next(line.split(",")[0].strip('"') for line in text.splitlines()
                        if "キャンセル確定" in line)
    assert shop.db.scalar("SELECT status FROM orders WHERE order_no = ?", (cancelled_no,)) == "valid"
    before = snapshot(shop)
    second = shop.imports.import_file(RAKUTEN_SEP)
    assert (second.orders_added, second.orders_updated) == (0, 1)
    assert second.orders_unchanged == first.orders_added - 1
    assert shop.db.scalar("SELECT count(*) FROM orders") == first.orders_added
    assert shop.db.scalar("SELECT status FROM orders WHERE order_no = ?",
                          (cancelled_no,)) == "cancelled"
    lines = shop.db.scalar("SELECT count(*) FROM order_lines")
    assert lines == len(text.splitlines()) - 1
    shop.imports.undo(second.import_id)
    assert snapshot(shop) == before


def test_undo_is_refused_while_a_later_import_changed_the_same_orders(empty_shop, tmp_path):
    text = RAKUTEN_SEP.read_bytes().decode("cp932")
    earlier = tmp_path / "early.csv"
    earlier.write_bytes(text.replace("キャンセル確定", "発送済").encode("cp932"))
    shop = empty_shop
    first = shop.imports.import_file(earlier)
    shop.imports.import_file(RAKUTEN_SEP)
    history = {r["id"]: r for r in shop.imports.history()}
    assert history[first.import_id]["can_undo"] is False
    from engine.errors import UndoBlockedError
    with pytest.raises(UndoBlockedError, match="rakuten_202509.csv"):
        shop.imports.undo(first.import_id)


CUSTOM = "伝票番号,購入日,お客様名,電話,郵便,品番,品名,金額,個数\nX-1,2025/7/1,青木 陽,090-1000-2000,100-0001,P1,茶,1500,2\nX-1,2025/7/1,青木 陽,090-1000-2000,100-0001,P2,菓子,800,1\n"
MAPPING = {"label": "自社POS", "fields": {
    "order_no": "伝票番号", "ordered_at": "購入日", "name": "お客様名", "phone": "電話",
    "postal_code": "郵便", "product_code": "品番", "product_name": "品名",
    "unit_price": "金額", "quantity": "個数"}}


def test_mapping_file_imports_an_unknown_layout(empty_shop, tmp_path):
    path = tmp_path / "pos.csv"
    path.write_text(CUSTOM, encoding="cp932")
    mapping = tmp_path / "pos.json"
    mapping.write_text(json.dumps(MAPPING, ensure_ascii=False), encoding="utf-8")
    shop = empty_shop
    with pytest.raises(UnknownFormatError):
        shop.imports.import_file(path)
    result = shop.imports.import_file(path, mapping=mapping)
    assert (result.orders_added, result.lines) == (1, 2)
    assert shop.db.query("SELECT amount, order_date FROM orders") == [
        {"amount": 3800, "order_date": "2025-07-01"}]


def test_a_saved_user_preset_is_recognised_next_time(empty_shop, tmp_path):
    path = tmp_path / "pos.csv"
    path.write_text(CUSTOM, encoding="utf-8")
    shop = empty_shop
    fields = {k: [v] for k, v in MAPPING["fields"].items()}
    shop.formats.save_user_preset("自社POS", CUSTOM.splitlines()[0].split(","), fields)
    result = shop.imports.import_file(path)
    assert result.source.startswith("user_") and result.orders_added == 1
    assert "自社POS" in [p.label for p in shop.formats.presets()]


def test_saving_a_preset_again_keeps_its_name_and_a_forgotten_one_leaves_no_trace(empty_shop):
    shop = empty_shop
    headers = CUSTOM.splitlines()[0].split(",")
    fields = {k: [v] for k, v in MAPPING["fields"].items()}
    first = shop.formats.save_user_preset("A", headers, fields)
    second = shop.formats.save_user_preset("B", headers, fields)
    again = shop.formats.save_user_preset("A", headers, fields)
    assert (first.name, second.name, again.name) == ("user_1", "user_2", "user_1")
    shop.formats.forget_user_preset("user_1")
    third = shop.formats.save_user_preset("C", headers, fields)
    assert [p.name for p in shop.formats.presets() if p.user] == ["user_2", "user_3"]
    shop.formats.forget_user_preset(second.name)
    shop.formats.forget_user_preset(third.name)
    assert shop.db.query("SELECT * FROM settings WHERE key = 'user_formats'") == []


def test_legacy_rakuten_and_yahoo_presets(empty_shop, tmp_path):
    legacy = tmp_path / "legacy.csv"
    legacy.write_text(
        "受注番号,受注ステータス,注文日,注文時間,注文者名字,注文者名前,注文者名字フリガナ,"
        "注文者名前フリガナ,注文者郵便番号1,注文者郵便番号2,注文者住所：都道府県,注文者住所：都市区,"
        "注文者住所：町以降,注文者電話番号1,注文者電話番号2,注文者電話番号3,メールアドレス,商品名,商品番号,単価,個数\n"
        "100-1,キャンセル,2024/2/29,23:59:59,森,花,ﾓﾘ,ﾊﾅ,100,0001,東京都,千代田区,1−1,03,1234,5678,"
        "m@example.jp,茶,T1,1000,3\n"
        "100-2,処理済,2024/3/1,00:00:01,森,花,ﾓﾘ,ﾊﾅ,100,0001,東京都,千代田区,1−1,03,1234,5678,"
        "m@example.jp,茶,T1,1000,2\n", encoding="cp932")
    yahoo = tmp_path / "yahoo.csv"
    yahoo.write_text(
        "OrderId,OrderTime,BillLastName,BillFirstName,BillZipCode,BillPrefecture,BillCity,"
        "BillAddress1,BillAddress2,BillPhoneNumber,BillMailAddress,ItemId,Title,UnitPrice,Quantity\n"
        "y-1,2024-03-02 10:00:00,森,花,1000001,東京都,千代田区,1-1,,0312345678,M@Example.jp,T1,茶,500,1\n",
        encoding="utf-8")
    shop = empty_shop
    assert shop.imports.import_file(legacy).source == "rakuten_legacy"
    assert shop.imports.import_file(yahoo).source == "yahoo"
    assert shop.db.scalar("SELECT count(DISTINCT customer_id) FROM orders") == 1
    (row,) = shop.customers.table(as_of="2024-03-31").to_dict("records")
    assert (row["purchase_count"], row["total_amount"], row["first_purchase"]) == (2, 2500, "2024-03-01")
    assert row["kana"] == "モリ ハナ" and row["address"] == "東京都千代田区1-1"


# --- raw digests: unchanged orders are skipped before they are normalised ----------

def with_first_row_cell(tmp_path, header: str, change, name: str):
    """The September export with the cell under ``header`` of its first data row
    replaced by ``change(cell)`` (cells as written, quotes included); returns the
    copy and that row's order number."""
    header_line, first, rest = RAKUTEN_SEP.read_bytes().decode("cp932").split("\n", 2)
    column = header_line.rstrip("\r").split(",").index(f'"{header}"')
    cells = first.split(",")
    cells[column] = change(cells[column])
    path = tmp_path / name
    path.write_bytes("\n".join([header_line, ",".join(cells), rest]).encode("cp932"))
    return path, cells[0].strip('"')


def copy_with_extra_column_change(tmp_path):
    """The September export with one byte changed in a column no preset maps
    (注文者性別): new file bytes, same imported content."""
    return with_first_row_cell(tmp_path, "注文者性別",
                               lambda cell: '"不明"' if cell != '"不明"' else '"男"',
                               "same_content.csv")[0]


def normalised_texts(monkeypatch) -> list[int]:
    """Counts the values that go through text normalisation from now on."""
    import engine.imports.normalize
    seen = [0]
    original = engine.imports.normalize._text

    def counting(value):
        seen[0] += 1
        return original(value)

    monkeypatch.setattr(engine.imports.normalize, "_text", counting)
    return seen


def test_a_copy_with_only_unmapped_cells_changed_normalises_nothing_but_order_numbers(
        empty_shop, tmp_path, monkeypatch):
    shop = empty_shop
    first = shop.imports.import_file(RAKUTEN_SEP)
    before = snapshot(shop)
    seen = normalised_texts(monkeypatch)
    again = shop.imports.import_file(copy_with_extra_column_change(tmp_path))
    assert not again.already_imported
    assert (again.orders_added, again.orders_updated, again.orders_unchanged) == (
        0, 0, first.orders_added)
    # Only the distinct order numbers were normalised (to look the orders up).
    assert seen[0] == first.orders_added
    assert snapshot(shop) == before


def test_one_changed_mapped_cell_updates_exactly_that_order(empty_shop, tmp_path):
    shop = empty_shop
    first = shop.imports.import_file(RAKUTEN_SEP)
    changed, order_no = with_first_row_cell(tmp_path, "個数", lambda cell: '"9"', "changed.csv")
    again = shop.imports.import_file(changed)
    assert (again.orders_added, again.orders_updated, again.orders_unchanged) == (
        0, 1, first.orders_added - 1)
    assert shop.db.scalar(
        "SELECT l.quantity FROM order_lines l JOIN orders o ON o.id = l.order_id "
        "WHERE o.order_no = ? AND l.line_no = 1", (order_no,)) == 9


def test_orders_stored_without_a_raw_digest_are_compared_by_content(empty_shop, tmp_path):
    # A database from before raw digests: every order is normalised and found unchanged,
    # and an unchanged order is left exactly as it was (no digest written into it).
    shop = empty_shop
    first = shop.imports.import_file(RAKUTEN_SEP)
    shop.db.conn.execute("UPDATE orders SET raw_digest = NULL")
    before = snapshot(shop)
    again = shop.imports.import_file(copy_with_extra_column_change(tmp_path))
    assert (again.orders_added, again.orders_updated, again.orders_unchanged) == (
        0, 0, first.orders_added)
    assert snapshot(shop) == before


def test_raw_digests_depend_on_the_mapping_and_the_rules(monkeypatch):
    from engine.imports import order_frame
    from engine.imports.formats import builtin_presets
    from engine.imports.raw_columns import RawColumns
    from engine.imports.reader import read_table
    table = read_table(RAKUTEN_SEP)
    rakuten = next(p for p in builtin_presets() if p.name == "rakuten")
    numbers = RawColumns(table, rakuten).apply("order_no", order_frame.normalize.text)
    digests = order_frame._raw_digests(table, rakuten, numbers)
    assert digests.index.is_unique and len(digests) == len(set(numbers))
    assert digests.str.fullmatch("[0-9a-f]{16}").all()
    other = json.loads(json.dumps(rakuten.__dict__))
    other["fields"]["email"] = []
    changed_mapping = type(rakuten)(**other)
    assert not (order_frame._raw_digests(table, changed_mapping, numbers) == digests).any()
    monkeypatch.setattr(order_frame, "RULES_VERSION", order_frame.RULES_VERSION + 1)
    assert not (order_frame._raw_digests(table, rakuten, numbers) == digests).any()


def test_content_digests_stay_those_earlier_versions_stored():
    # Databases written by earlier versions hold these digests; if they changed,
    # their first re-import would report every order as updated. (Rules version 2
    # changed only the Shopify orders': their Accepts Marketing is now recorded.)
    import hashlib
    from tests.support.snapshot import imported_shop
    rows = imported_shop().db.query(
        "SELECT source, order_no, digest FROM orders ORDER BY source, order_no")
    fingerprint = hashlib.sha256(
        repr([(r["source"], r["order_no"], r["digest"]) for r in rows]).encode()).hexdigest()
    assert len(rows) == 184
    assert fingerprint == "a646bf5f496792abd087d4a9add80dc7b3faf111d858123e0f43fc8e89b3c6ed"


# --- a reused order number is another order, never an overwrite ----------------------

GENERIC = "会員コード,受注番号,受注日,氏名,フリガナ,郵便番号,住所,電話番号,メールアドレス,商品コード,商品名,単価,数量\n"


def generic(path, rows):
    """rows: (order_no, date, name, email, unit_price, quantity)."""
    path.write_text(GENERIC + "".join(
        f",{n},{d},{name},,1000001,東京都千代田区1-1,,{mail},S1,茶,{price},{qty}\n"
        for n, d, name, mail, price, qty in rows), encoding="utf-8")
    return path


YEAR_2024 = [(str(i), f"2024-0{i}-10", f"田中 {i}郎", f"t{i}@example.jp", 1000, i) for i in range(1, 6)]
YEAR_2025 = [(str(i), f"2025-0{i}-12", f"鈴木 {i}子", f"s{i}@example.jp", 2000, 1) for i in range(1, 6)]


def test_own_numbering_restarting_each_year_keeps_both_years(empty_shop, tmp_path):
    shop = empty_shop
    shop.imports.import_file(generic(tmp_path / "2024.csv", YEAR_2024))
    before = shop.db.query("SELECT order_no, order_date, amount, c.name FROM orders o "
                           "JOIN customers c ON c.id = o.customer_id ORDER BY o.id")
    second = shop.imports.import_file(generic(tmp_path / "2025.csv", YEAR_2025))
    assert (second.orders_added, second.orders_updated, second.customers_added) == (5, 0, 5)
    after = shop.db.query("SELECT order_no, order_date, amount, c.name FROM orders o "
                          "JOIN customers c ON c.id = o.customer_id ORDER BY o.id")
    assert after[:5] == before                     # 2024 orders, sales and names intact
    assert [r["order_no"] for r in after[5:]] == [f"{i}（2025-0{i}-12）" for i in range(1, 6)]
    assert shop.db.scalar("SELECT sum(amount) FROM orders") == 15000 + 10000
    again = shop.imports.import_file(generic(tmp_path / "2025_again.csv", YEAR_2025 + [
        ("9", "2025-09-01", "新規 花子", "n@example.jp", 500, 1)]))
    assert (again.orders_added, again.orders_updated, again.orders_unchanged) == (1, 0, 5)


def test_two_buyers_under_one_number_in_one_file_are_both_kept(empty_shop, tmp_path):
    shop = empty_shop
    result = shop.imports.import_file(generic(tmp_path / "mixed.csv", [
        ("7", "2025-01-05", "佐藤 一", "a@example.jp", 1000, 1),
        ("7", "2025-01-05", "佐藤 一", "a@example.jp", 500, 2),    # a second line of it
        ("7", "2025-03-01", "高橋 二", "b@example.jp", 3000, 1)]))
    assert result.orders_added == 2
    assert shop.db.query("SELECT order_no, amount FROM orders ORDER BY id") == [
        {"order_no": "7", "amount": 2000}, {"order_no": "7（2025-03-01）", "amount": 3000}]


def test_a_marketplace_number_used_twice_is_an_error_naming_the_rows(empty_shop, tmp_path):
    shop = empty_shop
    shop.imports.import_file(RAKUTEN_SEP)
    before = snapshot(shop)
    text = RAKUTEN_SEP.read_bytes().decode("cp932").splitlines()
    number = text[1].split(",")[0].strip('"')
    # A later file whose first order carries a known number on another day.
    changed = text[1].replace("2025-09", "2025-11", 1)
    later = tmp_path / "rakuten_later.csv"
    later.write_bytes(("\r\n".join([text[0], changed]) + "\r\n").encode("cp932"))
    with pytest.raises(BadFileError, match=f"注文番号「{number}」は、取込済みの別の注文") as info:
        shop.imports.import_file(later)
    assert (info.value.row, info.value.column) == (2, "注文番号")
    assert snapshot(shop) == before
    within = tmp_path / "rakuten_twice.csv"
    within.write_bytes(("\r\n".join([text[0], text[1], changed]) + "\r\n").encode("cp932"))
    with pytest.raises(BadFileError, match="2行目と3行目で注文日または注文者が違います"):
        Shop(":memory:").imports.import_file(within)


def test_files_of_two_shopify_stores_sharing_order_numbers_keep_both(empty_shop, tmp_path):
    from tests.support.generated_export import csv_bytes, order_rows

    store_a, store_b = order_rows(20, 8, seed=1), order_rows(20, 8, seed=2)
    for row in store_b:   # the second store's buyers are other people
        row[1] = row[1].replace("@", ".b@")
        row[8] = row[8].replace(" ", " 別")
    shop = empty_shop
    for name, rows in (("a.csv", store_a), ("b.csv", store_b)):
        (tmp_path / name).write_bytes(csv_bytes(rows))
        shop.imports.import_file(tmp_path / name)
    amounts = sum(int(r[4]) * int(r[6]) for r in store_a + store_b)
    assert shop.db.scalar("SELECT count(*) FROM orders") == 40
    assert shop.db.scalar("SELECT sum(amount) FROM orders") == amounts
