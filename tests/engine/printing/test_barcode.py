"""Customer barcode: Japan Post's own examples, end to end.

Sources (Japan Post 郵便番号・バーコードマニュアル, post.japanpost.jp/zipcode/zipmanual/):
p17/p21 the 霞が関 example with check digit 9; p19 the 鎌ヶ谷 example and 補足ルール;
p20 the truncation examples; p18 and the manual's further extraction examples.
Check digits not printed in the manual are confirmed where a second source prints them:
Japan Post's quality-check readouts for two manual examples (kipwmi.com/fm/tips/yuubin.htm)
and the 永田町 example of the old 郵政事業庁 material (www5f.biglobe.ne.jp/~zae/post/).
"""
import pytest

import main
from engine.errors import OtokuiError
from engine.printing import barcode
from engine.printing.barcode import address_code, bars, encode, postal_digits

CC4 = "CC4"


def symbols(text: str) -> list[str]:
    return text.split()


# --- address numbers (住所表示番号) -------------------------------------------------

@pytest.mark.parametrize("address, expected", [
    # p17: the overview example.
    ("東京都千代田区霞が関1丁目3番2号 郵便プラザ503室", "1-3-2-503"),
    ("1丁目3番2号 郵便プラザ503室", "1-3-2-503"),
    # p19: basic rules 1–6 then 補足ルール4 (hyphens around a letter go).
    ("東3丁目-20-5 郵便・A&bコーポB604号", "3-20-5B604"),
    # 補足ルール1: kanji numerals in front of 丁目/番地/号/線/地割/丁/番.
    ("東京都青梅市河辺町十一丁目六番地一号 郵便タワー601", "11-6-1-601"),
    ("北海道帯広市稲田町南七線 西28", "7-28"),
    ("岩手県宮古市大字津軽石第二十一地割大淵川480", "21-480"),
    ("大阪府堺市堺区中田出井町四丁六番十九号", "4-6-19"),
    # 補足ルール2/3: F after a number is a floor: dropped at the end, a hyphen before more.
    ("茨城県日立市宮田町6丁目7-14 ABCビル2F", "6-7-14-2"),
    ("6丁目7-14 ABCビル2F201号室", "6-7-14-2-201"),
    ("東京都台東区台東5-6-3 ABCビル10F", "5-6-3-10"),
    # 補足ルール4/5: letters keep no hyphens around them and may end up side by side.
    ("神戸市中央区港島中町9丁目7-6 郵便シティA棟1F1号", "9-7-6A1-1"),
    ("京都府綾部市青野町綾部6-7 LプラザB106", "6-7LB106"),
    # p18: town names with kanji numerals (北六条東) are not address numbers.
    ("千葉市稲毛区緑町3丁目30-8 郵便ビル403号", "3-30-8-403"),
    ("北海道札幌市東区北六条東4丁目 郵便センター6号館", "4-6"),
    ("北海道札幌市東区北六条東8丁目 郵便センター10号館", "8-10"),
    ("山梨県韮崎市龍岡町下條南割 韮崎400", "400"),
    ("秋田県大仙市堀見内 南田茂木 添60-1", "60-1"),
])
def test_address_code_follows_the_manuals_examples(address, expected):
    assert address_code(address) == expected


@pytest.mark.parametrize("address, expected", [
    ("三丁目十二番地", "3-12"),
    ("二十三番五号", "23-5"),
    ("名古屋市中区大須一丁目二十五番二十八号", "1-25-28"),
    ("百二番地の三号", "102-3"),
    ("二〇三号室", "203"),
    ("字山田百二十三の四", "123"),
])
def test_kanji_numerals_in_front_of_address_marks_become_digits(address, expected):
    assert address_code(address) == expected


@pytest.mark.parametrize("address, expected", [
    ("１丁目３－２　郵便プラザ５０３", "1-3-2-503"),          # full-width
    ("1‐3−2―503", "1-3-2-503"),                             # hyphen-like characters
    ("永田町1丁目11ー32", "1-11-32"),                         # katakana prolonged mark
    ("3-20-5 b604", "3-20-5B604"),                           # lower case letter
    ("1-2-3-", "1-2-3"),
    ("", ""),
    ("霞が関", ""),
])
def test_address_code_normalises_the_writing(address, expected):
    assert address_code(address) == expected


@pytest.mark.parametrize("address, expected", [
    ("北海道札幌市中央区南1条西5丁目1-1", "5-1-1"),
    ("東京都千代田区六番町3-2", "3-2"),
    ("東京都台東区三ノ輪1丁目2-3", "1-2-3"),
])
def test_numbers_in_town_names_are_not_address_numbers(address, expected):
    assert address_code(address) == expected


