"""Small hand-built shops for survey and journey tests."""
from __future__ import annotations

from engine import Shop

# customer id -> list of (order date, amount); hand-ranked as of 2025-01-01 with
# N = 10 buyers: TOP1% and TOP10% = 1 customer, TOP20% = 2.
ORDERS = {
    1: [("2024-03-01", 100000)],                       # top1
    2: [("2024-04-01", 50000)],                        # top20
    3: [("2024-01-05", 3000)] * 3,                     # twice_thrice (3 orders, 9000)
    4: [("2024-05-01", 8000)],                         # once
    5: [("2024-02-01", 1400)] * 5,                     # repeat4plus (5 orders, 7000)
    6: [("2024-06-01", 6000)],                         # once
    7: [("2024-07-01", 2500)] * 2,                     # twice_thrice
    8: [("2024-08-01", 4000)],                         # once
    9: [("2024-09-01", 750)] * 4,                      # repeat4plus
    10: [("2024-10-01", 2000)],                        # once
}
NAMES = {1: "青木 一郎", 2: "井上 花子", 3: "上田 三郎", 4: "江藤 四季", 5: "大野 五月",
         6: "加藤 六花", 7: "木村 七海", 8: "久保 八重", 9: "小林 九", 10: "佐藤 十和",
         11: "清水 未来", 12: "鈴木 取消"}
KANA = {1: "アオキ イチロウ", 11: "シミズ ミライ"}


def build_shop(path=":memory:") -> Shop:
    """Customers 1–10 with valid orders, 11 with none, 12 with only a cancelled order."""
    shop = Shop(path)
    with shop.db.transaction() as conn:
        for cid, name in NAMES.items():
            conn.execute(
                "INSERT INTO customers (id, name, name_key, kana, phone, phone_digits, created_at)"
                " VALUES (?,?,?,?,?,?, '2024-01-01')",
                (cid, name, name.replace(" ", ""), KANA.get(cid, ""),
                 f"090-0000-{cid:04d}", f"0900000{cid:04d}"))
        number = 0
        for cid, orders in ORDERS.items():
            for day, amount in orders:
                number += 1
                conn.execute(
                    "INSERT INTO orders (source, order_no, ordered_at, order_date, status,"
                    " customer_id, amount, digest) VALUES ('generic', ?, ?, ?, 'valid', ?, ?, '')",
                    (f"T{number}", day + " 10:00:00", day, cid, amount))
        conn.execute(
            "INSERT INTO orders (source, order_no, ordered_at, order_date, status, customer_id,"
            " amount, digest) VALUES ('generic', 'X1', '2024-01-01 10:00:00', '2024-01-01',"
            " 'cancelled', 12, 99999, '')")
    return shop
