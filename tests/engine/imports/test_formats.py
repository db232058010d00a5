"""The preset schema: every built-in preset names the source of its header row;
what a preset and a mapping file may say, and what they must."""
import json

import pytest

from engine.errors import InvalidInputError
from engine.imports.formats import (FIELDS, FormatPreset, builtin_presets, load_mapping_file,
                                    missing_fields)

FIELDS_MIN = {"order_no": ["伝票"], "ordered_at": ["日付"], "quantity": ["数"], "unit_price": ["単価"]}


def test_every_built_in_preset_names_where_its_header_row_came_from():
    for preset in builtin_presets():
        assert len(preset.source) > 40, preset.name
        assert "tests/data/layouts/" in preset.source or preset.name == "generic", preset.name


def test_every_importable_built_in_preset_says_where_to_download_its_file():
    missing = [p.name for p in builtin_presets() if not p.refuse and not p.download]
    assert missing == ["rakuten_legacy"]        # 楽天 no longer offers the old layout


def test_partly_guessed_layouts_say_so():
    guessed = {p.name for p in builtin_presets() if "PARTLY GUESSED" in p.source}
    assert guessed == {"makeshop", "futureshop"}


@pytest.mark.parametrize("fields, missing", [
    ({"order_no", "ordered_at", "quantity", "unit_price"}, []),
    ({"order_no", "ordered_at", "quantity", "line_amount"}, []),
    ({"order_no", "ordered_at", "order_amount"}, []),                 # an export without lines
    ({"order_no", "ordered_at", "quantity", "unit_price_ex_tax", "tax_rate"}, []),
    ({"order_no", "ordered_at", "quantity", "unit_price_ex_tax"}, ["tax_rate"]),
    ({"order_no", "quantity", "unit_price"}, ["ordered_at"]),
    ({"order_no", "ordered_at", "unit_price"}, ["quantity"]),
    ({"order_no", "ordered_at"}, ["quantity", "unit_price"]),
])
def test_what_an_import_needs(fields, missing):
    assert missing_fields(fields) == missing


def test_a_preset_survives_its_round_trip_through_json():
    for preset in builtin_presets():
        again = FormatPreset.from_dict(json.loads(json.dumps(preset.to_dict())), origin="x")
        assert again == preset, preset.name


@pytest.mark.parametrize("change, message", [
    ({"fields": {**FIELDS_MIN, "氏名": ["名前"]}}, "知らない項目名があります: 氏名"),
    ({"fields": {"order_no": ["伝票"], "quantity": ["数"]}}, "必須の項目が対応付けられていません: 注文日時、単価（税込）"),
    ({"rows": {"column": "区分", "goods": ["1"], "charges": {"quantity": ["2"]}}}, "明細区分で足せるのは"),
    ({"name_order": "random"}, "name_order"),
    ({"order_numbers": "sometimes"}, "order_numbers"),
    ({"rows": {"goods": ["1"]}}, "形が正しくありません"),
])
def test_a_mapping_that_cannot_work_is_refused_saying_why(tmp_path, change, message):
    path = tmp_path / "pos.json"
    path.write_text(json.dumps({"label": "POS", "fields": FIELDS_MIN, **change}, ensure_ascii=False),
                    encoding="utf-8")
    with pytest.raises(InvalidInputError) as caught:
        load_mapping_file(path)
    assert str(caught.value).startswith("pos.json: ") and message in str(caught.value)


def test_a_mapping_file_may_give_its_own_short_label(tmp_path):
    path = tmp_path / "pos.json"
    path.write_text(json.dumps({"label": "店頭POS（レジ締めデータ）", "short_label": "店頭",
                                "fields": FIELDS_MIN}, ensure_ascii=False), encoding="utf-8")
    preset = load_mapping_file(path)
    assert (preset.name, preset.label, preset.short_label) == (
        "pos", "店頭POS（レジ締めデータ）", "店頭")
    assert preset.to_dict()["short_label"] == "店頭"


def test_every_field_has_a_japanese_label():
    assert all(label and not label.isascii() for label in FIELDS.values())