# --- full symbol lists --------------------------------------------------------------

def test_kasumigaseki_example_has_check_digit_9():
    # Manual p17 and p21: 〒100-0013, 1-3-2-503 padded with CC4, check digit 9.
    assert encode("100-0013", "東京都千代田区霞が関1丁目3番2号 郵便プラザ503室") == symbols(
        "STC 1 0 0 0 0 1 3 1 - 3 - 2 - 5 0 3 CC4 CC4 CC4 CC4 9 SPC")


def test_letter_is_a_control_code_and_a_digit_and_a_zero_check():
    # Manual p19 example; Japan Post's quality check read it as 27301023-20-5B604dd0
    # with check value 0: the sum is a multiple of 19, so the check digit is 0, not 19.
    assert encode("273-0102", "千葉県鎌ケ谷市右京塚 東3丁目-20-5 郵便・A&bコーポB604号") == symbols(
        "STC 2 7 3 0 1 0 2 3 - 2 0 - 5 CC1 1 6 0 4 CC4 CC4 0 SPC")


def test_check_value_18_is_printed_as_cc8():
    # Manual example 014-0113 添60-1; quality-check readout 014011360-1dddddddddh (18).
    assert encode("014-0113", "秋田県大仙市堀見内 南田茂木 添60-1") == symbols(
        "STC 0 1 4 0 1 1 3 6 0 - 1 " + "CC4 " * 9 + "CC8 SPC")


def test_nagatacho_example_of_the_old_postal_material():
    # 100001411011103214141414141415: 1-11-32, six CC4, check value 15.
    assert encode("100-0014", "東京都千代田区永田町1丁目11ー32") == symbols(
        "STC 1 0 0 0 0 1 4 1 - 1 1 - 3 2 CC4 CC4 CC4 CC4 CC4 CC4 CC5 SPC")


def test_floor_example_of_p20():
    # Manual p20: カスタマバーコード 31700556-7-14-2.
    assert encode("317-0055", "茨城県日立市宮田町6丁目7-14 ABCビル2F") == symbols(
        "STC 3 1 7 0 0 5 5 6 - 7 - 1 4 - 2 CC4 CC4 CC4 CC4 CC4 CC1 SPC")


def test_long_address_is_cut_at_13_symbols():
    # Manual p20 case 1: 29-1524-23-2-501 becomes 064080429-1524-23-2- .
    result = encode("064-0804", "札幌市中央区南四条西29丁目1524-23 第2郵便ハウス501")
    assert result[8:21] == list("29-1524-23-2-")
    assert result == symbols("STC 0 6 4 0 8 0 4 2 9 - 1 5 2 4 - 2 3 - 2 - 3 SPC")


def test_letter_cut_in_half_keeps_its_control_code():
    # Manual p20 case 2: 91000673-80-25 CC1 9 1-2 CC1 — the B's CC1 is the 13th symbol.
    assert encode("910-0067", "福井県福井市新田塚3丁目80-25 J1ビル2-B") == symbols(
        "STC 9 1 0 0 0 6 7 3 - 8 0 - 2 5 CC1 9 1 - 2 CC1 9 SPC")


@pytest.mark.parametrize("letter, pair", [
    ("A", ["CC1", "0"]), ("J", ["CC1", "9"]), ("K", ["CC2", "0"]),
    ("T", ["CC2", "9"]), ("U", ["CC3", "0"]), ("Z", ["CC3", "5"]),
])
def test_letters_take_two_symbols(letter, pair):
    assert encode("1000013", f"1{letter}")[8:11] == ["1", *pair]


def test_no_address_numbers_pad_all_13_with_cc4():
    # Manual p22: an individual postal code for a large customer carries no address.
    assert encode("100-8792", "") == ["STC", *"1008792", *[CC4] * 13, "0", "SPC"]


def test_every_encoding_sums_to_a_multiple_of_19():
    values = {str(d): d for d in range(10)} | {"-": 10} | {f"CC{n}": 10 + n for n in range(1, 9)}
    for address in ["1-2-3", "9999-99-999", "A-B", "3-20-5B604", "", "Z9Z9Z9Z"]:
        result = encode("9999999", address)
        assert len(result) == 23
        assert sum(values[s] for s in result[1:-1]) % 19 == 0


# --- postal codes -------------------------------------------------------------------

