"""Names written 名 姓 (Shopify) are stored 姓 名, judged by known family names, so a
file that already writes 姓 名 is left as it is."""
import pandas as pd

from engine.imports.name_order import family_name_first


def ordered(*names):
    return family_name_first(pd.Series(list(names), dtype=str)).tolist()


def test_given_first_names_are_turned_round():
    assert ordered("太郎 山田", "花子 佐藤", "さくら 伊藤") == ["山田 太郎", "佐藤 花子", "伊藤 さくら"]


def test_a_name_already_family_first_stays():
    # A buyer who typed 姓 into Shopify's first box: the known family name comes first.
    assert ordered("太郎 山田", "山田 太郎") == ["山田 太郎", "山田 太郎"]


def test_a_name_without_evidence_follows_the_files_majority():
    assert ordered("太郎 山田", "花子 佐藤", "健 茂木野") == ["山田 太郎", "佐藤 花子", "茂木野 健"]
    assert ordered("佐々木 結衣", "山崎 香織", "茂木野 健") == ["佐々木 結衣", "山崎 香織", "茂木野 健"]
    assert ordered("茂木野 健", "香 大和田") == ["茂木野 健", "香 大和田"]       # a tie: as written


def test_one_part_more_parts_and_latin_names_stay_as_written():
    assert ordered("太郎 山田", "山田太郎", "Taro Yamada", "山田 太郎 様", "") == [
        "山田 太郎", "山田太郎", "Taro Yamada", "山田 太郎 様", ""]
