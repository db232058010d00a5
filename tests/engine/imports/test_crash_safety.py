"""An import killed at any moment leaves the database consistent: before or after, never between.

A subprocess imports a large generated export into a file database and is
SIGKILLed after a random delay; the database must then pass integrity_check and
hold exactly the content from before the import or after a complete import.
"""
import hashlib
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine import Shop
from engine.store.backups import open_backup
from tests.support.generated_export import write_export
from tests.support.paths import ROOT
from tests.support.snapshot import DATA_TABLES

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

KILLS = 20
# Prints each progress step with its time since start, so the test knows which
# phase a kill interrupted.
IMPORTER = """
import sys, time
from engine import Shop
shop = Shop(sys.argv[1])
if sys.argv[3:] == ["bulk"]:
    shop.imports.bulk_min_lines = 1   # drop and rebuild the indexes
    shop.db.conn.set_trace_callback(
        lambda sql: sql.startswith("DROP INDEX") and print("dropped", flush=True))
start = time.monotonic()
print("ready", flush=True)
shop.imports.import_file(sys.argv[2], progress=lambda f, m: print(
    f"step {f:.2f} {time.monotonic() - start:.3f}", flush=True))
print("done", flush=True)
"""
# Columns holding the wall-clock time of a run: they differ between two runs.
CLOCK_COLUMNS = {"created_at", "started_at", "finished_at", "updated_at"}


def content_digest(path: Path) -> str:
    """A fingerprint of the user's data, the import records (without run times) and
    the index definitions (a bulk import drops and rebuilds some)."""
    digest = hashlib.sha256()
    with Shop(path) as shop:
        digest.update(repr(shop.db.conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"
        ).fetchall()).encode())
        for table in DATA_TABLES + ["imports"]:
            columns = [c for c in shop.journal.columns(table) if c not in CLOCK_COLUMNS]
            for row in shop.db.conn.execute(
                    f"SELECT {', '.join(columns)} FROM {table} ORDER BY 1"):
                digest.update(repr(row).encode())
    return digest.hexdigest()


def fresh_copy(source: Path, target: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(target.parent / "backups", ignore_errors=True)
    shutil.copyfile(source, target)
    return target


def start_import(db: Path, export: Path, mode: str) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", IMPORTER, str(db), str(export), mode],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "ready", process.stderr.read()
    return process


@pytest.fixture(scope="module", params=["normal", "bulk"])
def prepared(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("crash")
    before = folder / "before.db"
    with Shop(before) as shop:
        shop.imports.import_file(write_export(folder / "earlier.csv", 1500, 3000, seed=1))
    export = write_export(folder / "big.csv", 4500, 3000, seed=2)
    reference = fresh_copy(before, folder / "reference.db")
    process = start_import(reference, export, request.param)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    assert ("dropped" in out.split()) == (request.param == "bulk")
    steps = [line.split() for line in out.splitlines() if line.startswith("step")]
    writing_from = next(float(t) for _, f, t in steps if float(f) >= 0.3)
    total = float(steps[-1][2])
    return {"folder": folder, "before": before, "export": export, "mode": request.param,
            "before_digest": content_digest(before), "after_digest": content_digest(reference),
            "writing_from": writing_from, "total": total}


def test_killed_imports_leave_the_before_or_the_after_state(prepared):
    assert prepared["before_digest"] != prepared["after_digest"]
    rng = random.Random(20251123)
    outcomes = {"before": 0, "after": 0}
    killed_while_writing = 0
    killed_without_indexes = 0
    for kill in range(KILLS):
        db = fresh_copy(prepared["before"], prepared["folder"] / "work.db")
        # A third of the kills anywhere in the run, the rest inside the write phase.
        low = 0.0 if kill % 3 == 0 else prepared["writing_from"]
        delay = rng.uniform(low, prepared["total"] * 1.25)
        process = start_import(db, prepared["export"], prepared["mode"])
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        out, _ = process.communicate(timeout=60)
        steps = [line for line in out.splitlines() if line.startswith("step")]
        if "done" not in out and any(float(s.split()[1]) >= 0.3 for s in steps):
            killed_while_writing += 1
        if "done" not in out and "dropped" in out.split():
            killed_without_indexes += 1
        with Shop(db) as shop:
            assert shop.db.scalar("PRAGMA integrity_check") == "ok"
        digest = content_digest(db)
        state = {prepared["before_digest"]: "before", prepared["after_digest"]: "after"}.get(digest)
        assert state is not None, f"kill {kill} after {delay:.2f}s left a state in between"
        outcomes[state] += 1
        # A backup cut short never shows up in the list.
        with Shop(db) as shop:
            for backup in shop.backups.list():
                assert backup.path.suffix == ".otkb"
                copy = open_backup(backup.path)
                assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
                copy.close()
    print(f"\n{KILLS} kills: {outcomes}, {killed_while_writing} while writing, "
          f"{killed_without_indexes} with the indexes dropped; "
          f"writing from {prepared['writing_from']:.2f}s of {prepared['total']:.2f}s")
    assert outcomes["before"] + outcomes["after"] == KILLS
    assert killed_while_writing >= KILLS // 5, "too few kills landed while writing"
    assert outcomes["before"] > 0
    if prepared["mode"] == "bulk":
        assert killed_without_indexes > 0, "no kill landed while the indexes were dropped"
