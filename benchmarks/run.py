"""Otokui against DuckDB and lifetimes on one generated Rakuten export.

    python benchmarks/run.py [--lines 1000000] [--csv FILE] [--workdir DIR] [--seed 7]

Every step runs in its own Python process, so the MB column is that step's own
peak resident memory (ru_maxrss, interpreter and libraries included) plus the
peak of any process it started (the import's parser, which runs beside it). On a shared
machine wall seconds are noisy: each step's CPU seconds (user + system, all
threads) are printed next to them. Steps:

- import            our import of the file into a fresh database file
- duckdb            decode cp932 → UTF-8 file, load into a DuckDB database file,
                    per-customer F/M/first/last by a simple key (name + phone)
- lifetimes         pandas reads the file, then lifetimes'
                    summary_data_from_transaction_data on the valid lines
- customers         shop.customers.table() written as CSV (the `customers` command)
- rfm               RFM + segments + clusters (engine.analysis.rfm.customer_metrics)
- dashboard         everything the ダッシュボード tab computes (KPIs, 24 months of sales,
                    the cluster summary, the decomposition) in a fresh process
- customer_list     the 顧客 tab's first screen in a fresh process: how many customers,
                    how many listed and the first 200 rows (seconds); the notes add the
                    first screen of the TOP10% filter, of the list sorted by name and
                    the last page
- search            customer search per keystroke over typed prefixes of names,
                    kana and phones (seconds = median; p95 in the notes)
- open              opening a customer: customers.get + customers.orders
- startup           the desktop program from its start to the first screen loaded
                    (benchmarks/startup_probe.py), warm (three runs: median, all in the
                    notes) and, as root, cold (the page cache dropped first)
- backup            on a copy of the shop: a backup made by hand (every page), then two
                    monthly imports (generated months of 10,000 lines); the backup
                    before the second holds the pages the first changed — the disk
                    one monthly import costs, against the database's size — then the
                    rotation that rewrites the oldest kept backup in full
- monthly_import    on a copy of the shop, after one monthly import (generated months of
                    10,000 lines): a monthly import alone (inside a batch whose backup
                    is already taken; seconds), one with its before-import backup, and
                    that backup (the pages changed since the last) on its own
- followups         on a copy of the shop: the month's follow-up plan (as_of its first
                    day, 10 % held out; seconds), its regeneration, and both under a
                    weekly capacity of 20 calls and 60 DMs; the per-customer figures
                    (rfm.customer_metrics) it starts from are timed on their own too
- reimport_same     the same file again (same SHA-256: short-circuits)
- reimport_nothing_new  a copy with one byte changed in a column we do not
                    import: every order is compared and found unchanged
- pg_import, pg_customers, pg_customer_list, pg_search, pg_open
                    the same steps on the PostgreSQL store: the import into a new,
                    empty database on the server, the others on that shop. The server
                    is ``--pg-url`` (a maintenance URL of a server where the user may
                    create databases), else a throwaway local cluster for the run with
                    PostgreSQL's default durability (fsync and synchronous commit on).
                    The summary puts each beside its SQLite step.
"""
from __future__ import annotations

import argparse
import codecs
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AS_OF = "2026-01-01"
STEPS = ["import", "duckdb", "lifetimes", "customers", "rfm", "dashboard", "customer_list",
         "search", "open", "startup", "backup", "monthly_import", "followups", "reimport_same",
         "reimport_nothing_new"]
# The steps that also run on the PostgreSQL store, as pg_<step>.
SERVER_STEPS = ["import", "customers", "customer_list", "search", "open"]
STEPS += [f"pg_{name}" for name in SERVER_STEPS]
SERVER_ENV = "OTOKUI_BENCH_SERVER"
SERVER_DATABASE = "otokui_bench"


class Context:
    def __init__(self, workdir: Path, csv_path: Path):
        self.workdir = workdir
        self.csv = csv_path
        self.db = workdir / "otokui.db"
        # Where the shop of the steps lives: the file, or (pg_ steps) the server's database.
        self.shop = self.db

    def on_server(self) -> Context:
        from tests.support.postgres import database_url
        self.shop = database_url(os.environ[SERVER_ENV], SERVER_DATABASE)
        return self


