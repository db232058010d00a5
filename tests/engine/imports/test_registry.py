"""The shop's formats: built-in presets name an order's source; saved mappings are
labelled by the shop and can be shared as files with another PC."""
import json

import pytest

from engine import Shop
from engine.errors import InvalidInputError, NotFoundError

FIELDS = {"order_no": ["伝票"], "ordered_at": ["日付"], "name": ["お名前"], "quantity": ["数"],
          "unit_price": ["単価"]}
HEADERS = ["伝票", "日付", "お名前", "数", "単価", "メモ"]


def test_every_importable_built_in_preset_has_a_short_label():
    assert Shop(":memory:").formats.source_labels() == {
        "amazon": "Amazon", "aupay": "au PAY", "base": "BASE", "colorme": "カラーミー",
        "creema": "Creema", "eccube2": "EC-CUBE", "eccube4": "EC-CUBE", "futureshop": "futureshop",
        "generic": "自社", "makeshop": "MakeShop", "minne": "minne", "nextengine": "ネクストエンジン",
        "qoo10": "Qoo10", "rakuten": "楽天", "rakuten_legacy": "楽天（旧）", "shopify": "Shopify",
        "yahoo": "Yahoo!"}


def test_a_refused_report_is_no_format_to_import_with():
    with pytest.raises(NotFoundError):
        Shop(":memory:").formats.by_name("amazon_unshipped")


def test_a_saved_mapping_is_labelled_by_the_name_the_shop_gave_it():
    shop = Shop(":memory:")
    preset = shop.formats.save_user_preset("店頭POS", HEADERS, FIELDS)
    assert preset.match == ["伝票", "日付", "お名前", "数", "単価"]
    labels = shop.formats.source_labels()
    assert labels[preset.name] == "店頭POS" and labels["rakuten"] == "楽天"


def test_a_mapping_exported_on_one_pc_imports_on_another(tmp_path):
    consultant, shop = Shop(":memory:"), Shop(":memory:")
    consultant.formats.save_user_preset("他店", ["a", "b"], {
        "order_no": ["a"], "ordered_at": ["b"], "order_amount": ["b"]})
    made = consultant.formats.save_user_preset("店頭POS", HEADERS, FIELDS)
    shop.formats.save_user_preset("ネット", ["x", "y"], {
        "order_no": ["x"], "ordered_at": ["y"], "order_amount": ["y"]})
    path = consultant.formats.export_user_preset(made.name, tmp_path / "店頭POS.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert "name" not in data and data["label"] == "店頭POS" and data["fields"] == FIELDS
    imported = shop.formats.import_user_preset(path)
    # Named by this shop's own numbering, so it never takes another mapping's source.
    assert (imported.name, imported.label, imported.fields) == ("user_2", "店頭POS", FIELDS)
    # Imported again (a corrected version): it replaces the one of that label.
    again = shop.formats.import_user_preset(path)
    assert again.name == "user_2"
    assert [p.label for p in shop.formats.presets() if p.user] == ["ネット", "店頭POS"]


def test_a_file_dropped_after_a_mapping_was_imported_is_recognised(tmp_path):
    consultant, shop = Shop(":memory:"), Shop(":memory:")
    made = consultant.formats.save_user_preset("店頭POS", HEADERS, FIELDS)
    shop.formats.import_user_preset(
        consultant.formats.export_user_preset(made.name, tmp_path / "m.json"))
    orders = tmp_path / "pos.csv"
    orders.write_text("伝票,日付,お名前,数,単価,メモ\nP1,2025/7/1,青木 陽,2,500,\n", encoding="utf-8")
    result = shop.imports.import_file(orders)
    assert (result.source_label, result.orders_added) == ("店頭POS", 1)
    assert shop.db.scalar("SELECT amount FROM orders") == 1000


def test_exporting_an_unknown_mapping_or_importing_a_bad_file_says_so(tmp_path):
    shop = Shop(":memory:")
    with pytest.raises(NotFoundError):
        shop.formats.export_user_preset("user_9", tmp_path / "x.json")
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(InvalidInputError):
        shop.formats.import_user_preset(bad)
    assert not [p for p in shop.formats.presets() if p.user]
