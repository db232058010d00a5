"""A simulated shop whose true purchase cycles are known, for the learned cycles.

Each customer keeps buying one main product; the days between their purchases
are drawn around that product's cycle (normal, 20 % spread). Most customers never
come back; a third of the visits add a second product from another family, and
purchases after the as-of date are not seen yet, as in a real export.
"""
from __future__ import annotations

import numpy as np

from engine import Shop

CYCLES = {"M14": 14, "M30": 30, "M45": 45, "M60": 60, "M90": 90}
HISTORY_DAYS = 4 * 365
FIRST_DAY = np.datetime64("2021-01-01")


def simulate(shop: Shop, customers: int = 3000, *, reorder: float = 0.4,
             companion: float = 1 / 3, seed: int = 11) -> None:
    """Write the simulated orders into ``shop`` (as of FIRST_DAY + HISTORY_DAYS)."""
    rng = np.random.default_rng(seed)
    codes = np.array(list(CYCLES))
    cycles = np.array(list(CYCLES.values()), dtype=float)
    main = rng.integers(0, len(codes), customers)
    # Visits per customer: 1 for those who never return, else 2 + geometric.
    visits = np.where(rng.random(customers) < reorder, 1 + rng.geometric(0.25, customers), 1)
    owner = np.repeat(np.arange(customers), visits)
    number = np.arange(len(owner)) - np.repeat(np.cumsum(visits) - visits, visits)
    gaps = np.maximum(1, np.rint(rng.normal(cycles[main[owner]], 0.2 * cycles[main[owner]])))
    gaps[number == 0] = rng.integers(0, HISTORY_DAYS, customers)   # the first purchase day
    day = np.cumsum(gaps) - np.repeat(np.cumsum(gaps)[np.cumsum(visits) - visits]
                                      - gaps[number == 0], visits)
    seen = day < HISTORY_DAYS
    owner, day = owner[seen], day[seen].astype(np.int64)
    product = main[owner]
    other = (product + rng.integers(1, len(codes), len(owner))) % len(codes)
    paired = rng.random(len(owner)) < companion
    dates = (FIRST_DAY + day).astype(str)
    with shop.db.transaction() as conn:
        conn.executemany("INSERT INTO customers (id, name, created_at) VALUES (?, ?, '2020-01-01')",
                         ((i + 1, f"顧客{i + 1}") for i in range(customers)))
        conn.executemany(
            "INSERT INTO orders (id, source, order_no, ordered_at, order_date, status, customer_id,"
            " amount, digest) VALUES (?, 'generic', ?, ?, ?, 'valid', ?, 1000, '')",
            ((n + 1, f"S{n + 1}", f"{d} 10:00:00", d, int(c) + 1)
             for n, (d, c) in enumerate(zip(dates, owner))))
        lines = [(n + 1, 1, codes[p]) for n, p in enumerate(product)]
        lines += [(int(n) + 1, 2, codes[other[n]]) for n in np.flatnonzero(paired)]
        conn.executemany(
            "INSERT INTO order_lines (order_id, line_no, product_code, product_name, unit_price,"
            " quantity, amount) VALUES (?, ?, ?, '商品' || ?, 500, 1, 500)",
            ((o, n, c, c) for o, n, c in lines))


def as_of() -> str:
    return str(FIRST_DAY + HISTORY_DAYS)
