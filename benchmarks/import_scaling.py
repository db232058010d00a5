"""How import time grows with file size: 10k, 30k and 100k order lines.

    python benchmarks/import_scaling.py [--sizes 10000 30000 100000] [--seed 7]

Each size gets its own generated Rakuten export and a fresh database file in a
temporary folder; the import is timed end to end (reading, normalising,
identity, writing, commit).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate import generate  # noqa: E402
from engine import Shop  # noqa: E402


def time_import(csv_path: Path, db_path: Path) -> tuple[float, float, object]:
    """Wall and CPU seconds of one import into a fresh database file."""
    with Shop(db_path) as shop:
        start, cpu = time.perf_counter(), time.process_time()
        result = shop.imports.import_file(csv_path)
        return time.perf_counter() - start, time.process_time() - cpu, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    print(f"{'lines':>9} {'orders':>8} {'customers':>9} {'seconds':>8} {'lines/s':>9} "
          f"{'cpu s':>7} {'lines/cpu s':>11}")
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            csv_path = Path(folder) / f"rakuten_{size}.csv"
            generate(csv_path, size, args.seed)
            seconds, cpu, result = time_import(csv_path, Path(folder) / f"shop_{size}.db")
            print(f"{size:>9,} {result.orders_added:>8,} {result.customers_added:>9,} "
                  f"{seconds:>8.2f} {size / seconds:>9,.0f} {cpu:>7.2f} {size / cpu:>11,.0f}",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
