"""A second Otokui on the same database is refused; a killed holder does not block."""
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from engine import Shop
from engine.errors import AlreadyOpenError
from tests.support.paths import ROOT

HOLDER = """
import sys, time
from engine import Shop
shop = Shop(sys.argv[1], single_instance=True)
print("open", flush=True)
time.sleep(120)
"""


def hold(db: Path) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", HOLDER, str(db)], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "open", process.stderr.read()
    return process


def test_second_process_is_refused_until_the_first_is_killed(tmp_path):
    db = tmp_path / "shop.db"
    holder = hold(db)
    try:
        with pytest.raises(AlreadyOpenError, match="shop.db: このデータベースは別のOtokuiで開かれています"):
            Shop(db, single_instance=True)
    finally:
        holder.send_signal(getattr(signal, "SIGKILL", signal.SIGTERM))
        holder.communicate(timeout=30)
    # The lock file is still there, but its lock died with the process.
    assert Path(f"{db}.lock").exists()
    with Shop(db, single_instance=True) as shop:
        assert shop.db.scalar("PRAGMA integrity_check") == "ok"


def test_the_command_line_refuses_while_another_instance_holds_the_database(tmp_path):
    db = tmp_path / "shop.db"
    holder = hold(db)
    try:
        run = subprocess.run([sys.executable, "main.py", "customers", "--db", str(db)],
                             cwd=ROOT, capture_output=True, text=True, timeout=120)
    finally:
        holder.kill()
        holder.communicate(timeout=30)
    assert run.returncode == 1
    assert "別のOtokuiで開かれています" in run.stderr


def test_closing_releases_the_lock_in_the_same_process(tmp_path):
    db = tmp_path / "shop.db"
    first = Shop(db, single_instance=True)
    with pytest.raises(AlreadyOpenError):
        Shop(db, single_instance=True)
    first.close()
    Shop(db, single_instance=True).close()


def test_a_failed_open_releases_the_lock(tmp_path):
    db = tmp_path / "shop.db"
    db.write_bytes(b"not a database" * 500)
    with pytest.raises(Exception):
        Shop(db, single_instance=True)
    db.unlink()
    Shop(db, single_instance=True).close()


def test_without_single_instance_no_lock_is_taken(tmp_path):
    db = tmp_path / "shop.db"
    with Shop(db, single_instance=True), Shop(db) as other:
        assert other.db.scalar("SELECT 1") == 1


def test_a_symbolic_link_or_another_spelling_reaches_the_same_lock(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    db = folder / "shop.db"
    link = tmp_path / "link.db"
    link.symlink_to(db)
    holder = hold(db)
    try:
        for other in (link, tmp_path / "data" / ".." / "data" / "shop.db"):
            with pytest.raises(AlreadyOpenError):
                Shop(other, single_instance=True)
    finally:
        holder.send_signal(getattr(signal, "SIGKILL", signal.SIGTERM))
        holder.communicate(timeout=30)
