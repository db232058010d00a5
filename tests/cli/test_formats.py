"""The command line and real exports: a two-file download given together, an
unknown file pointed at a mapping file, saved mappings shared between PCs."""
import json

import main
from tests.support.layouts import LAYOUTS

FIELDS = {"order_no": ["伝票"], "ordered_at": ["日付"], "name": ["氏名"], "unit_price": ["単価"],
          "quantity": ["数"]}


def run(capsysbinary, *argv):
    code = main.main([str(a) for a in argv])
    out, err = capsysbinary.readouterr()
    return code, out.decode("utf-8"), err.decode("utf-8")


def test_a_two_file_download_given_together_is_one_import(capsysbinary, tmp_path):
    code, out, err = run(capsysbinary, "import", LAYOUTS / "yahoo" / "yahoo_item.csv",
                         LAYOUTS / "base" / "base_orders.csv", LAYOUTS / "yahoo" / "yahoo_order.csv",
                         "--db", tmp_path / "shop.db")
    assert (code, err) == (0, "")
    lines = out.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("yahoo_order.csv＋yahoo_item.csv（Yahoo!ショッピング（注文データ：注文＋商品））"
                               ": 新規注文 5件")
    assert lines[1].startswith("base_orders.csv（BASE（注文データ））: 新規注文 5件")


def test_an_unknown_file_points_at_a_mapping_file_and_a_refused_report_at_the_right_one(
        capsysbinary, tmp_path):
    unknown = tmp_path / "謎.csv"
    unknown.write_text("品番,お名前,いくら\nA,山田,100\n", encoding="utf-8")
    code, out, err = run(capsysbinary, "import", unknown,
                         LAYOUTS / "amazon_all_orders" / "amazon_all_orders.txt",
                         "--db", tmp_path / "shop.db")
    assert code == 1 and out == ""
    first, second = err.strip().splitlines()
    assert first.startswith("エラー: 謎.csv 1行目: どの形式の注文データか判別できません")
    assert first.endswith("（--mapping 対応付けファイル で取り込めます）")
    assert second.startswith("エラー: amazon_all_orders.txt 1行目: Amazonの「全注文レポート」です。")
    assert "「注文レポート」をダウンロードしてください" in second


def test_a_mapping_exported_on_one_pc_is_imported_on_another(capsysbinary, tmp_path):
    consultant, shop = tmp_path / "consultant.db", tmp_path / "shop.db"
    mapping = tmp_path / "pos.json"
    mapping.write_text(json.dumps({"label": "店頭POS", "fields": FIELDS}, ensure_ascii=False),
                       encoding="utf-8")
    assert run(capsysbinary, "formats", "import", mapping, "--db", consultant)[:2] == (
        0, "対応付け「店頭POS」を user_1 として保存しました。\n")
    code, out, _ = run(capsysbinary, "formats", "list", "--db", consultant)
    assert code == 0 and "user_1\t店頭POS\t（保存した対応付け）" in out.splitlines()
    assert "rakuten\t楽天市場（楽天ペイ受注）" in out.splitlines()
    shared = tmp_path / "共有.json"
    assert run(capsysbinary, "formats", "export", "user_1", shared, "--db", consultant)[:2] == (
        0, "対応付け「店頭POS」を 共有.json に書き出しました。\n")
    assert run(capsysbinary, "formats", "import", shared, "--db", shop)[0] == 0
    orders = tmp_path / "pos.csv"
    orders.write_text("伝票,日付,氏名,単価,数\nT1,2025/7/1,青木 陽,500,2\n", encoding="utf-8")
    code, out, err = run(capsysbinary, "import", orders, "--db", shop)
    assert (code, err) == (0, "") and out.startswith("pos.csv（店頭POS）: 新規注文 1件")


def test_exporting_a_mapping_that_does_not_exist_is_one_line(capsysbinary, tmp_path):
    code, out, err = run(capsysbinary, "formats", "export", "user_7", tmp_path / "x.json",
                         "--db", tmp_path / "shop.db")
    assert code == 1 and len(err.strip().splitlines()) == 1 and "user_7" in err
