"""`labels` and `inserts` on the command line (SPEC §4)."""
import re
import shutil
import subprocess

import pytest
from openpyxl import load_workbook

import main
from engine import Shop
from tests.support.snapshot import SAMPLES, meta, sample_files

AS_OF = meta()["as_of"]


def run(capsys, *argv):
    code = main.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("cli") / "shop.db"
    assert main.main(["import", *map(str, sample_files()), "--db", str(db)]) == 0
    return db


def pages(path) -> int:
    if shutil.which("pdfinfo") is None:
        pytest.skip("poppler-utils (pdfinfo) is not installed")
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))


@pytest.mark.parametrize("command", [["labels"], ["inserts"]])
def test_help(capsys, command):
    with pytest.raises(SystemExit) as info:
        main.main(command + ["--help"])
    assert info.value.code == 0
    assert "usage:" in capsys.readouterr().out


def test_labels_for_clusters_with_a_target_list(capsys, sample_db, tmp_path):
    out, listing = tmp_path / "labels.pdf", tmp_path / "targets.xlsx"
    code, stdout, err = run(capsys, "labels", "--cluster", "top1", "top10", "top20",
                            "--as-of", AS_OF, "--out", out, "--list", listing,
                            "--db", sample_db)
    assert (code, err) == (0, "")
    assert "ラベル 28枚（28名）。対象外: DM不可 2名。3ページ" in stdout
    assert pages(out) == 3
    rows = list(load_workbook(listing).active.values)
    assert rows[0][:2] == ("顧客番号", "氏名") and len(rows) == 29


def test_layout_and_start_position(capsys, sample_db, tmp_path):
    out = tmp_path / "labels.pdf"
    code, stdout, err = run(capsys, "labels", "--cluster", "top1", "top10", "top20",
                            "--as-of", AS_OF, "--layout", "a4-24", "--start", "20",
                            "--out", out, "--db", sample_db)
    assert (code, err) == (0, "")
    assert pages(out) == 2                        # 19 used + 28 = 47 labels → 2 sheets of 24


@pytest.mark.parametrize("args, message", [
    (["--cluster", "vip"], "クラスター「vip」"),
    (["--cluster", "top1", "--layout", "a4-99"], "ラベル用紙「a4-99」"),
    (["--cluster", "top1", "--start", "13"], "1〜12"),
    (["--ids", "47"], "お客様がいません（ラベル 0枚（0名）。対象外: DM不可 1名）"),
])
def test_bad_choices_are_one_line_errors(capsys, sample_db, tmp_path, args, message):
    out = tmp_path / "labels.pdf"
    code, stdout, err = run(capsys, "labels", *args, "--out", out,
                            "--db", sample_db)
    assert code == 1 and stdout == ""
    assert len(err.strip().splitlines()) == 1 and message in err
    assert not out.exists()


def test_labels_need_a_choice_of_customers(capsys, sample_db, tmp_path):
    with pytest.raises(SystemExit) as info:
        main.main(["labels", "--out", str(tmp_path / "x.pdf"), "--db", str(sample_db)])
    assert info.value.code == 1 and "--cluster" in capsys.readouterr().err


def test_labels_record_dm_touches_only_when_asked(capsys, sample_db, tmp_path):
    code, stdout, _ = run(capsys, "labels", "--ids", "1", "47", "--as-of", AS_OF,
                          "--out", tmp_path / "pdf-only.pdf", "--db", sample_db)
    assert code == 0 and "記録しました" not in stdout          # a PDF alone is not a mailing
    with Shop(sample_db) as shop:
        assert shop.touches.for_customer(1).empty
    code, stdout, _ = run(capsys, "labels", "--ids", "1", "47", "--as-of", AS_OF, "--record",
                          "--out", tmp_path / "l.pdf", "--db", sample_db)
    assert code == 0 and "1名の接触履歴にDM送付を記録しました" in stdout
    with Shop(sample_db) as shop:
        assert shop.touches.for_customer(1)["medium"].tolist() == ["dm"]
        assert shop.touches.for_customer(47).empty        # Amazon-only: no label, no touch


def test_inserts_for_the_october_orders(capsys, tmp_path):
    db = tmp_path / "shop.db"
    files = meta()["files"]
    earlier = [SAMPLES / n for n in files if "202510" not in n]
    october = [SAMPLES / n for n in files if "202510" in n]
    assert main.main(["import", *map(str, earlier), "--db", str(db)]) == 0
    capsys.readouterr()
    out = tmp_path / "inserts.pdf"
    code, stdout, err = run(capsys, "inserts", "--orders", *october, "--out", out, "--record",
                            "--db", db)
    assert (code, err) == (0, "")
    assert "56件の注文の同梱物リスト" in stdout
    with Shop(db) as shop:
        plan = shop.count_program.plan(october)      # already imported: the same plan again
        with_insert = plan[plan["insert_name"] != ""]
        assert f"{len(with_insert)}件の接触履歴に同梱物を記録しました" in stdout
        logged = shop.db.scalar("SELECT count(*) FROM touches WHERE source = 'inserts'")
        assert logged == len(with_insert)
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True,
                              check=True).stdout
        for order_no in plan["order_no"]:
            assert order_no in text
        assert pages(out) == text.count("同梱物リスト")


def test_labels_for_a_months_dm_followups_check_them_off(capsys, tmp_path):
    db = tmp_path / "shop.db"
    assert main.main(["import", *map(str, sample_files()), "--db", str(db)]) == 0
    assert main.main(["followups", "--month", "2025-11", "--as-of", AS_OF, "--db", str(db)]) == 0
    capsys.readouterr()
    with Shop(db) as shop:
        tasks = shop.followups.tasks("2025-11")
    dm = tasks[tasks["medium"] == "dm"]
    code, stdout, err = run(capsys, "labels", "--followups", "2025-11", "--as-of", AS_OF,
                            "--record", "--out", tmp_path / "dm.pdf", "--db", db)
    assert (code, err) == (0, "")
    customers = dm["customer_id"].nunique()
    assert f"{customers}名の接触履歴にDM送付を記録しました" in stdout
    with Shop(db) as shop:
        after = shop.followups.tasks("2025-11")
    done = after[(after["medium"] == "dm") & (after["status"] == "done")]
    assert done["customer_id"].nunique() == customers
