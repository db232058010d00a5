"""Time the learned purchase cycles and next products on a synthetic ~1M-line shop.

    python benchmarks/repurchase_bench.py [--customers 275000] [--seed 7]

The shop is analysis_bench.py's (heavy-tailed purchase counts over three years,
1–3 lines per order from 40 products, half with a usage cycle); 275,000 customers
give about a million order lines. Each step starts from a cold cache (the
purchases are remembered until the database changes), except ``*_warm`` which
repeat a step with them remembered, as a second tab or a reload asking would. Prints seconds:

- purchases          reading the valid lines into visits (the shared first step)
- suggest_cycles     shop.products.suggest_cycles()
- cycle_status       shop.products.cycle_status() (suggest_cycles included)
- next_products      shop.products.next_products()
- bought_together    shop.products.bought_together()
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.analysis_bench import AS_OF, bench_shop, timed  # noqa: E402
from engine.analysis.repurchase import purchases  # noqa: E402


def main() -> int:
    with bench_shop(__doc__.splitlines()[0], 275_000) as shop:
        as_of = AS_OF.date()
        steps = [
            ("purchases", lambda: purchases(shop.db, as_of).items),
            ("suggest_cycles", lambda: shop.products.suggest_cycles(as_of)),
            ("cycle_status", lambda: shop.products.cycle_status(as_of)),
            ("next_products", lambda: shop.products.next_products(as_of)),
            ("bought_together", lambda: shop.products.bought_together(as_of)),
        ]
        for label, step in steps:
            shop.db.forget_memos()
            timed(label, step)
        timed("suggest_warm", steps[1][1])
        timed("status_warm", steps[2][1])
        timed("next_warm", steps[3][1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