# --- steps (each returns seconds and a note) ----------------------------------

def step_import(ctx: Context) -> tuple[float, str]:
    from engine import Shop

    if ctx.shop is ctx.db:
        # A new shop: its backups go too (a lost database with backups is not opened empty).
        for suffix in ("", "-wal", "-shm"):
            Path(str(ctx.db) + suffix).unlink(missing_ok=True)
        shutil.rmtree(ctx.db.parent / "backups", ignore_errors=True)
    else:
        from tests.support.postgres import empty_database
        empty_database(os.environ[SERVER_ENV], SERVER_DATABASE)
    with Shop(ctx.shop) as shop:
        start = time.perf_counter()
        result = shop.imports.import_file(ctx.csv)
        seconds = time.perf_counter() - start
    return seconds, f"{result.orders_added:,} orders, {result.customers_added:,} customers"


def _decode_to_utf8(source: Path, target: Path) -> None:
    decoder = codecs.getincrementaldecoder("cp932")()
    with open(source, "rb") as raw, open(target, "w", encoding="utf-8", newline="") as out:
        while block := raw.read(1 << 22):
            out.write(decoder.decode(block))
        out.write(decoder.decode(b"", final=True))


def step_duckdb(ctx: Context) -> tuple[float, str]:
    import duckdb

    utf8 = ctx.workdir / "duckdb_input.csv"
    target = ctx.workdir / "duckdb.db"
    target.unlink(missing_ok=True)
    start = time.perf_counter()
    _decode_to_utf8(ctx.csv, utf8)
    decoded = time.perf_counter() - start
    con = duckdb.connect(str(target))
    con.execute(f"CREATE TABLE lines AS SELECT * FROM read_csv('{utf8}', header = true, "
                "all_varchar = true)")
    con.execute("""
        CREATE TABLE customers AS
        SELECT 注文者姓 || 注文者名 || '|' || 注文者電話番号1 || 注文者電話番号2 || 注文者電話番号3 AS key,
               count(DISTINCT 注文番号) AS frequency,
               sum(CAST(単価 AS BIGINT) * CAST(個数 AS BIGINT)) AS monetary,
               min(CAST(注文日 AS DATE)) AS first_purchase,
               max(CAST(注文日 AS DATE)) AS last_purchase
        FROM lines WHERE ステータス != 'キャンセル確定' GROUP BY key""")
    customers = con.execute("SELECT count(*) FROM customers").fetchone()[0]
    con.close()
    seconds = time.perf_counter() - start
    utf8.unlink()
    return seconds, f"{customers:,} keys; decoding cp932 took {decoded:.1f} s"


def step_lifetimes(ctx: Context) -> tuple[float, str]:
    import pandas as pd
    from lifetimes.utils import summary_data_from_transaction_data

    start = time.perf_counter()
    columns = ["ステータス", "注文日", "注文者姓", "注文者名", "注文者電話番号1", "注文者電話番号2",
               "注文者電話番号3", "単価", "個数"]
    lines = pd.read_csv(ctx.csv, encoding="cp932", usecols=columns, dtype=str)
    lines = lines[lines["ステータス"] != "キャンセル確定"]
    frame = pd.DataFrame({
        "key": lines["注文者姓"] + lines["注文者名"] + "|" + lines["注文者電話番号1"]
        + lines["注文者電話番号2"] + lines["注文者電話番号3"],
        "date": pd.to_datetime(lines["注文日"]),
        "amount": lines["単価"].astype("int64") * lines["個数"].astype("int64")})
    read = time.perf_counter() - start
    summary = summary_data_from_transaction_data(
        frame, "key", "date", monetary_value_col="amount", observation_period_end=AS_OF)
    seconds = time.perf_counter() - start
    return seconds, f"{len(summary):,} keys; reading took {read:.1f} s"


