"""The analysis subcommands: segments and followups (SPEC §4)."""
import csv
import io

import pytest
from openpyxl import load_workbook

import main
from tests.engine.analysis.test_segments import truth_summary
from tests.support.snapshot import meta, sample_files


def run(capsysbinary, *argv):
    code = main.main([str(a) for a in argv])
    out, err = capsysbinary.readouterr()
    return code, out.decode("utf-8"), err.decode("utf-8")


def rows_of(out: str) -> list[list[str]]:
    assert out.startswith("\ufeff")
    return list(csv.reader(io.StringIO(out.lstrip("\ufeff"))))


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("cli") / "shop.db"
    assert main.main(["import", *map(str, sample_files()), "--db", str(db)]) == 0
    return db


@pytest.mark.parametrize("command", [["segments"], ["followups"], ["products"]])
def test_help(capsys, command):
    with pytest.raises(SystemExit) as info:
        main.main(command + ["--help"])
    assert info.value.code == 0
    assert "--db" in capsys.readouterr().out


def test_segments_csv_matches_truth(capsysbinary, sample_db):
    code, out, err = run(capsysbinary, "segments", "--as-of", meta()["as_of"], "--db", sample_db)
    assert (code, err) == (0, "")
    rows = rows_of(out)
    assert rows[0] == ["cluster", "label", "customers", "sales", "share"]
    expected = truth_summary()
    total = sum(sales for _, sales in expected.values())
    assert len(rows) == 7
    for cluster, label, customers, sales, share in rows[1:]:
        assert (int(customers), int(sales)) == expected[cluster]
        assert float(share) == pytest.approx(expected[cluster][1] / total, abs=5e-5)
    assert rows[4][1] == "1回購入"


def test_segments_to_xlsx(capsysbinary, sample_db, tmp_path):
    out = tmp_path / "segments.xlsx"
    code, _, err = run(capsysbinary, "segments", "--as-of", meta()["as_of"], "--out", out,
                       "--db", sample_db)
    assert (code, err) == (0, "")
    sheet = load_workbook(out).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("cluster", "label", "customers", "sales", "share")
    assert values[1][:4] == ("top1", "TOP1%", *truth_summary()["top1"])


def test_segments_bad_date_is_one_line(capsysbinary, sample_db):
    code, out, err = run(capsysbinary, "segments", "--as-of", "2025/13/45", "--db", sample_db)
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and "基準日" in err


FOLLOWUP_HEADER = ["task_id", "customer_id", "cluster", "due_date", "medium", "action",
                   "status", "done_on"]


def test_followups_generate_then_list(capsysbinary, sample_db, tmp_path):
    from tests.engine.marketing.test_followups import truth_plan
    month = meta()["as_of"][:7]
    code, out, err = run(capsysbinary, "followups", "--month", month, "--as-of", meta()["as_of"],
                         "--db", sample_db)
    assert (code, err) == (0, "")
    rows = rows_of(out)
    assert rows[0] == FOLLOWUP_HEADER
    expected = truth_plan()
    assert len(rows) - 1 == 3 * (~expected["amazon_only"]).sum()
    assert {r[4] for r in rows[1:]} <= {"email", "insert", "dm", "phone"}
    assert {r[6] for r in rows[1:]} == {"open"} and {r[7] for r in rows[1:]} == {""}
    # Already generated: listed again as it is, a check-off included.
    import engine
    with engine.Shop(sample_db) as shop:
        shop.followups.check_off(int(rows[1][0]), "2025-11-02", result="送信済み")
    code, out, err = run(capsysbinary, "followups", "--month", month, "--db", sample_db)
    again = rows_of(out)
    assert (code, len(again)) == (0, len(rows))
    assert again[1][6:] == ["done", "2025-11-02"]
    assert again[2:] == rows[2:]
    xlsx = tmp_path / "tasks.xlsx"
    code, _, _ = run(capsysbinary, "followups", "--month", month, "--out", xlsx, "--db", sample_db)
    values = list(load_workbook(xlsx).active.iter_rows(values_only=True))
    assert code == 0 and list(values[0]) == FOLLOWUP_HEADER and len(values) == len(rows)


