"""Time the analysis calls on a synthetic shop of ~100k customers.

    python benchmarks/analysis_bench.py [--customers 100000] [--seed 7]

Customers, orders and lines are written straight into a fresh database file
(the import pipeline has its own benchmark, run.py). Purchase counts are
heavy-tailed (most buy once), orders spread over three years before the as-of
date, 1–3 lines each from 40 products, half of which have a usage cycle; 8 %
of customers are DM-ineligible. Prints seconds per step:

- customers       shop.customers.table() (the `customers` command's frame)
- segments        shop.segments.summary()
- followups       shop.followups.generate() for the as-of month, first time
- regenerate      the same month again (every task compared, nothing changes)
- tasks           shop.followups.tasks() for that month
- due_targets     shop.products.due_targets()
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import Shop  # noqa: E402

AS_OF = pd.Timestamp("2026-01-01")
PRODUCTS = 40


def populate(shop: Shop, customers: int, seed: int) -> tuple[int, int]:
    """Write the synthetic shop; returns (orders, lines)."""
    rng = np.random.default_rng(seed)
    ids = np.arange(1, customers + 1)
    counts = np.minimum(rng.geometric(0.55, customers), 60)
    owner = np.repeat(ids, counts)
    days = rng.integers(0, 3 * 365, len(owner))
    dates = (AS_OF - pd.to_timedelta(days + 1, unit="D")).strftime("%Y-%m-%d")
    line_counts = rng.integers(1, 4, len(owner))
    order_of_line = np.repeat(np.arange(1, len(owner) + 1), line_counts)
    codes = np.char.add("P", rng.integers(1, PRODUCTS + 1, len(order_of_line)).astype(str))
    prices = rng.choice([980, 1980, 2980, 4980, 9800], len(order_of_line))
    amounts = np.bincount(order_of_line, weights=prices)[1:].astype("int64")
    dm = (rng.random(customers) > 0.08).astype(int)
    with shop.db.transaction() as conn:
        conn.executemany(
            "INSERT INTO customers (id, name, name_key, email, phone, dm_default, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, '2020-01-01')",
            ((int(i), f"顧客{i}", f"顧客{i}", f"c{i}@example.jp", f"090{i:08d}", int(d))
             for i, d in zip(ids, dm)))
        conn.executemany(
            "INSERT INTO orders (id, source, order_no, ordered_at, order_date, status,"
            " customer_id, amount, digest) VALUES (?, 'generic', ?, ?, ?, 'valid', ?, ?, '')",
            ((n, f"B{n}", f"{d} 12:00:00", d, int(c), int(a))
             for n, d, c, a in zip(range(1, len(owner) + 1), dates, owner, amounts)))
        conn.executemany(
            "INSERT INTO order_lines (order_id, line_no, product_code, product_name, unit_price,"
            " quantity, amount) VALUES (?, 1, ?, ?, ?, 1, ?)",
            ((int(o), c, f"商品{c}", int(p), int(p))
             for o, c, p in zip(order_of_line, codes, prices)))
        conn.executemany(
            "INSERT INTO products (code, name, cycle_days) VALUES (?, ?, ?)",
            ((f"P{k}", f"商品P{k}", 30 * (1 + k % 3) if k % 2 else None)
             for k in range(1, PRODUCTS + 1)))
    return len(owner), len(order_of_line)


def timed(label: str, call) -> None:
    start = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - start
    detail = (result if isinstance(result, dict) else getattr(result, "counts", None)
              or f"{len(result):,} rows")
    print(f"{label:<14}{seconds:8.2f} s   {detail}", flush=True)


@contextmanager
def bench_shop(description: str, customers: int) -> Iterator[Shop]:
    """A temporary shop filled by :func:`populate` (``--customers``, ``--seed``)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--customers", type=int, default=customers)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        with Shop(Path(folder) / "bench.db") as shop:
            start = time.perf_counter()
            orders, lines = populate(shop, args.customers, args.seed)
            print(f"{args.customers:,} customers, {orders:,} orders, {lines:,} lines "
                  f"written in {time.perf_counter() - start:.1f} s")
            yield shop


def main() -> int:
    with bench_shop(__doc__.splitlines()[0], 100_000) as shop:
        as_of, month = AS_OF.date().isoformat(), AS_OF.strftime("%Y-%m")
        timed("customers", lambda: shop.customers.table(as_of))
        timed("segments", lambda: shop.segments.summary(as_of))
        timed("followups", lambda: shop.followups.generate(month, as_of))
        timed("regenerate", lambda: shop.followups.generate(month, as_of))
        timed("tasks", lambda: shop.followups.tasks(month))
        timed("due_targets", lambda: shop.products.due_targets(as_of))
    return 0


if __name__ == "__main__":
    sys.exit(main())
