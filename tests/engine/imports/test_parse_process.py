"""Big files are parsed in a second process while this one writes: the result must
be exactly what one process gives, errors keep their row and column, and any
trouble with the second process falls back to parsing here."""
import multiprocessing
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine import BadFileError, Shop
from engine.errors import CancelledError
from engine.imports.parse_process import parallel_batches
from tests.support.generated_export import write_export
from tests.support.paths import ROOT
from tests.support.snapshot import SAMPLES, meta, sample_files, snapshot
from tests.engine.imports.test_chunks import (RAKUTEN, index_definitions, late_error_copy,
                                             same_orders_copy, without_stamps)


def file_shop(path, parallel: bool, rows: int = 7) -> Shop:
    shop = Shop(path)
    shop.imports.chunk_rows = rows
    shop.imports.parallel_min_lines = 1 if parallel else 10 ** 9
    return shop


def test_parallel_imports_equal_single_process_imports(tmp_path, monkeypatch, caplog):
    import engine.imports.service
    started = []

    def spy(*args, **kwargs):
        started.append(args[0].path.name)
        return parallel_batches(*args, **kwargs)

    monkeypatch.setattr(engine.imports.service, "parallel_batches", spy)
    shops = [file_shop(tmp_path / "two.db", True), file_shop(tmp_path / "one.db", False)]
    results = []
    for shop in shops:
        results.append([shop.imports.import_file(path) for path in sample_files()])
        # A second round finds every order known (the parser reads the database).
        again = shop.imports.import_file(same_orders_copy(tmp_path, f"copy_{id(shop)}.csv"))
        results[-1].append(again)
    parallel, single = results
    for a, b in zip(parallel, single):
        assert (a.orders_added, a.orders_updated, a.orders_unchanged, a.lines, a.customers_added,
                a.rows_read) == (b.orders_added, b.orders_updated, b.orders_unchanged, b.lines,
                                 b.customers_added, b.rows_read)
    assert parallel[-1].orders_unchanged > 0 and parallel[-1].orders_added == 0
    assert without_stamps(snapshot(shops[0])) == without_stamps(snapshot(shops[1]))
    assert index_definitions(shops[0]) == index_definitions(shops[1])
    table = shops[0].customers.table(as_of=meta()["as_of"])
    assert len(table) == meta()["customers"]
    assert not multiprocessing.active_children()
    # Every delimited file of the first shop went through the second process (workbooks
    # are read whole in this one), and none fell back.
    delimited = [p.name for p in sample_files() if p.suffix != ".xlsx"]
    assert started == delimited + [f"copy_{id(shops[0])}.csv"]
    assert len(delimited) == 20 and "1つのプロセスで取り込み直しました" not in caplog.text
    for shop in shops:
        shop.close()


def test_a_bad_row_found_by_the_parser_names_row_and_column_and_changes_nothing(tmp_path):
    path, bad_row = late_error_copy(tmp_path)
    shop = file_shop(tmp_path / "shop.db", True, rows=2)
    shop.imports.import_file(SAMPLES / "base" / "base_202507.csv")
    before = snapshot(shop)
    with pytest.raises(BadFileError) as info:
        shop.imports.import_file(path)
    assert (info.value.row, info.value.column) == (bad_row, "単価")
    assert info.value.file == "late_error.csv"
    assert snapshot(shop) == before
    assert not multiprocessing.active_children()
    shop.close()


def test_bad_file_errors_survive_the_trip_between_processes():
    error = BadFileError("/somewhere/orders.csv", "単価が数字ではありません。", row=12, column="単価")
    back = pickle.loads(pickle.dumps(error))
    assert (back.file, back.reason, back.row, back.column, str(back)) == (
        "orders.csv", "単価が数字ではありません。", 12, "単価", str(error))


def test_a_lost_parsing_process_falls_back_to_one_process(tmp_path, monkeypatch, caplog):
    import engine.imports.service
    from engine.imports.parse_process import ParserProcessLost

    def lost(*args, **kwargs):
        yield from ()
        raise ParserProcessLost("exit code -9")

    monkeypatch.setattr(engine.imports.service, "parallel_batches", lost)
    shop = file_shop(tmp_path / "shop.db", True)
    result = shop.imports.import_file(RAKUTEN)
    reference = Shop(":memory:").imports.import_file(RAKUTEN)
    assert (result.orders_added, result.lines) == (reference.orders_added, reference.lines)
    assert shop.db.scalar("SELECT count(*) FROM imports") == 1
    assert "1つのプロセスで取り込み直しました" in caplog.text
    shop.close()