@pytest.mark.parametrize("postal", ["1000013", "100-0013", "〒100-0013", "〒 100－0013",
                                    "１００－００１３", "'100-0013", "100ー0013"])
def test_postal_code_writings(postal):
    assert postal_digits(postal) == "1000013"


@pytest.mark.parametrize("postal", ["", "100-001", "100-00130", "abc-defg", "100/0013"])
def test_bad_postal_code_is_a_plain_japanese_error(postal):
    with pytest.raises(OtokuiError, match="7桁"):
        encode(postal, "1-2-3")


# --- bars ---------------------------------------------------------------------------

# The manual's examples as 67-bar strings, read off zint's reference bitmaps
# (zint/zint backend/tests/test_postal.c, "Zip/Barcode Manual p.6" examples).
@pytest.mark.parametrize("postal, address, expected", [
    ("1540023", "3-16-4-205",
     "FDFFTFTFFADFTTFTTFDADFADFATFTFFTDAFTFTFADTFTFDAFTTFTFTDATDATDADAFDF"),
    ("3501106", "22-1A308",
     "FDDFAFTFFTTFFTFFTFTTDAFFDAFDATFTFFTDATFTTDFAFTTADFTDATDATDATDAFTFDF"),
    ("1234567", "1-2-3",
     "FDFFTFDADFAFADFTFDAFAFDFFTTFTFDATFTDFATDATDATDATDATDATDATDATDAFTFDF"),
])
def test_bars_match_reference_bitmaps(postal, address, expected):
    assert bars(encode(postal, address)) == expected


def test_bars_are_67_with_start_and_stop_pairs():
    pattern = bars(encode("100-0013", "1丁目3番2号 郵便プラザ503室"))
    assert len(pattern) == barcode.BAR_COUNT == 67
    assert pattern[:2] == "FD" and pattern[-2:] == "DF"
    assert set(pattern) <= set("FADT")


def test_each_character_pattern():
    # Manual code table, 1 long / 2 upper / 3 lower / 4 timing: e.g. F = CC1+5 = 324 141.
    body = bars(["STC", *"1234567890-", "CC1", "CC2", "CC3", "CC4", "CC5", "CC6", "CC7",
                 "CC8", "0", "0", "SPC"])[2:-2]
    triples = [body[i:i + 3] for i in range(0, len(body), 3)]
    assert triples[:19] == ["FFT", "FDA", "DFA", "FAD", "FTF", "DAF", "AFD", "ADF", "TFF",
                            "FTT", "TFT", "DAT", "DTA", "ADT", "TDA", "ATD", "TAD", "TTF",
                            "FFF"]


@pytest.mark.parametrize("bad", [
    [], ["STC", "1", "SPC"], ["STC", *"1000013", *[CC4] * 13, "9"],
    ["STC", *"1000013", *[CC4] * 12, "A", "9", "SPC"],
])
def test_bars_refuse_a_malformed_symbol_list(bad):
    with pytest.raises(ValueError):
        bars(bad)


def test_ten_point_geometry():
    assert (barcode.BAR_WIDTH_MM, barcode.BAR_PITCH_MM, barcode.LONG_BAR_MM,
            barcode.SEMI_BAR_MM, barcode.TIMING_BAR_MM) == (0.6, 1.2, 3.6, 2.4, 1.2)
    assert barcode.QUIET_ZONE_MM == 2.0
    assert barcode.TOTAL_WIDTH_MM == pytest.approx(79.8)
    assert barcode.BAR_EXTENT_MM == {"F": (0.0, 3.6), "A": (0.0, 2.4),
                                     "D": (1.2, 3.6), "T": (1.2, 2.4)}


# --- command line -------------------------------------------------------------------

def test_cli_prints_the_symbols_on_one_line(capsys):
    assert main.main(["barcode", "1000013", "東京都千代田区霞が関1丁目3番2号 郵便プラザ503室"]) == 0
    out = capsys.readouterr().out
    assert out == "STC 1 0 0 0 0 1 3 1 - 3 - 2 - 5 0 3 CC4 CC4 CC4 CC4 9 SPC\n"


def test_cli_joins_an_unquoted_address(capsys):
    assert main.main(["barcode", "〒100-0013", "霞が関1丁目3番2号", "郵便プラザ503室"]) == 0
    assert capsys.readouterr().out.split()[8:17] == list("1-3-2-503")


def test_cli_bad_postal_code_is_one_line_on_stderr(capsys):
    assert main.main(["barcode", "12345", "1-2-3"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("エラー: ") and captured.err.count("\n") == 1