def step_customers(ctx: Context) -> tuple[float, str]:
    from engine import Shop
    from engine.export import write_table

    with Shop(ctx.shop) as shop:
        start = time.perf_counter()
        table = shop.customers.table(AS_OF)
        write_table(table, ctx.workdir / "customers.csv")
        seconds = time.perf_counter() - start
    return seconds, f"{len(table):,} customers"


def step_rfm(ctx: Context) -> tuple[float, str]:
    from engine import Shop
    from engine.analysis.rfm import customer_metrics

    with Shop(ctx.db) as shop:
        start = time.perf_counter()
        metrics = customer_metrics(shop.db, AS_OF, shop.settings.get("rank_percentages"))
        seconds = time.perf_counter() - start
    return seconds, f"{len(metrics):,} customers ranked"


def step_dashboard(ctx: Context) -> tuple[float, str]:
    from datetime import date

    from engine import Shop
    from gui.dashboard.tab import load_dashboard

    with Shop(ctx.db) as shop:
        start = time.perf_counter()
        shown = load_dashboard(shop, date.fromisoformat(AS_OF))
        seconds = time.perf_counter() - start
    return seconds, (f"{shown['kpis']['customers']:,} customers, "
                     f"{len(shown['monthly'])} months, {len(shown['decomposition'])} rows decomposed")


def step_customer_list(ctx: Context) -> tuple[float, str]:
    from engine import Shop
    from engine.customers.listing import ListQuery

    def first_screen(listing, query) -> float:
        start = time.perf_counter()
        listing.total(AS_OF), listing.count(query, AS_OF), listing.page(query, 0, 200, AS_OF)
        return time.perf_counter() - start

    with Shop(ctx.shop) as shop:
        listing = shop.customers.listing
        seconds = first_screen(listing, ListQuery())
        top10 = first_screen(listing, ListQuery(cluster="top10"))
        by_name = first_screen(listing, ListQuery(sort="name"))
        count = listing.count(ListQuery(), AS_OF)
        start = time.perf_counter()
        listing.page(ListQuery(), count - 200, 200, AS_OF)
        last = time.perf_counter() - start
    return seconds, (f"{count:,} customers; TOP10% {top10 * 1000:.0f} ms, by name "
                     f"{by_name * 1000:.0f} ms, last page {last * 1000:.0f} ms")


def _sample_customers(shop, count: int) -> list[dict]:
    return shop.db.query(
        "SELECT id, name, kana, phone FROM customers WHERE deleted_at IS NULL "
        "ORDER BY (id * 2654435761) % 1000003 LIMIT ?", (count,))


def _latencies(calls) -> list[float]:
    times = []
    for call in calls:
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def _spread(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def step_search(ctx: Context) -> tuple[float, str]:
    from engine import Shop

    with Shop(ctx.shop) as shop:
        typed = []
        for row in _sample_customers(shop, 30):
            for text in (row["name"], row["kana"], row["phone"]):
                typed += [text[:n] for n in range(1, len(text) + 1)]
        times = _latencies(lambda t=t: shop.customers.search(t) for t in typed)
    median, p95 = _spread(times)
    return median / 1000, f"per keystroke: median {median:.1f} ms, p95 {p95:.1f} ms " \
                          f"({len(times)} keystrokes)"


def step_open(ctx: Context) -> tuple[float, str]:
    from engine import Shop

    with Shop(ctx.shop) as shop:
        ids = [row["id"] for row in _sample_customers(shop, 100)]
        times = _latencies(
            lambda i=i: (shop.customers.get(i), shop.customers.orders(i)) for i in ids)
    median, p95 = _spread(times)
    return median / 1000, f"median {median:.1f} ms, p95 {p95:.1f} ms ({len(times)} customers)"


def _probe_start(ctx: Context, cold: bool) -> dict:
    if cold:
        subprocess.run(["sync"], check=True)
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    env = dict(os.environ)
    # Compiled once, as an installed program is: not the interpreter's start-up each time.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(ctx.workdir / "pycache")
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "startup_probe.py"),
                           str(ctx.db)], capture_output=True, text=True, env=env, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1])
    return json.loads(done.stdout.strip().splitlines()[-1])


