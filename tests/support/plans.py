"""A one-rule follow-up plan for every customer, and purchases made after it, for the
tests of comparison groups and effects."""
from __future__ import annotations

# Three touches over three media for every customer 30+ days since their last order.
EVERYONE = [
    {"target": "all", "min_days": 30, "max_days": None, "medium": "email",
     "action": "お礼メール", "offset_days": 0},
    {"target": "all", "min_days": 30, "max_days": None, "medium": "dm",
     "action": "DMハガキ", "offset_days": 10},
    {"target": "all", "min_days": 30, "max_days": None, "medium": "insert",
     "action": "同梱チラシ", "offset_days": 20},
]


def buy(shop, customers, day: str = "2025-03-20", amount: int = 3000) -> None:
    """One valid order each for ``customers`` on ``day`` (order numbers E…)."""
    number = shop.db.scalar("SELECT count(*) FROM orders")
    with shop.db.transaction() as conn:
        conn.executemany(
            "INSERT INTO orders (source, order_no, ordered_at, order_date, status, customer_id,"
            " amount, digest) VALUES ('generic', ?, ?, ?, 'valid', ?, ?, '')",
            [(f"E{number + n}", day + " 10:00:00", day, int(c), amount)
             for n, c in enumerate(customers)])
