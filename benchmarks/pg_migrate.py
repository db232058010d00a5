"""Moving a big shop to PostgreSQL and back: ``migrate`` both ways, in seconds; on the
server, a backup (engine/store/server_backups.py) and its restore.

    python benchmarks/pg_migrate.py [--csv FILE | --lines 100000] [--db SHOP.db]
                                    [--url postgresql://…] [--workdir DIR]

The shop is a Rakuten export imported with the engine (``--db`` reuses a shop
already imported). The server is ``--url`` (an empty database), else a throwaway
local cluster started like the tests' (tests/support/postgres.py; fsync off, as
there). Prints one line per step: seconds, and the rows copied per second.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=None)
    parser.add_argument("--lines", type=int, default=100_000,
                        help="lines of a generated export when no --csv or --db is given")
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--url", default=None)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args(argv)

    from engine import Shop
    from engine.store.server_backups import ServerBackups
    from engine.store.transfer import migrate
    from tests.support.postgres import fresh_database, server

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="otokui-pg-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    db = args.db
    if db is None:
        csv_path = args.csv
        if csv_path is None:
            from benchmarks.generate import generate
            csv_path = workdir / f"rakuten_{args.lines}.csv"
            generate(csv_path, args.lines)
        db = workdir / "otokui.db"
        started = time.perf_counter()
        with Shop(db) as shop:
            shop.imports.import_file(csv_path)
        print(f"import          {time.perf_counter() - started:8.1f} s   ({csv_path.name})")
    print(f"shop file       {db.stat().st_size / 1e6:8.1f} MB")

    with (nullcontext(args.url) if args.url else fresh_database_on_local(server, fresh_database)) \
            as url:
        there = migrate(db, url)
        print(f"sqlite→postgres {there.seconds:8.1f} s   ({there.total_rows:,} rows, "
              f"{there.total_rows / there.seconds:,.0f} rows/s; orders {there.rows['orders']:,}, "
              f"order_lines {there.rows['order_lines']:,}, customers {there.rows['customers']:,})")
        backups = ServerBackups(url, workdir / "server-backups")
        started = time.perf_counter()
        made = backups.create("bench")
        print(f"server backup   {time.perf_counter() - started:8.1f} s   "
              f"(file {made.size_bytes / 1e6:,.1f} MB on this PC)")
        started = time.perf_counter()
        backups.restore(made.path)
        print(f"server restore  {time.perf_counter() - started:8.1f} s   "
              "(the backup of the state before included)")
        back_path = workdir / "back.db"
        back_path.unlink(missing_ok=True)
        back = migrate(url, back_path)
        print(f"postgres→sqlite {back.seconds:8.1f} s   ({back.total_rows / back.seconds:,.0f} rows/s; "
              f"file {back_path.stat().st_size / 1e6:,.1f} MB)")
    return 0


class fresh_database_on_local:
    """A throwaway server and an empty database on it, for the length of the run."""

    def __init__(self, server, fresh_database):
        self._server, self._fresh = server(), fresh_database
        self._database = None

    def __enter__(self) -> str:
        url = self._server.__enter__()
        self._database = self._fresh(url)
        return self._database.__enter__()

    def __exit__(self, *exc) -> None:
        try:
            self._database.__exit__(*exc)
        finally:
            self._server.__exit__(*exc)


if __name__ == "__main__":
    sys.exit(main())
