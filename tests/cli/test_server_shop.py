"""``otokui import``, ``customers`` and ``segments`` with ``--db postgresql://…``: the
same summaries, customer list and cluster summary as with a database file."""
import main
from tests.support.snapshot import SAMPLES, meta, sample_files


def run(capsys, *argv):
    code = main.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_import_and_customers_on_a_server_as_in_a_file(capsys, postgres_url, tmp_path):
    files = sample_files()
    outputs = {}
    for name, db in (("file", tmp_path / "otokui.db"), ("server", postgres_url)):
        code, imported, err = run(capsys, "import", *files, "--db", db)
        assert (code, err) == (0, "")
        out = tmp_path / f"{name}.csv"
        code, _, err = run(capsys, "customers", "--as-of", meta()["as_of"], "--out", out,
                           "--db", db)
        assert (code, err) == (0, "")
        code, segments, err = run(capsys, "segments", "--as-of", meta()["as_of"], "--db", db)
        assert (code, err) == (0, "")
        outputs[name] = (imported, out.read_bytes(), segments)
    assert outputs["server"] == outputs["file"]
    imported, table, _ = outputs["server"]
    assert imported.count("\n") == len(files)
    assert table.decode("utf-8-sig").count("\n") == meta()["customers"] + 1
    # Once more: every file is known.
    code, again, _ = run(capsys, "import", SAMPLES / "base" / "base_202507.csv", "--db", postgres_url)
    assert code == 0 and "取込済みのファイルです" in again