@pytest.mark.parametrize("month", ["2025-13", "202511", "11月"])
def test_followups_bad_month_is_one_line(capsysbinary, sample_db, month):
    code, out, err = run(capsysbinary, "followups", "--month", month, "--db", sample_db)
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and "YYYY-MM" in err


def test_products_import_list_and_due(capsysbinary, sample_db):
    from tests.engine.marketing.test_products import sample_cycles
    from tests.support.snapshot import SAMPLES
    code, out, err = run(capsysbinary, "products", "--import", SAMPLES / "products.csv",
                         "--db", sample_db)
    assert (code, err) == (0, "") and "40件" in out
    code, out, err = run(capsysbinary, "products", "--db", sample_db)
    rows = rows_of(out)
    assert rows[0] == ["code", "name", "cycle_days", "customers", "last_sold"]
    assert {r[0]: int(r[2]) if r[2] else None for r in rows[1:]} == sample_cycles()
    code, out, err = run(capsysbinary, "products", "--due", "--as-of", meta()["as_of"],
                         "--db", sample_db)
    rows = rows_of(out)
    assert (code, rows[0]) == (0, ["customer_id", "name", "product_code", "product_name",
                                   "cycle_days", "last_purchase", "recency_days", "state"])
    assert len(rows) > 1 and {r[7] for r in rows[1:]} <= {"due", "overdue"}
    for row in rows[1:]:
        recency, cycle = int(row[6]), int(row[4])
        assert recency >= cycle and (row[7] == "overdue") == (2 * recency > 3 * cycle)
        assert sample_cycles()[row[2]] == cycle


def test_products_bad_list_is_one_line(capsysbinary, sample_db, tmp_path):
    bad = tmp_path / "商品.csv"
    bad.write_text("商品コード,消費サイクル(日)\nSKU-0001,三十\n", encoding="utf-8")
    code, out, err = run(capsysbinary, "products", "--import", bad, "--db", sample_db)
    assert code == 1 and out == ""
    assert err.strip() == ("エラー: 商品.csv 2行目「消費サイクル(日)」列: 消費サイクル「三十」は"
                           "日数（1〜3650の整数）で入力してください（なしは空欄）。")


def test_products_suggest_cycles_and_next(capsysbinary, tmp_path):
    from tests.engine.analysis.test_repurchase import ORDERS
    from tests.support.analysis_shop import build
    db = tmp_path / "shop.db"
    shop = build(ORDERS)
    shop.db.execute("VACUUM INTO ?", (str(db),))
    shop.close()
    code, out, err = run(capsysbinary, "products", "--suggest-cycles", "--as-of", "2025-12-31",
                         "--db", db)
    rows = rows_of(out)
    assert (code, err) == (0, "")
    assert rows[0] == ["product_code", "product_name", "suggested_cycle_days", "repurchases",
                       "current_cycle_days"]
    assert rows[1:] == [["A", "商品A", "30", "5", ""], ["B", "商品B", "", "2", ""],
                        ["C", "商品C", "", "0", ""]]
    code, out, err = run(capsysbinary, "products", "--next", "--db", db)
    rows = rows_of(out)
    assert (code, err) == (0, "")
    assert rows == [["product_code", "next_product_code", "customers", "support", "lift"],
                    ["A", "B", "3", "0.5", "0.9"]]
    out_file = tmp_path / "next.xlsx"
    assert run(capsysbinary, "products", "--next", "--out", out_file, "--db", db)[0] == 0
    values = list(load_workbook(out_file).active.iter_rows(values_only=True))
    assert values[0] == ("product_code", "next_product_code", "customers", "support", "lift")


def test_products_modes_are_exclusive(capsys):
    with pytest.raises(SystemExit) as info:
        main.main(["products", "--next", "--suggest-cycles"])
    assert info.value.code == 1 and "--suggest-cycles" in capsys.readouterr().err