def step_startup(ctx: Context) -> tuple[float, str]:
    _probe_start(ctx, cold=False)   # compiles, and warms the page cache
    warm = [_probe_start(ctx, cold=False) for _ in range(3)]
    note = "warm " + ", ".join(f"{r['loaded']:.2f}" for r in warm) + " s"
    note += " (window " + ", ".join(f"{r['shown']:.2f}" for r in warm) + " s"
    if all("checked" in r for r in warm):
        note += "; background check done " + ", ".join(f"{r['checked']:.2f}" for r in warm) + " s"
    note += ")"
    if os.access("/proc/sys/vm/drop_caches", os.W_OK):
        cold = [_probe_start(ctx, cold=True) for _ in range(3)]
        note += "; cold " + ", ".join(f"{r['loaded']:.2f}" for r in cold) + " s"
    return statistics.median(r["loaded"] for r in warm), note


def step_backup(ctx: Context) -> tuple[float, str]:
    from benchmarks.generate import generate
    from engine import Shop

    folder = ctx.workdir / "backup_shop"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    db = folder / "otokui.db"
    shutil.copyfile(ctx.db, db)
    months = [ctx.workdir / f"month_10000_{seed}.csv" for seed in (11, 12)]
    for seed, month in zip((11, 12), months):
        if not month.exists():   # order numbers of their own: new orders, not clashes
            generate(month, 10_000, seed=seed, shop_id=f"9999{seed}")
    try:
        with Shop(db) as shop:
            size = db.stat().st_size
            start = time.perf_counter()
            full = shop.backups.create("手動で作成")
            full_seconds = time.perf_counter() - start
            shop.imports.import_file(months[0])
            start = time.perf_counter()
            result = shop.imports.import_file(months[1])
            import_seconds = time.perf_counter() - start
            monthly = shop.backups.latest()
            keep = shop.backups.keep()
        # A chain of keep() backups: one full, then keep() - 1 of the changed pages.
        per_import = (full.size_bytes + (keep - 1) * monthly.size_bytes) / keep
        return import_seconds, (
            f"database {size / 1e6:,.0f} MB; full backup {full.size_bytes / 1e6:,.0f} MB "
            f"({size / full.size_bytes:.1f}× smaller) in {full_seconds:.1f} s; monthly import "
            f"({result.orders_added:,} orders) {import_seconds:.1f} s with its backup of "
            f"{monthly.size_bytes / 1e6:,.1f} MB = {monthly.size_bytes / size:.1%} of the "
            f"database; disk per monthly import over a chain of {keep} "
            f"{per_import / 1e6:,.1f} MB = {per_import / size:.1%}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _months(ctx: Context, seeds: tuple[int, ...]) -> list[Path]:
    from benchmarks.generate import generate

    months = [ctx.workdir / f"month_10000_{seed}.csv" for seed in seeds]
    for seed, month in zip(seeds, months):
        if not month.exists():   # order numbers of their own: new orders, not clashes
            generate(month, 10_000, seed=seed, shop_id=f"9999{seed}")
    return months


def _shop_copy(ctx: Context, name: str) -> Path:
    folder = ctx.workdir / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    shutil.copyfile(ctx.db, folder / "otokui.db")
    return folder / "otokui.db"


class _Timed:
    """Wall and CPU seconds (this process, all threads) of one call: on a shared
    machine the CPU seconds say more than the wall."""

    def __init__(self, call):
        start, cpu = time.perf_counter(), time.process_time()
        self.result = call()
        self.seconds = time.perf_counter() - start
        self.cpu = time.process_time() - cpu

    def __str__(self) -> str:
        return f"{self.seconds:.2f} s ({self.cpu:.2f} s CPU)"


def step_monthly_import(ctx: Context) -> tuple[float, str]:
    from engine import Shop

    months = _months(ctx, (11, 12, 13, 14))
    db = _shop_copy(ctx, "monthly_shop")
    try:
        with Shop(db) as shop:
            shop.imports.import_file(months[0])
            with_backup = _Timed(lambda: shop.imports.import_file(months[1]))
            backup = _Timed(lambda: shop.backups.create("手動で作成", full=False))
            with shop.imports.batch():   # one backup for the batch, taken by its first file
                shop.imports.import_file(months[2])
                alone = _Timed(lambda: shop.imports.import_file(months[3]))
        return alone.seconds, (
            f"{alone.result.orders_added:,} orders, {alone.result.customers_added:,} new "
            f"customers: alone {alone}; with its backup {with_backup}; that backup alone "
            f"{backup} ({backup.result.size_bytes / 1e6:,.1f} MB)")
    finally:
        shutil.rmtree(db.parent, ignore_errors=True)


def step_followups(ctx: Context) -> tuple[float, str]:
    from engine import Shop

    db = _shop_copy(ctx, "followup_shop")
    month = AS_OF[:7]
    try:
        with Shop(db) as shop:
            shop.followups.rules()   # a new shop's rules are seeded once
            figures = _Timed(lambda: shop.segments.metrics(AS_OF))
            shop.db.forget_memos()
            first = _Timed(lambda: shop.followups.generate(month, AS_OF, holdout_share=0.1))
            again = _Timed(lambda: shop.followups.generate(month, AS_OF))
            shop.followups.set_capacity(phone=20, dm=60)
            fitted = _Timed(lambda: shop.followups.generate(month, AS_OF))
            fitted_again = _Timed(lambda: shop.followups.generate(month, AS_OF))
        counts = first.result.counts
        return first.seconds, (
            f"{counts['created']:,} tasks, {counts['held_out']:,} held out: plan {first}; "
            f"regenerated {again}; per-customer figures alone {figures}; with capacity "
            f"{fitted} ({fitted.result.counts['left_out']:,} left out), regenerated "
            f"{fitted_again}")
    finally:
        shutil.rmtree(db.parent, ignore_errors=True)


def _reimport(ctx: Context, path: Path) -> tuple[float, str]:
    from engine import Shop

    with Shop(ctx.db) as shop:
        start = time.perf_counter()
        result = shop.imports.import_file(path)
        seconds = time.perf_counter() - start
    return seconds, (f"added {result.orders_added}, updated {result.orders_updated}, "
                     f"unchanged {result.orders_unchanged:,}")


def step_reimport_same(ctx: Context) -> tuple[float, str]:
    return _reimport(ctx, ctx.csv)


def step_reimport_nothing_new(ctx: Context) -> tuple[float, str]:
    copy = ctx.workdir / "same_orders.csv"
    shutil.copyfile(ctx.csv, copy)
    # The last line's 商品明細ID ends with its line number just before `","SKU-`;
    # Otokui does not import that column, so every order stays the same. Patched
    # in place, so this step's peak memory is the import's own.
    with open(copy, "r+b") as handle:
        tail_start = max(0, copy.stat().st_size - 4096)
        handle.seek(tail_start)
        tail = handle.read()
        at = tail_start + tail.rindex(b'","SKU-') - 1
        handle.seek(at)
        digit = handle.read(1)
        handle.seek(at)
        handle.write(b"8" if digit == b"9" else b"9")
    try:
        return _reimport(ctx, copy)
    finally:
        copy.unlink()


def _on_server(step):
    return lambda ctx: step(ctx.on_server())


for _name in SERVER_STEPS:
    globals()[f"step_pg_{_name}"] = _on_server(globals()[f"step_{_name}"])


# --- driver -------------------------------------------------------------------

def run_step(name: str, workdir: Path, csv_path: Path) -> None:
    """Child process: run one step and print its result as one JSON line."""
    before = resource.getrusage(resource.RUSAGE_SELF)
    seconds, note = globals()[f"step_{name}"](Context(workdir, csv_path))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    # The import's parsing process runs beside it: its CPU counts, and its peak
    # memory is added to this process's (an upper bound of the two together).
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime
           + children.ru_utime + children.ru_stime)
    mb = (usage.ru_maxrss + children.ru_maxrss) / 1024
    if children.ru_maxrss:
        note += f" (processes it started: {children.ru_maxrss / 1024:.0f} MB)"
    print(json.dumps({"seconds": seconds, "cpu": cpu, "mb": mb, "note": note}))


