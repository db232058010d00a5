"""The kpi and decompose subcommands (SPEC §4) on the sample shop."""
import csv
import io

import pytest

import main
from engine.analysis.decomposition import DECOMPOSITION_COLUMNS
from tests.support.sample_orders import sample_orders
from tests.support.snapshot import meta, sample_files


def run(capsysbinary, *argv):
    code = main.main([str(a) for a in argv])
    out, err = capsysbinary.readouterr()
    return code, out.decode("utf-8"), err.decode("utf-8")


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "shop.db"
    assert main.main(["import", *map(str, sample_files()), "--db", str(path)]) == 0
    return path


@pytest.mark.parametrize("command", [["kpi"], ["decompose"]])
def test_help(capsys, command):
    with pytest.raises(SystemExit) as info:
        main.main(command + ["--help"])
    assert info.value.code == 0
    assert "--db" in capsys.readouterr().out


def test_kpi_prints_japanese_labels_and_months(capsysbinary, db):
    code, out, err = run(capsysbinary, "kpi", "--as-of", meta()["as_of"], "--db", db,
                         "--months", "5")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert "顧客数: 148人" in lines
    assert "注文数: 179件" in lines
    assert "売上合計: 2,163,560円" in lines
    assert "紹介数: 記録なし" in lines
    sales = sample_orders().groupby("month")["amount"].sum()
    rows = lines[lines.index("月,売上,新規,リピート,注文数,購入者数") + 1:]
    # November has only begun on the as-of date: marked, not shown as a month of no sales.
    assert [r.split(",")[:2] for r in rows] == [[m, str(v)] for m, v in sales.items()] + [
        ["2025-11（集計中）", "0"]]


def test_decompose_csv_with_api_columns(capsysbinary, db, tmp_path):
    code, out, err = run(capsysbinary, "decompose", "--from", "2025-07", "--to", "2025-10",
                         "--db", db)
    assert (code, err) == (0, "")
    rows = list(csv.DictReader(io.StringIO(out.lstrip("\ufeff"))))
    assert list(rows[0]) == [c for c in DECOMPOSITION_COLUMNS if c != "complete"]
    expected = sample_orders().groupby("month")["amount"].sum()
    assert [(r["month"], int(r["sales"])) for r in rows] == list(expected.items())
    assert {r["sales_yoy"] for r in rows} == {""} and {r["beat_two_months"] for r in rows} == {"0"}
    out_file = tmp_path / "d.csv"
    assert run(capsysbinary, "decompose", "--from", "2025-09", "--to", "2025-10", "--db", db,
               "--out", out_file)[0] == 0
    assert out_file.read_bytes().startswith(b"\xef\xbb\xbf")
    assert len(out_file.read_text(encoding="utf-8-sig").splitlines()) == 3


def test_decompose_marks_the_month_not_over_and_gives_it_no_ratio(capsysbinary, db):
    code, out, err = run(capsysbinary, "decompose", "--from", "2025-10", "--to", "2025-10",
                         "--as-of", "2025-10-15", "--db", db)
    assert (code, err) == (0, "")
    [row] = csv.DictReader(io.StringIO(out.lstrip("\ufeff")))
    assert row["month"] == "2025-10（集計中）" and row["sales_yoy"] == ""
    expected = sample_orders().query("'2025-10-01' <= date <= '2025-10-15'")
    assert int(row["sales"]) == expected["amount"].sum()


@pytest.mark.parametrize("argv, message", [
    (["decompose", "--from", "2025-13", "--to", "2025-10"], "月「2025-13」を読めません"),
    (["decompose", "--from", "2025-10", "--to", "July"], "月「July」を読めません"),
    (["decompose", "--from", "2025-10", "--to", "2025-07"], "期間の終わり"),
    (["kpi", "--as-of", "2025-02-30"], "基準日「2025-02-30」を読めません"),
    (["kpi", "--months", "0"], "月数は1以上"),
])
def test_bad_input_is_one_japanese_line(capsysbinary, db, argv, message):
    code, out, err = run(capsysbinary, *argv, "--db", db)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("エラー: ") and message in err
