"""Hand-built shops for the segment, product, follow-up and touch tests.

Orders are written straight into the database so each test states exactly the
purchases it reasons about.
"""
from __future__ import annotations

from engine import Shop


def add_customer(shop: Shop, cid: int, *, name: str | None = None, dm: int = 1,
                 email: str = "", phone: str = "", opt_out: int = 0) -> None:
    shop.db.execute(
        "INSERT INTO customers (id, name, name_key, email, phone, phone_digits, dm_default,"
        " dm_opt_out, created_at) VALUES (?,?,?,?,?,?,?,?, '2020-01-01')",
        (cid, name or f"顧客{cid}", name or f"顧客{cid}", email, phone,
         phone.replace("-", ""), dm, opt_out))


def add_order(shop: Shop, cid: int, day: str, amount: int, *, lines=None,
              status: str = "valid") -> int:
    """One order; ``lines`` is a list of (product_code, amount), default one line."""
    number = shop.db.scalar("SELECT count(*) FROM orders") + 1
    order_id = shop.db.execute(
        "INSERT INTO orders (source, order_no, ordered_at, order_date, status, customer_id,"
        " amount, digest) VALUES ('generic', ?, ?, ?, ?, ?, ?, '')",
        (f"T{number}", day + " 10:00:00", day, status, cid, amount)).lastrowid
    for line_no, (code, line_amount) in enumerate(lines or [("", amount)], start=1):
        shop.db.execute(
            "INSERT INTO order_lines (order_id, line_no, product_code, product_name, unit_price,"
            " quantity, amount) VALUES (?,?,?,?,?,1,?)",
            (order_id, line_no, code, f"商品{code}", line_amount, line_amount))
    return order_id


def build(orders: dict, customer_options: dict | None = None) -> Shop:
    """``orders``: customer id → list of (day, amount) or (day, amount, lines);
    ``customer_options``: customer id → add_customer keywords."""
    customer_options = customer_options or {}
    shop = Shop(":memory:")
    with shop.db.transaction():
        for cid, purchases in orders.items():
            add_customer(shop, cid, **customer_options.get(cid, {}))
            for purchase in purchases:
                day, amount, *rest = purchase
                add_order(shop, cid, day, amount, lines=rest[0] if rest else None)
    return shop


def build_many(amounts: list[int], day: str = "2024-06-01") -> Shop:
    """Customers 1..N with one order each of the given amounts (bulk insert)."""
    shop = Shop(":memory:")
    with shop.db.transaction() as conn:
        conn.executemany(
            "INSERT INTO customers (id, name, created_at) VALUES (?, ?, '2020-01-01')",
            [(i, f"顧客{i}") for i in range(1, len(amounts) + 1)])
        conn.executemany(
            "INSERT INTO orders (source, order_no, ordered_at, order_date, status, customer_id,"
            " amount, digest) VALUES ('generic', ?, ?, ?, 'valid', ?, ?, '')",
            [(f"T{i}", day + " 10:00:00", day, i, a) for i, a in enumerate(amounts, start=1)])
    return shop
