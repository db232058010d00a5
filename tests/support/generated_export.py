"""Generated Shopify-format order exports of any size, for crash and stress tests."""
import csv
import io
import random
from pathlib import Path

HEADERS = ["Name", "Email", "Financial Status", "Created at", "Lineitem quantity",
           "Lineitem name", "Lineitem price", "Lineitem sku", "Billing Name",
           "Billing Address1", "Billing City", "Billing Zip", "Billing Province",
           "Billing Phone", "Cancelled at"]
SURNAMES = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤"]
GIVEN = ["陽菜", "結衣", "蓮", "大翔", "美咲", "翔太", "さくら", "健太", "愛", "拓海"]


def order_rows(orders: int, customers: int, seed: int = 7, first_order: int = 1) -> list[list[str]]:
    """Rows for ``orders`` orders by ``customers`` people, 1–3 lines each."""
    rng = random.Random(seed)
    rows = []
    for number in range(first_order, first_order + orders):
        person = rng.randrange(customers)
        name = f"{SURNAMES[person % 10]} {GIVEN[person // 10 % 10]}{person}"
        day = 1 + number % 28
        for line in range(rng.randint(1, 3)):
            sku = rng.randrange(50)
            rows.append([
                f"#{number}", f"c{person:06d}@example.jp", "paid",
                f"2025-07-{day:02d} 12:{line:02d}:00 +0900", str(rng.randint(1, 4)),
                f"商品 {sku}", str(500 + 100 * sku), f"SKU-{sku:04d}", name,
                f"本町{person % 30 + 1}丁目{person % 9 + 1}番", "横浜市中区",
                f"{2310000 + person:07d}", "神奈川県", f"090-{person // 10000:04d}-{person % 10000:04d}",
                ""])
    return rows


def csv_bytes(rows: list[list[str]], headers: list[str] = HEADERS) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def write_export(path: Path, orders: int, customers: int, seed: int = 7) -> Path:
    path.write_bytes(csv_bytes(order_rows(orders, customers, seed)))
    return path
