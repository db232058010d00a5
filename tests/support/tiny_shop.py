"""Tiny hand-made shops for analysis tests: orders written as generic-format CSV."""
from engine import Shop

HEADER = "会員コード,受注番号,受注日,氏名,郵便番号,住所,商品コード,商品名,単価,数量,状態\n"


def order_file(directory, name, rows):
    """Rows: (member, order_no, ordered_at, product_code, unit_price, quantity[, status]).
    Several rows with one order_no are the lines of one order."""
    lines = []
    for member, order_no, ordered_at, code, price, quantity, *status in rows:
        lines.append(f"{member},{order_no},{ordered_at},{member}様,1000001,東京都千代田区1-1,"
                     f"{code},商品{code},{price},{quantity},{status[0] if status else ''}\n")
    path = directory / name
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    return path


def tiny_shop(directory, rows) -> Shop:
    """An in-memory shop holding ``rows`` (see order_file)."""
    shop = Shop(":memory:")
    shop.imports.import_file(order_file(directory, "orders.csv", rows))
    return shop


def customer_id(shop, member: str) -> int:
    return shop.db.scalar("SELECT customer_id FROM orders WHERE member_id = ? LIMIT 1", (member,))
