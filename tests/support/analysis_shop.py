"""Hand-built shops for the segment, product, follow-up and touch tests.

Orders are written straight into the database so each test states exactly the
purchases it reasons about.
"""
from __future__ import annotations

from engine import Shop


def add_customer(shop: Shop, cid: int, *, name: str | None = None, dm: int = 1,
                 email: str = "", phone: str = "", opt_out: int = 0,
                 dm_manual: int | None = None) -> None:
    """``dm``: DM allowed by where they bought (0: Amazon only, no marketing at all);
    ``dm_manual``: DM allowed or refused by hand."""
    shop.db.execute(
        "INSERT INTO customers (id, name, name_key, email, phone, phone_digits, dm_default,"
        " dm_manual, dm_opt_out, created_at) VALUES (?,?,?,?,?,?,?,?,?, '2020-01-01')",
        (cid, name or f"顧客{cid}", name or f"顧客{cid}", email, phone,
         phone.replace("-", ""), dm, dm_manual, opt_out))


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


def build(orders: dict, customer_options: dict | None = None, *,
          email_consent: bool = False, location: str = ":memory:") -> Shop:
    """``orders``: customer id → list of (day, amount) or (day, amount, lines);
    ``customer_options``: customer id → add_customer keywords. ``email_consent``:
    every customer has an address (c<id>@example.jp unless given) and agreed to
    advertising e-mail. ``location``: an empty PostgreSQL database's URL, for a shop
    on the server."""
    customer_options = customer_options or {}
    shop = Shop(location)
    with shop.db.transaction() as conn:
        for cid, purchases in orders.items():
            options = dict(customer_options.get(cid, {}))
            if email_consent:
                options.setdefault("email", f"c{cid}@example.jp")
            add_customer(shop, cid, **options)
            for purchase in purchases:
                day, amount, *rest = purchase
                add_order(shop, cid, day, amount, lines=rest[0] if rest else None)
        if email_consent:
            conn.executemany(
                "INSERT INTO consents (customer_id, channel, value, recorded_on, source,"
                " created_at) VALUES (?, 'email', 'yes', '2020-01-01', 'テスト', '2020-01-01')",
                [(cid,) for cid in orders])
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
