"""The analysis subcommands: segments and followups (SPEC §4)."""
import csv
import io

import pytest
from openpyxl import load_workbook

import main
from tests.engine.snapshot import meta, sample_files
from tests.engine.test_segments import truth_summary


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


@pytest.mark.parametrize("command", [["segments"]])
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
