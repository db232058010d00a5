"""The real export layouts in tests/data/layouts/ and their fictional cast (see its
README): which file is which layout, and who a customer is."""
from pathlib import Path

import pandas as pd

from tests.support.paths import DATA

LAYOUTS = DATA / "layouts"
AS_OF = "2026-01-31"

# P1…P6 by what identifies them in any channel: phone digits, e-mail, name without spaces.
CAST = {
    "P1": ("09012345678", "taro.yamada@example.jp", "山田太郎"),
    "P2": ("08023456789", "hanako@example.com", "佐藤花子"),
    "P3": ("07034567890", "ichiro.s@example.net", "鈴木一郎"),
    "P4": ("0921234567", "misaki.t@example.org", "高橋美咲"),
    "P5": ("0112223333", "ken.tanaka@example.jp", "田中健"),
    "P6": ("0221112222", "sakura.ito@example.com", "伊藤さくら"),
}

# Every layout file as it is dropped (the files of one download together), with
# the preset it must be detected as.
DROPS = {
    ("amazon", ("amazon_order_report.txt",)): "amazon",
    ("aupay", ("aupay_orders.csv",)): "aupay",
    ("base", ("base_orders.csv",)): "base",
    ("colorme", ("sales_all.csv",)): "colorme",
    ("creema", ("creema_orders.csv",)): "creema",
    ("creema", ("creema_orders_old33.csv",)): "creema",
    ("eccube2", ("order_20251101120000.csv",)): "eccube2",
    ("eccube4", ("order_20251001120000.csv",)): "eccube4",
    ("futureshop", ("futureshop_orders_PARTIAL_HEADER.csv",)): "futureshop",
    ("makeshop", ("makeshop_orders_PARTIAL_HEADER.csv",)): "makeshop",
    ("minne", ("minne_orders.csv",)): "minne",
    ("nextengine", ("ne_juchu_hanyo_41cols.csv",)): "nextengine",
    ("nextengine", ("ne_juchu_hanyo_37cols_halfwidth.csv",)): "nextengine",
    ("qoo10", ("qoo10_shipping_orders.csv",)): "qoo10",
    ("rakuten", ("rakuten_pay_orders.csv",)): "rakuten",
    ("rakuten", ("rakuten_pay_orders_2019.csv",)): "rakuten",
    ("rakuten_legacy", ("rakuten_orders_legacy.csv",)): "rakuten_legacy",
    ("shopify", ("orders_export_1.csv",)): "shopify",
    ("shopify", ("orders_export_2021_73cols.csv",)): "shopify",
    ("shopify", ("orders_export_helpcenter_spelling_UNCONFIRMED.csv",)): "shopify",
    ("yahoo", ("yahoo_order.csv", "yahoo_item.csv")): "yahoo",
    ("yahoo", ("yahoo_item.csv", "yahoo_order.csv")): "yahoo",
    # The order file alone: orders with their goods subtotal (TotalPrice), no lines.
    ("yahoo", ("yahoo_order.csv",)): "yahoo",
}


def paths(folder: str, names: tuple[str, ...]) -> list[Path]:
    return [LAYOUTS / folder / name for name in names]


def import_dropped(shop, files: list[Path]) -> list:
    """Import files as the 取込 tab does with a drop: one download's files together."""
    return [shop.imports.import_file(unit[0], partners=unit[1:])
            for unit in shop.imports.group_downloads(files)]


def expected(folder: str) -> dict[str, tuple]:
    frame = pd.read_csv(LAYOUTS / folder / "expected.csv", dtype=str)
    return {row.person: (int(row.purchase_count), int(row.total_amount), row.first_purchase,
                         row.last_purchase) for row in frame.itertuples(index=False)}


def figures_by_person(shop) -> dict[str, list[tuple]]:
    """Each cast member's customers with purchases: (count, total, first, last) each."""
    table = shop.customers.table(as_of=AS_OF)
    keys = pd.DataFrame(shop.db.query(
        "SELECT id AS customer_id, phone_digits, email AS email_key, name_key FROM customers"))
    table = table.merge(keys, on="customer_id")
    table = table[table["purchase_count"] > 0]
    found: dict[str, list[tuple]] = {}
    for row in table.itertuples(index=False):
        person = next((p for p, (phone, mail, name) in CAST.items()
                       if row.phone_digits == phone or row.email_key == mail or row.name_key == name),
                      None)
        found.setdefault(person, []).append(
            (int(row.purchase_count), int(row.total_amount), row.first_purchase, row.last_purchase))
    return found
