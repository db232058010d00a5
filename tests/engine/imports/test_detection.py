"""Header matching that survives real files: spellings normalised, presets scored on
the columns they need, a real tie asked about, the preset bound to the file."""
import pytest

from engine import BadFileError, Shop
from engine.imports import detection
from engine.imports.detection import HeaderIndex, bind, header_key
from engine.imports.formats import (AmbiguousFormatError, FormatPreset, RefusedReportError,
                                    UnknownFormatError)
from tests.support.layouts import LAYOUTS

GENERIC = ["受注番号", "受注日", "氏名", "電話番号", "商品コード", "単価", "数量"]


def presets():
    return Shop(":memory:").formats.presets()


@pytest.mark.parametrize("written, canonical", [
    ("注文者郵便番号１", "注文者郵便番号1"),          # 楽天 通常購入データ: full-width digits
    ("注文者住所：都道府県", "注文者住所:都道府県"),      # and colons
    ("Lineitem SKU", "lineitem sku"),               # help-center spelling, case
    ("Billing  Name", "billing name"),              # a template's double space
    ("消費税率（%）", "消費税率(%)"),                  # full-width parentheses
    ("購入者　名前", "購入者 名前"),                    # ideographic space
    (" 単価 ", "単価"),
])
def test_spellings_of_one_column_share_a_key(written, canonical):
    assert header_key(written) == header_key(canonical)


def test_different_columns_keep_different_keys():
    keys = {header_key(h) for h in ["Cancelled at", "Canceled at", "送料", "送料.1", "住所1", "住所2"]}
    assert len(keys) == 6


def test_an_alias_finds_the_other_spelling_and_the_file_keeps_its_own():
    index = HeaderIndex(["Name", "Canceled at", "Accepts Email Marketing"])
    assert index.find("Cancelled at", ["Canceled at"]) == "Canceled at"
    assert index.find("Accepts Marketing", ["Accepts Email Marketing"]) == "Accepts Email Marketing"
    assert index.find("Cancelled at") is None


def test_a_bound_preset_reads_the_files_own_spellings():
    legacy = next(p for p in presets() if p.name == "rakuten_legacy")
    headers = ["受注番号", "注文日", "注文時間", "注文者名字", "注文者名前", "注文者郵便番号1",
               "注文者郵便番号2", "注文者電話番号1", "単価", "個数", "受注ステータス"]
    bound = bind(legacy, headers)
    assert bound.fields["postal_code"] == ["注文者郵便番号1", "注文者郵便番号2"]
    assert bound.fields["phone"] == ["注文者電話番号1"]
    assert "email" not in bound.fields and "kana" not in bound.fields
    assert legacy.fields["postal_code"] == ["注文者郵便番号１", "注文者郵便番号２"]


def test_a_template_with_extra_reordered_and_missing_columns_still_matches():
    # MakeShop's shop-built template: its columns shuffled, one identifying column
    # (処理状況) left out, two of the shop's own added.
    headers = ["数量", "注文番号", "独自メモ", "注文者", "販売価格", "日付", "注文時間", "ラッピング"]
    preset = detection.detect(presets(), "template.csv", headers)
    assert preset.name == "makeshop"
    assert preset.fields["ordered_at"] == ["日付", "注文時間"]


def test_too_few_of_a_presets_columns_is_not_that_preset():
    headers = ["注文番号", "日付", "販売価格", "数量", "お客様"]     # 3 of MakeShop's 7 missing
    with pytest.raises(UnknownFormatError):
        detection.detect(presets(), "few.csv", headers)


def test_a_near_miss_says_which_required_column_is_missing():
    headers = ["注文ID", "注文日時", "氏(請求先)", "名(請求先)", "数量", "商品名"]   # BASE without 価格
    with pytest.raises(UnknownFormatError) as caught:
        detection.detect(presets(), "base.csv", headers)
    assert "「BASE（注文データ）」の形式に似ていますが、必要な列（価格）がありません" in caught.value.reason
    assert caught.value.headers == headers


def user(name: str, label: str, match: list[str]) -> FormatPreset:
    return FormatPreset.from_dict({"name": name, "label": label, "match": match, "fields": {
        "order_no": ["受注番号"], "ordered_at": ["受注日"], "name": ["氏名"],
        "unit_price": ["単価"], "quantity": ["数量"]}}, origin=label, user=True)


def test_a_saved_mapping_wins_over_a_built_in_preset_it_equals():
    mine = user("user_1", "自社カート", ["受注番号", "受注日", "単価", "数量"])
    assert detection.detect(presets() + [mine], "own.csv", GENERIC).name == "user_1"


def test_a_real_tie_between_presets_is_asked_about():
    first = user("user_1", "店舗A", ["受注番号", "受注日", "氏名", "単価", "数量"])
    second = user("user_2", "店舗B", ["受注番号", "受注日", "電話番号", "単価", "数量"])
    with pytest.raises(AmbiguousFormatError) as caught:
        detection.detect(presets() + [first, second], "tie.csv", GENERIC)
    assert caught.value.candidates == ["user_1", "user_2"]
    assert "「店舗A」、「店舗B」のどれの形式か" in caught.value.reason
    assert isinstance(caught.value, UnknownFormatError)


def test_the_more_specific_preset_wins_without_a_tie():
    # All of generic's 4 columns and all of the saved mapping's 5: both score 1.0,
    # the one matching more columns is the more specific.
    mine = user("user_1", "自社カート", ["受注番号", "受注日", "氏名", "単価", "数量"])
    more = FormatPreset.from_dict({**mine.to_dict(), "match": ["受注番号", "受注日", "単価", "数量"],
                                   "name": "user_2", "label": "別"}, origin="別", user=True)
    assert detection.detect(presets() + [mine, more], "own.csv", GENERIC).name == "user_1"


def test_a_report_to_refuse_is_refused_before_any_preset_is_tried():
    headers = (LAYOUTS / "amazon_unshipped" / "amazon_unshipped_orders.txt").read_text(
        encoding="cp932").splitlines()[0].split("\t")
    with pytest.raises(RefusedReportError) as caught:
        detection.detect(presets(), "report.txt", headers)
    assert caught.value.row == 1 and "未出荷の注文" in caught.value.reason


def test_each_file_of_a_two_file_download_is_recognised_as_its_part():
    def headers(name):
        return (LAYOUTS / "yahoo" / name).read_text(encoding="cp932").splitlines()[0] \
            .replace('"', "").split(",")
    assert detection.detect(presets(), "o.csv", headers("yahoo_order.csv")).part == "order"
    assert detection.detect(presets(), "i.csv", headers("yahoo_item.csv")).part == "item"
    # Both files' columns in one file: the whole download, imported as it is.
    both = headers("yahoo_order.csv") + headers("yahoo_item.csv")[1:]
    assert detection.detect(presets(), "both.csv", both).part is None


def test_a_file_lacking_every_buyer_column_is_refused(tmp_path):
    path = tmp_path / "anonymous.csv"
    path.write_text("受注番号,受注日,単価,数量\nA1,2025/7/1,1000,1\n", encoding="utf-8")
    with pytest.raises(BadFileError) as caught:
        Shop(":memory:").imports.import_file(path)
    assert "購入者を表す列" in caught.value.reason and caught.value.row == 1