def measure(name: str, workdir: Path, csv_path: Path) -> dict:
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--step", name,
         "--workdir", str(workdir), "--csv", str(csv_path)],
        capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        return {"seconds": float("nan"), "cpu": float("nan"), "mb": float("nan"),
                "note": "FAILED: " + done.stderr.strip().splitlines()[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def print_table(results: dict[str, dict]) -> None:
    base = results.get("duckdb", {}).get("seconds")
    base_cpu = results.get("duckdb", {}).get("cpu")
    print(f"\n{'step':<22} {'seconds':>9} {'×duckdb':>8} {'cpu s':>8} {'cpu×duckdb':>10} "
          f"{'MB':>7}  notes")
    for name, row in results.items():
        ratio = row["seconds"] / base if base else float("nan")
        cpu_ratio = row["cpu"] / base_cpu if base_cpu else float("nan")
        print(f"{name:<22} {row['seconds']:>9.3f} {ratio:>8.2f} {row['cpu']:>8.1f} "
              f"{cpu_ratio:>10.2f} {row['mb']:>7.0f}  {row['note']}")
    pairs = [(n, f"pg_{n}") for n in SERVER_STEPS if n in results and f"pg_{n}" in results]
    if pairs:
        print(f"\n{'step':<16} {'SQLite s':>9} {'PostgreSQL s':>13} {'PostgreSQL/SQLite':>18}")
        for sqlite_step, server_step in pairs:
            a, b = results[sqlite_step]["seconds"], results[server_step]["seconds"]
            print(f"{sqlite_step:<16} {a:>9.3f} {b:>13.3f} {b / a if a else float('nan'):>18.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--csv", type=Path, help="use this export instead of generating one")
    parser.add_argument("--workdir", type=Path, help="keep files here (default: a temp folder)")
    parser.add_argument("--steps", nargs="+", choices=STEPS, default=STEPS)
    parser.add_argument("--step", choices=STEPS, help=argparse.SUPPRESS)
    parser.add_argument("--pg-url", help="the PostgreSQL server of the pg_ steps (default: a "
                                         "throwaway local cluster)")
    args = parser.parse_args(argv)
    if args.step:
        run_step(args.step, args.workdir, args.csv)
        return 0
    server = nullcontext(args.pg_url)
    if args.pg_url is None and any(name.startswith("pg_") for name in args.steps):
        from tests.support.postgres import server as local_server
        server = local_server(durable=True)
    with server as url:
        if url:
            os.environ[SERVER_ENV] = url
        return _run(args)


def _run(args) -> int:
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="otokui-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        csv_path = args.csv
        if csv_path is None:
            from benchmarks.generate import generate

            csv_path = workdir / f"rakuten_{args.lines}.csv"
            if not csv_path.exists():
                start = time.perf_counter()
                shape = generate(csv_path, args.lines, args.seed)
                print(f"generated {csv_path.name}: {shape['lines']:,} lines, "
                      f"{shape['orders']:,} orders, {csv_path.stat().st_size / 1e6:.0f} MB "
                      f"in {time.perf_counter() - start:.0f} s", flush=True)
        print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} "
              f"{os.getloadavg()[2]:.2f} on {os.cpu_count()} CPUs", flush=True)
        results = {}
        for name in args.steps:
            results[name] = measure(name, workdir, csv_path.resolve())
            row = results[name]
            print(f"  {name}: {row['seconds']:.3f} s ({row['cpu']:.1f} s CPU), "
                  f"{row['mb']:.0f} MB — {row['note']}", flush=True)
        print_table(results)
        print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
