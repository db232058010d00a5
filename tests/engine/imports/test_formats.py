"""The presets name an order's source: one short label per built-in preset and saved mapping."""
import json

from engine import Shop
from engine.imports.formats import load_mapping_file

FIELDS = {"order_no": ["伝票"], "ordered_at": ["日付"], "quantity": ["数"], "unit_price": ["単価"]}


def test_every_built_in_preset_has_a_short_label():
    assert Shop(":memory:").formats.source_labels() == {
        "amazon": "Amazon", "base": "BASE", "colorme": "カラーミー", "generic": "自社",
        "rakuten": "楽天", "rakuten_legacy": "楽天（旧）", "shopify": "Shopify",
        "yahoo": "Yahoo!"}


def test_a_saved_mapping_is_labelled_by_the_name_the_shop_gave_it():
    shop = Shop(":memory:")
    preset = shop.formats.save_user_preset("店頭POS", ["伝票", "日付", "数", "単価"], FIELDS)
    labels = shop.formats.source_labels()
    assert labels[preset.name] == "店頭POS"
    assert labels["rakuten"] == "楽天"


def test_a_mapping_file_may_give_its_own_short_label(tmp_path):
    path = tmp_path / "pos.json"
    path.write_text(json.dumps({"label": "店頭POS（レジ締めデータ）", "short_label": "店頭",
                                "fields": FIELDS}, ensure_ascii=False), encoding="utf-8")
    preset = load_mapping_file(path)
    assert (preset.name, preset.label, preset.short_label) == (
        "pos", "店頭POS（レジ締めデータ）", "店頭")
    assert preset.to_dict()["short_label"] == "店頭"
