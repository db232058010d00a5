"""Normalisation rules (SPEC §2), hand-checked, and the one-pass functions held to
the rules written out step by step with pandas string methods."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.imports import normalize

HYPHENS = normalize.HYPHENS


def series(*values: str) -> pd.Series:
    return pd.Series(list(values), dtype=str)


def test_text_rules_by_hand():
    assert normalize.text(series("  ＡＢＣ　１２３  ", "a\t\n b", "")).tolist() == [
        "ABC 123", "a b", ""]
    assert normalize.kana(series("ｽｽﾞｷ　ゆい")).tolist() == ["スズキ ユイ"]
    assert normalize.email(series(" Taro.Y @Example.JP ")).tolist() == ["taro.y@example.jp"]
    assert normalize.address(series("本町１－２ー３", "〜 4−5")).tolist() == ["本町1-2-3", "〜 4-5"]
    assert normalize.name_key(series("佐藤 　あすか")).tolist() == ["佐藤あすか"]
    assert normalize.postal_code(series("〒１２３－４５６７", "'2310001", "12345")).tolist() == [
        "1234567", "2310001", "0012345"]


def test_phone_rules_by_hand():
    phones = series("090-1234-5678", "０９０ー１２３４ー５６７８", "+81 90 1234 5678",
                    "+81 (0)90-1234-5678", "819012345678", "03 - 1234 - 5678")
    assert normalize.phone_digits(phones).tolist() == [
        "09012345678", "09012345678", "09012345678", "09012345678", "09012345678",
        "0312345678"]
    assert normalize.phone_display(phones).tolist() == [
        "090-1234-5678", "090-1234-5678", "+81 90 1234 5678", "+81 (0)90-1234-5678",
        "819012345678", "03-1234-5678"]


@pytest.mark.parametrize("phone, shown", [
    ("09012345678", "090-1234-5678"),      # mobile
    ("07011112222", "070-1111-2222"),
    ("05012345678", "050-1234-5678"),      # IP phone
    ("0312345678", "03-1234-5678"),        # Tokyo: 2-digit area code
    ("0662223333", "06-6222-3333"),        # Osaka
    ("0112223333", "011-222-3333"),        # Sapporo: 3 digits
    ("0452223333", "045-222-3333"),        # Yokohama
    ("0429221234", "04-2922-1234"),        # Tokorozawa: 04 with a 2-digit code
    ("0422123456", "042-212-3456"),        # Musashino: 042 on the same 04
    ("0466123456", "0466-12-3456"),        # Fujisawa: 4 digits
    ("0462123456", "046-212-3456"),        # Atsugi: 046 beside it
    ("0123451234", "0123-45-1234"),        # Chitose
    ("0126712345", "01267-1-2345"),        # Iwamizawa-Kurisawa: 5 digits
    ("0499212345", "04992-1-2345"),        # Izu Oshima
    ("0120123456", "0120-123-456"),        # free dial
    ("08001234567", "0800-123-4567"),      # free dial, 11 digits (not mobile 080)
    ("0570123456", "0570-123-456"),        # navi dial
    ("090-1234-5678", "090-1234-5678"),    # already written the same way
    ("03 - 1234 - 5678", "03-1234-5678"),
    ("０９０ー１２３４ー５６７８", "090-1234-5678"),
    ("+81 90 1234 5678", "090-1234-5678"),
    ("+81 (0)3-1234-5678", "03-1234-5678"),
])
def test_display_phone_writes_every_number_one_way(phone, shown):
    assert normalize.display_phone(phone) == shown


@pytest.mark.parametrize("phone", ["", "12345", "0901234567", "0012345678", "0201234567",
                                   "+1 212 555 0100", "内線 23"])
def test_display_phone_leaves_what_is_not_a_japanese_number_as_written(phone):
    assert normalize.display_phone(phone) == phone


def test_amounts_plain_and_messy():
    values, bad = normalize.amounts(series("1980", "¥1,980", "1980円", "３", "", "四千円", "-5",
                                           "−5", "12.5"))
    assert np.array_equal(values[[0, 1, 2, 3, 6, 7, 8]], [1980, 1980, 1980, 3, -5, -5, 12.5])
    assert np.isnan(values[4]) and np.isnan(values[5])
    assert bad.tolist() == [False, False, False, False, False, True, False, False, False]


# --- the same rules as chains of pandas string methods --------------------------

def text_reference(s: pd.Series) -> pd.Series:
    return s.str.normalize("NFKC").str.replace(r"\s+", " ", regex=True).str.strip()


REFERENCES = {
    "text": text_reference,
    "address": lambda s: text_reference(s).str.replace(
        rf"(?<=\d)\s*[{HYPHENS}ー]\s*(?=\d)", "-", regex=True),
    "kana": lambda s: text_reference(s).str.translate(normalize._TO_KATAKANA),
    "email": lambda s: text_reference(s).str.replace(" ", "", regex=False).str.lower(),
    "name_key": lambda s: s.str.replace(r"\s+", "", regex=True),
    "phone_display": lambda s: text_reference(s).str.replace(
        rf"[{HYPHENS}ー]", "-", regex=True).str.replace(r"\s*-\s*", "-", regex=True).str.strip("-"),
    "postal_code": lambda s: (lambda d: d.where(~d.str.len().between(5, 6), d.str.zfill(7)))(
        s.str.normalize("NFKC").str.replace(r"\D", "", regex=True)),
}

TRICKY = st.text(alphabet=st.sampled_from(
    list("0123456789０１２３ aAｱｲあいアイ佐藤-－ー‐−〜@.+()\t\u3000\u00a0\n'〒") + list(HYPHENS)),
    max_size=16)


@settings(max_examples=300, deadline=None)
@given(st.lists(TRICKY, min_size=1, max_size=8))
def test_one_pass_functions_equal_the_step_by_step_rules(values):
    s = series(*values)
    for name, reference in REFERENCES.items():
        assert getattr(normalize, name)(s).tolist() == reference(s).tolist(), name


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(TRICKY, st.integers(-10 ** 6, 10 ** 6).map(str),
                          st.sampled_from(["¥1,980", "1980円", "1e3", " 12 ", "nan", "--"])),
                min_size=1, max_size=8))
def test_amounts_fast_path_equals_the_cleaning_path(values):
    s = series(*values)
    fast = normalize.amounts(s)
    slow = normalize._messy_amounts(s)
    assert np.array_equal(fast[0], slow[0], equal_nan=True)
    assert fast[1].tolist() == slow[1].tolist()


@pytest.mark.parametrize("written, kanji", [
    ("JP-13渋谷区神宮前１－２－３", "東京都渋谷区神宮前1-2-3"),   # Shopify's Billing Province code
    ("JP-01札幌市", "北海道札幌市"),
    ("jp-47那覇市", "沖縄県那覇市"),
    ("Tokyo渋谷区", "東京都渋谷区"),                      # its romaji name
    ("OSAKA 北区", "大阪府 北区"),
    ("Kyoto-fu京都市", "京都府京都市"),
    ("Hyōgo-ken 神戸市", "兵庫県 神戸市"),
    ("Osaka Prefecture 北区", "大阪府 北区"),
    ("Tokyo-toShibuya", "東京都Shibuya"),                 # columns glued: the capital ends it
    ("TokyoToshima", "東京都Toshima"),
    ("Tokyoshima 1-1", "Tokyoshima 1-1"),                # not a prefecture
    ("Naganoya Bldg.", "Naganoya Bldg."),
    ("東京都港区", "東京都港区"),
    ("JP13", "東京都"),
    ("JP130番地", "JP130番地"),
])
def test_address_lines_name_the_prefecture_in_kanji(written, kanji):
    assert normalize.address_line(series(written)).tolist() == [kanji]


def test_consent_answers_by_hand():
    assert normalize.consent(series("yes", "No", "TRUE", "0", "同意する", "希望しない", "",
                                    "maybe", " Yes ")).tolist() == [
        "1", "0", "1", "0", "1", "0", "", "", "1"]
