"""Personal data never reaches the log file in clear."""
import logging

import pytest

from engine.app.log_privacy import PersonalDataFilter, install, mask
from engine.app.logs import setup_logging


@pytest.mark.parametrize("text,expected", [
    ("送信先 yamada.hanako+dm@example.co.jp です", "送信先 [メール] です"),
    ("電話 090-1234-5678 まで", "電話 [電話] まで"),
    ("電話 09012345678", "電話 [電話]"),
    ("固定 03-1234-5678 / (03)1234-5678", "固定 [電話] / [電話]"),
    ("国際 +81 90-1234-5678", "国際 [電話]"),
    ("〒100-0013 東京都", "[郵便番号] 東京都"),
    ("郵便 100-0013", "郵便 [郵便番号]"),
    ("〒1000013", "[郵便番号]"),
    # Not personal: counts, amounts, dates, order numbers, times.
    ("取込 1,234件 2025-07-01 12:34:56", "取込 1,234件 2025-07-01 12:34:56"),
    ("注文 250-0000001-0007919", "注文 250-0000001-0007919"),
    ("金額 1980000円 id 12345", "金額 1980000円 id 12345"),
    # Names: quoted cells, before an honorific, after a name label.
    ("3行目「氏名」列: 「佐藤 花子」を読めません", "3行目「氏名」列: 「[氏名]」を読めません"),
    ("「単価」列: 「abc」は数値ではありません", "「単価」列: 「[値]」は数値ではありません"),
    ("山田 太郎様から電話", "[氏名]様から電話"),
    ("氏名: 佐藤 花子, 電話", "氏名: [氏名], 電話"),
    ("お客様の注文です", "お客様の注文です"),
    # Addresses: from a prefecture, or a city/ward with block numbers; a building too.
    ("住所 東京都渋谷区神宮前1-2-3 シャルム113 です", "住所 [住所] です"),
    ("渋谷区神宮前１丁目２番３号 に発送", "[住所] に発送"),
    ("大阪府大阪市北区梅田2-4-9、確認", "[住所]、確認"),
    # What Otokui's own lines say stays readable.
    ("rakuten_202507.csv（楽天市場）: 新規注文 5件、更新 0件", "rakuten_202507.csv（楽天市場）: 新規注文 5件、更新 0件"),
    ("読み込み用のプロセスが止まったため、1つのプロセスで取り込み直しました",
     "読み込み用のプロセスが止まったため、1つのプロセスで取り込み直しました"),
])
def test_mask(text, expected):
    assert mask(text) == expected


def test_filter_masks_message_arguments_and_exception_text():
    record = logging.LogRecord("otokui", logging.ERROR, __file__, 1,
                               "customer %s phone %s", ("a@b.jp", "080-1111-2222"), None)
    record.exc_text = "ValueError: bad cell 'x@y.com'"
    assert PersonalDataFilter().filter(record)
    assert record.getMessage() == "customer [メール] phone [電話]"
    assert record.exc_text == "ValueError: bad cell '[メール]'"


def test_the_log_file_gets_masked_lines(tmp_path):
    path = setup_logging(tmp_path)
    root = logging.getLogger()
    handler = next(h for h in root.handlers if getattr(h, "baseFilename", "") == str(path))
    try:
        # setup_logging installs the filter; installing again adds no second one.
        install(handler)
        assert sum(isinstance(f, PersonalDataFilter) for f in handler.filters) == 1
        logging.getLogger("otokui.test").warning("行 3: hanako@example.jp / 090-1234-5678")
        handler.flush()
        text = path.read_text(encoding="utf-8")
        assert "hanako@example.jp" not in text and "090-1234-5678" not in text
        assert "行 3: [メール] / [電話]" in text
    finally:
        root.removeHandler(handler)
        handler.close()
