"""The month's follow-up plan on a shop file and on the same shop on a PostgreSQL server.

    python benchmarks/followups_pg.py [--lines 200000] [--db SHOP.db] [--url postgresql://…]
                                      [--workdir DIR]

The shop is a generated Rakuten export (benchmarks/generate.py) imported with the
engine (``--db`` reuses a shop file already imported), copied to the server with
``migrate``. The server is ``--url`` (an empty database), else a throwaway local
cluster started like the tests'. Prints per store the seconds of a month's first
plan, its regeneration, and both again under a weekly capacity (as run.py's
``followups`` step), with the tasks written.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AS_OF = "2025-03-01"


def plan_timings(shop) -> str:
    """A line of seconds: first plan, regenerated, with capacity, regenerated."""
    month = AS_OF[:7]
    shop.followups.rules()   # a new shop's rules are seeded once
    parts = []
    for label, capacity in (("plan", None), ("again", None), ("capacity", 1),
                            ("again", 1)):
        if capacity:
            shop.followups.set_capacity(phone=20, dm=60)
        started = time.perf_counter()
        change = shop.followups.generate(month, AS_OF, holdout_share=0.1)
        parts.append(f"{label} {time.perf_counter() - started:6.1f} s "
                     f"({change.counts['created']:,} created, "
                     f"{change.counts['left_out']:,} left out)")
    return "; ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--url", default=None)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args(argv)

    from benchmarks.pg_migrate import fresh_database_on_local
    from engine import Shop
    from engine.store.transfer import migrate
    from tests.support.postgres import fresh_database, server

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="otokui-followups-"))
    workdir.mkdir(parents=True, exist_ok=True)
    db = args.db
    if db is None:
        from benchmarks.generate import generate
        csv_path = workdir / f"rakuten_{args.lines}.csv"
        generate(csv_path, args.lines)
        db = workdir / "otokui.db"
        with Shop(db) as shop:
            shop.imports.import_file(csv_path)
    # Each store plans the same shop from scratch: the file's plan goes to a copy.
    copy = workdir / "plan.db"
    shutil.copyfile(db, copy)
    with (nullcontext(args.url) if args.url else fresh_database_on_local(server, fresh_database)) \
            as url:
        migrate(db, url)
        with Shop(copy) as shop:
            print(f"sqlite     {plan_timings(shop)}")
        with Shop(url) as shop:
            print(f"postgresql {plan_timings(shop)}")
    copy.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
