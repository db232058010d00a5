"""The command line: a thin front end over the engine (SPEC §4)."""
import csv
import io

import pytest
from openpyxl import load_workbook

import engine
import main
from engine.customers.service import TABLE_COLUMNS
from tests.support.snapshot import SAMPLES, meta, sample_files


def run(capsysbinary, *argv):
    code = main.main([str(a) for a in argv])
    out, err = capsysbinary.readouterr()
    return code, out.decode("utf-8"), err.decode("utf-8")


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main.main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"Otokui {engine.__version__}"


@pytest.mark.parametrize("command", [[], ["import"], ["customers"], ["barcode"], ["formats"],
                                     ["formats", "export"]])
def test_help_on_every_command(capsys, command):
    with pytest.raises(SystemExit) as info:
        main.main(command + ["--help"])
    assert info.value.code == 0
    assert "usage:" in capsys.readouterr().out


def test_import_then_customers_csv(capsysbinary, tmp_path):
    db = tmp_path / "shop.db"
    code, out, err = run(capsysbinary, "import", *sample_files(), "--db", db)
    assert (code, err) == (0, "")
    assert len(out.strip().splitlines()) == len(meta()["files"])
    # Each line names the format as the shop knows it, never an internal name.
    assert "rakuten_202507.csv（楽天市場（楽天ペイ受注））: 新規注文" in out
    assert "（rakuten）" not in out
    code, out, err = run(capsysbinary, "customers", "--as-of", meta()["as_of"], "--db", db)
    assert code == 0 and out.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(out.lstrip("\ufeff"))))
    assert rows[0] == TABLE_COLUMNS
    assert len(rows) - 1 == meta()["customers"]
    assert {r[7] for r in rows[1:]} <= {"0", "1"}


def test_customers_to_xlsx_and_csv_files(capsysbinary, tmp_path):
    db = tmp_path / "shop.db"
    run(capsysbinary, "import", SAMPLES / "base" / "base_202507.csv", "--db", db)
    code, _, _ = run(capsysbinary, "customers", "--db", db, "--out", tmp_path / "c.xlsx",
                     "--as-of", "2025-08-01")
    assert code == 0
    sheet = load_workbook(tmp_path / "c.xlsx").active
    assert [c.value for c in sheet[1]] == TABLE_COLUMNS
    assert sheet.max_row == 6
    run(capsysbinary, "customers", "--db", db, "--out", tmp_path / "c.csv", "--as-of", "2025-08-01")
    assert (tmp_path / "c.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_a_bad_file_exits_1_with_one_line_and_the_others_still_import(capsysbinary, tmp_path):
    bad = tmp_path / "broken.csv"
    bad.write_bytes(b"")
    db = tmp_path / "shop.db"
    code, out, err = run(capsysbinary, "import", bad, SAMPLES / "base" / "base_202507.csv",
                         "--db", db)
    assert code == 1
    assert len(err.strip().splitlines()) == 1 and "broken.csv" in err
    assert "base_202507.csv" in out


def test_bad_as_of_date_is_one_clear_line(capsysbinary, tmp_path):
    code, out, err = run(capsysbinary, "customers", "--as-of", "2025-13-01",
                         "--db", tmp_path / "x.db")
    assert code == 1 and "基準日" in err and len(err.strip().splitlines()) == 1


def test_newer_database_is_refused_on_the_command_line(capsysbinary, tmp_path):
    import sqlite3
    db = tmp_path / "new.db"
    engine.Shop(db).close()
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    code, _, err = run(capsysbinary, "customers", "--db", db)
    assert code == 1 and "新しいバージョン" in err


def test_usage_errors_are_one_line_and_exit_1(capsys):
    with pytest.raises(SystemExit) as info:
        main.main(["customers", "--no-such-option"])
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--no-such-option" in err


def test_a_lost_database_is_refused_and_restored_from_the_newest_good_backup(
        capsysbinary, tmp_path):
    db = tmp_path / "shop.db"
    for file in sample_files()[:3]:   # three imports, three backups before them
        run(capsysbinary, "import", file, "--db", db)
    with engine.Shop(db) as shop:
        orders_after_first = shop.db.scalar("SELECT count(*) FROM orders WHERE import_id = 1")
    for suffix in ("", "-wal", "-shm"):
        (tmp_path / f"shop.db{suffix}").unlink(missing_ok=True)
    code, _out, err = run(capsysbinary, "customers", "--db", db)
    assert code == 1 and "バックアップは 3件あります" in err and "restore" in err
    assert not db.exists()
    newest = sorted((tmp_path / "backups").glob("shop-*.otkb"))[-1]
    newest.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)     # damaged
    code, out, _err = run(capsysbinary, "backups", "--db", db)
    assert code == 0 and out.count("\n") == 3 and out.count("（壊れています）") == 1
    code, _out, err = run(capsysbinary, "restore", "--db", db)
    assert code == 1 and "--yes" in err
    code, out, err = run(capsysbinary, "restore", "--yes", "--db", db)
    assert code == 0, err
    with engine.Shop(db) as shop:   # the newest good backup: taken after the first import
        assert shop.db.scalar("SELECT count(*) FROM orders") == orders_after_first


def test_a_lock_held_by_another_program_is_one_plain_line(capsysbinary, tmp_path, monkeypatch):
    import sqlite3

    from engine.customers.service import CustomerService

    def locked(self, as_of=None):
        error = sqlite3.OperationalError("database is locked")
        error.sqlite_errorname = "SQLITE_BUSY"
        raise error
    monkeypatch.setattr(CustomerService, "table", locked)
    code, out, err = run(capsysbinary, "customers", "--db", tmp_path / "shop.db")
    assert code == 1 and out == ""
    assert err.startswith("エラー: shop.db: 別のプログラムがデータベースを使用中") and "Traceback" not in err