def test_cancelling_a_parallel_import_stops_the_parser_and_changes_nothing(tmp_path):
    export = write_export(tmp_path / "big.csv", 3000, 2000)
    shop = file_shop(tmp_path / "shop.db", True, rows=500)
    shop.imports.import_file(SAMPLES / "base" / "base_202507.csv")
    before = snapshot(shop)
    steps = []

    def cancel():
        return len(steps) > 12   # after a few batches were written

    with pytest.raises(CancelledError):
        shop.imports.import_file(export, progress=lambda f, m: steps.append(m), cancel=cancel)
    assert any("続きを読み込んでいます" in m for m in steps)
    assert snapshot(shop) == before
    assert not multiprocessing.active_children()
    shop.close()


def test_the_parser_finds_a_database_whose_path_needs_quoting(tmp_path, caplog):
    # The parser opens the database by URI: spaces, %, # and Japanese must survive.
    folder = tmp_path / "お店 #1 100%"
    folder.mkdir()
    shop = file_shop(folder / "顧客 台帳.db", True)
    first = shop.imports.import_file(RAKUTEN)
    again = shop.imports.import_file(same_orders_copy(tmp_path, f"copy_{id(shop)}.csv"))
    assert first.orders_added > 0
    assert (again.orders_added, again.orders_unchanged) == (0, first.orders_added)
    assert "1つのプロセスで取り込み直しました" not in caplog.text
    shop.close()


def test_a_parser_that_cannot_read_the_database_falls_back(tmp_path, monkeypatch, caplog):
    # Any failure in the parser that is not a problem of the file (here: the database
    # cannot be opened from the second process) means: import in one process.
    import engine.imports.service
    from engine.imports import parse_process

    def elsewhere(opened, preset, db_path, rows):
        return parse_process.parallel_batches(opened, preset, tmp_path / "missing" / "x.db", rows)

    monkeypatch.setattr(engine.imports.service, "parallel_batches", elsewhere)
    shop = file_shop(tmp_path / "shop.db", True)
    result = shop.imports.import_file(RAKUTEN)
    assert result.orders_added > 0
    assert "1つのプロセスで取り込み直しました" in caplog.text and "OperationalError" in caplog.text
    shop.close()


KILLED_IMPORTER = """
import multiprocessing, sys
from engine import Shop

def report(fraction, message):
    children = multiprocessing.active_children()
    if children:
        print("parser", children[0].pid, flush=True)

if __name__ == "__main__":
    shop = Shop(sys.argv[1])
    shop.imports.parallel_min_lines = 1
    shop.imports.import_file(sys.argv[2], progress=report)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_the_parser_dies_with_a_killed_importer(tmp_path):
    export = write_export(tmp_path / "big.csv", 40000, 20000)
    script = tmp_path / "importer.py"
    script.write_text(KILLED_IMPORTER, encoding="utf-8")
    importer = subprocess.Popen([sys.executable, str(script), str(tmp_path / "shop.db"),
                                 str(export)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    for line in importer.stdout:
        if line.startswith("parser"):
            parser = int(line.split()[1])
            break
    else:
        pytest.fail("the import never started its parser")
    importer.send_signal(signal.SIGKILL)
    importer.communicate(timeout=30)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(parser):
        time.sleep(0.1)
    assert not _alive(parser), "the parser outlived the importer"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (dead, not yet reaped by init) counts as gone.
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "State:\tZ" in status.read_text())


def test_a_server_shop_parses_in_a_second_process_too(postgres_url, tmp_path, monkeypatch,
                                                      caplog):
    """On a PostgreSQL server the parser reads the shop over its own connection: the
    same rows as one process gives, orders stored unchanged found known."""
    import engine.imports.service
    monkeypatch.setenv("OTOKUI_HOME", str(tmp_path))
    started = []

    def spy(*args, **kwargs):
        started.append(args[2])
        return parallel_batches(*args, **kwargs)

    monkeypatch.setattr(engine.imports.service, "parallel_batches", spy)
    copy = same_orders_copy(tmp_path, "copy.csv")
    with file_shop(postgres_url, True) as server, file_shop(":memory:", False) as single:
        results = [[shop.imports.import_file(path) for path in (RAKUTEN, copy)]
                   for shop in (server, single)]
        assert [(r.orders_added, r.orders_unchanged, r.lines, r.customers_added)
                for r in results[0]] == [(r.orders_added, r.orders_unchanged, r.lines,
                                          r.customers_added) for r in results[1]]
        assert results[0][1].orders_unchanged > 0 and results[0][1].orders_added == 0
        if single.db.dialect.name == "sqlite":
            assert without_stamps(snapshot(server)) == without_stamps(snapshot(single))
    assert started == [postgres_url, postgres_url]
    assert "1つのプロセスで取り込み直しました" not in caplog.text
    assert not multiprocessing.active_children()
