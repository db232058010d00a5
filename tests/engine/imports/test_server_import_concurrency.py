"""Several desktops on one shop on a real PostgreSQL server, each a process of its own:
two imports started at once never interleave (the second is told who imports, and
imports afterwards); a desktop killed in the middle of an import leaves the shop as
it was and the lock free; desktops that search while another imports see the shop
before or after the import, never half of it. Per-customer figures end exactly as a
SQLite shop's that imported the same files."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine import Shop
from engine.store.server_lock import BusyError
from tests.support.generated_export import csv_bytes, order_rows
from tests.support.paths import ROOT

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

# One desktop: opens the shop as ``staff``, says "ready", imports when told "go" on
# its input, printing its progress; ends with "ok <orders added>" or "busy <message>".
DESKTOP = """
import sys
from engine import Shop
from engine.store.server_lock import BusyError
url, path, staff = sys.argv[1:4]
shop = Shop(url, staff=staff)
print("ready", flush=True)
sys.stdin.readline()
try:
    result = shop.imports.import_file(path, progress=lambda f, m: print(f"step {f:.2f}", flush=True))
except BusyError as exc:
    print("busy", exc, flush=True)
else:
    print("ok", result.orders_added, flush=True)
"""


def export(folder: Path, name: str, first_order: int, orders: int, seed: int) -> Path:
    """Orders ``first_order``… by 1,500 people (the two files share customers)."""
    path = folder / name
    path.write_bytes(csv_bytes(order_rows(orders, 1500, seed, first_order)))
    return path


def desktop(url: str, path: Path, staff: str, home: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-c", DESKTOP, url, str(path), staff], cwd=ROOT, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**__import__("os").environ, "OTOKUI_HOME": str(home)})
    assert process.stdout.readline().strip() == "ready", process.stderr.read()
    return process


def figures_by_email(shop: Shop) -> dict[str, tuple]:
    """Each customer's purchase count, total, first and last purchase, by e-mail
    (the ids differ between stores and import orders; the people do not)."""
    rows = shop.db.query(
        "SELECT c.email, f.purchase_count, f.total_amount, f.first_purchase, f.last_purchase "
        "FROM customer_figures f JOIN customers c ON c.id = f.customer_id")
    recomputed = shop.db.query(
        "SELECT c.email, count(*) AS n, sum(o.amount) AS total, min(o.order_date) AS first, "
        "max(o.order_date) AS last FROM orders o JOIN customers c ON c.id = o.customer_id "
        "WHERE o.status = 'valid' GROUP BY c.email")
    by_email = {r["email"]: (r["purchase_count"], r["total_amount"], r["first_purchase"],
                             r["last_purchase"]) for r in rows}
    assert by_email == {r["email"]: (r["n"], r["total"], r["first"], r["last"])
                        for r in recomputed}
    return by_email


def sqlite_figures(*paths: Path) -> dict[str, tuple]:
    with Shop(":memory:") as shop:
        if shop.db.dialect.name != "sqlite":
            pytest.skip("the reference shop is a SQLite one")
        for path in paths:
            shop.imports.import_file(path)
        return figures_by_email(shop)


def test_two_imports_started_at_once_never_interleave(postgres_url, tmp_path):
    first = export(tmp_path, "orders_a.csv", 1, 6000, seed=1)
    second = export(tmp_path, "orders_b.csv", 100_001, 6000, seed=2)
    Shop(postgres_url).close()
    desktops = {"山田（PC-1）": desktop(postgres_url, first, "山田（PC-1）", tmp_path),
                "佐藤（PC-2）": desktop(postgres_url, second, "佐藤（PC-2）", tmp_path)}
    for process in desktops.values():
        process.stdin.write("go\n")
        process.stdin.flush()
    said = {}
    for staff, process in desktops.items():
        out, err = process.communicate(timeout=300)
        said[staff] = out.splitlines()[-1]
        assert process.returncode == 0, err
    winners = [s for s, line in said.items() if line.startswith("ok")]
    losers = [s for s, line in said.items() if line.startswith("busy")]
    assert len(winners) == 1 and len(losers) == 1, said
    # The second desktop is told who imports, and nothing of its file went in.
    assert f"{winners[0]}が取込をしています" in said[losers[0]]
    assert said[winners[0]] == "ok 6000"
    with Shop(postgres_url) as shop:
        assert shop.db.scalar("SELECT count(*) FROM orders") == 6000
        # Once the first is done, the second imports.
        loser_file = second if losers[0] == "佐藤（PC-2）" else first
        assert shop.imports.import_file(loser_file).orders_added == 6000
        assert figures_by_email(shop) == sqlite_figures(first, second)


def test_a_desktop_killed_mid_import_leaves_the_shop_as_before_and_the_lock_free(
        postgres_url, tmp_path):
    first = export(tmp_path, "orders_a.csv", 1, 3000, seed=1)
    big = export(tmp_path, "orders_big.csv", 100_001, 10_000, seed=3)
    with Shop(postgres_url) as shop:
        shop.imports.import_file(first)
        before = figures_by_email(shop)
        counts = shop.db.query("SELECT (SELECT count(*) FROM orders) AS orders, "
                               "(SELECT count(*) FROM order_lines) AS lines, "
                               "(SELECT count(*) FROM customers) AS customers, "
                               "(SELECT count(*) FROM identity_keys) AS keys, "
                               "(SELECT count(*) FROM imports) AS imports")
    process = desktop(postgres_url, big, "山田（PC-1）", tmp_path)
    process.stdin.write("go\n")
    process.stdin.flush()
    # Killed while it writes (past the reading and the backup), as a PC switched off.
    for line in process.stdout:
        if line.startswith("step") and float(line.split()[1]) >= 0.4:
            break
    else:
        pytest.fail("the import ended before it could be killed: " + process.communicate()[1])
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    with Shop(postgres_url) as shop:
        deadline = time.monotonic() + 60
        while True:
            # The server frees the lock when it notices the desktop is gone.
            try:
                assert shop.db.query(
                    "SELECT (SELECT count(*) FROM orders) AS orders, "
                    "(SELECT count(*) FROM order_lines) AS lines, "
                    "(SELECT count(*) FROM customers) AS customers, "
                    "(SELECT count(*) FROM identity_keys) AS keys, "
                    "(SELECT count(*) FROM imports) AS imports") == counts
                assert figures_by_email(shop) == before
                shop.imports.import_file(big)
                break
            except BusyError:
                assert time.monotonic() < deadline, "the killed desktop's lock was never freed"
                time.sleep(0.5)
        assert figures_by_email(shop) == sqlite_figures(first, big)


def test_desktops_searching_during_an_import_see_it_whole_or_not_at_all(postgres_url,
                                                                       tmp_path):
    first = export(tmp_path, "orders_a.csv", 1, 3000, seed=1)
    big = export(tmp_path, "orders_big.csv", 100_001, 8000, seed=3)
    with Shop(postgres_url) as shop:
        shop.imports.import_file(first)
        before = shop.db.scalar("SELECT count(*) FROM orders")
        known = shop.db.query("SELECT id, name FROM customers ORDER BY id LIMIT 5")
        process = desktop(postgres_url, big, "山田（PC-1）", tmp_path)
        process.stdin.write("go\n")
        process.stdin.flush()
        seen, searches = set(), 0
        while process.poll() is None:
            shop.db.forget_memos()
            seen.add(shop.db.scalar("SELECT count(*) FROM orders"))
            for person in known:
                found = shop.customers.search(person["name"])["customer_id"].tolist()
                assert person["id"] in found
                searches += 1
            time.sleep(0.02)
        out, err = process.communicate()
        assert out.splitlines()[-1] == "ok 8000", err
        seen.add(shop.db.scalar("SELECT count(*) FROM orders"))
    assert searches > 20
    # Only the shop before the import and after it, never a part of it.
    assert seen == {before, before + 8000}


def test_desktops_checking_off_during_an_import_lose_nothing(postgres_url, tmp_path):
    """Check-offs wait while another desktop's import writes (each write takes the
    shop's write lock in turn): each one is recorded once, or refused in Japanese
    and left open — never lost, never half."""
    from engine.errors import StorageError
    from tests.support.plans import EVERYONE

    first = export(tmp_path, "orders_a.csv", 1, 3000, seed=1)
    big = export(tmp_path, "orders_big.csv", 100_001, 8000, seed=3)
    with Shop(postgres_url, staff="佐藤（PC-2）") as shop:
        shop.imports.import_file(first)
        shop.followups.save_rules(EVERYONE)
        shop.followups.generate("2025-09", as_of="2025-09-01")
        tasks = [r["id"] for r in shop.db.query(
            "SELECT id FROM followup_tasks WHERE status = 'open' AND medium = 'phone' "
            "ORDER BY id LIMIT 60")]
        assert len(tasks) == 60
        process = desktop(postgres_url, big, "山田（PC-1）", tmp_path)
        process.stdin.write("go\n")
        process.stdin.flush()
        done, refused, during = [], [], 0
        for task in tasks:
            importing = process.poll() is None
            try:
                shop.followups.check_off(task, done_on="2025-09-02")
            except StorageError as exc:
                assert "書き込み中" in str(exc) and "データは変更されていません" in str(exc)
                refused.append(task)
            else:
                done.append(task)
            during += importing
        out, err = process.communicate(timeout=300)
        assert out.splitlines()[-1] == "ok 8000", err
        assert during >= 3, "the import ended before the check-offs began"
        assert sorted(done + refused) == tasks
        assert shop.db.query("SELECT id FROM followup_tasks WHERE done_by = '佐藤（PC-2）' "
                             "ORDER BY id") == [{"id": t} for t in done]
        assert shop.db.scalar("SELECT count(*) FROM touches WHERE staff = '佐藤（PC-2）'") \
            == len(done)
        assert figures_by_email(shop) == sqlite_figures(first, big)
