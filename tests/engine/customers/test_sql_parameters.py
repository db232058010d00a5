"""User text never becomes SQL: quotes, LIKE wildcards and injection attempts are
searched for literally and leave every table intact."""
import pytest

from engine import Shop
from tests.support.generated_export import HEADERS, csv_bytes

# Search matches prefixes, so the special characters start names here; the look-alikes
# ("田中X太郎", "1000 果汁") are what an unescaped LIKE wildcard would also find.
NAMES = ["O'Brien 花子", "100% 果汁", "田中_太郎", "'; DROP TABLE customers; --",
         '"引用" 符', "\\円 三郎", "%割引 花子", "_下線 次郎", "普通 花子", "田中X太郎",
         "1000 果汁"]


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    path = tmp_path_factory.mktemp("sql") / "hostile_names.csv"
    rows = []
    for number, name in enumerate(NAMES, start=1):
        row = dict.fromkeys(HEADERS, "")
        row.update({"Name": f"#{number}", "Email": f"c{number}@example.jp",
                    "Financial Status": "paid", "Created at": "2025-07-01 10:00:00",
                    "Lineitem quantity": "1", "Lineitem name": "石鹸", "Lineitem price": "500",
                    "Lineitem sku": "SKU-1", "Billing Name": name,
                    "Billing Phone": f"090-2222-3{number:03d}"})
        rows.append([row[h] for h in HEADERS])
    path.write_bytes(csv_bytes(rows))
    shop = Shop(":memory:")
    shop.imports.import_file(path)
    return shop


def tables(shop):
    """Every table, column and index the shop has."""
    if shop.db.dialect.name == "postgresql":
        return shop.db.query(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema() ORDER BY 1, 2") + shop.db.query(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "ORDER BY 1")
    return shop.db.query("SELECT name, sql FROM sqlite_master ORDER BY name")


@pytest.mark.parametrize("text,expected", [
    ("O'Brien", ["O'Brien 花子"]),
    ("%", ["%割引 花子"]),
    ("100%", ["100% 果汁"]),
    ("_", ["_下線 次郎"]),
    ("田中_", ["田中_太郎"]),
    ("'; DROP TABLE customers; --", ["'; DROP TABLE customers; --"]),
    ('"引用"', ['"引用" 符']),
    ("\\", ["\\円 三郎"]),
    ("' OR '1'='1", []),
    ("%' OR 1=1 --", []),
])
def test_search_is_literal(shop, text, expected):
    before = tables(shop)
    count = shop.db.scalar("SELECT count(*) FROM customers")
    found = shop.customers.search(text)
    assert sorted(found["name"]) == sorted(expected)
    assert tables(shop) == before
    assert shop.db.scalar("SELECT count(*) FROM customers") == count == len(NAMES)


def test_hostile_text_is_stored_verbatim(shop):
    hostile = "'); DELETE FROM orders; -- 100% _x_ \"q\""
    customer = int(shop.customers.search("普通")["customer_id"][0])
    shop.customers.set_notes(customer, hostile)
    assert shop.customers.get(customer)["notes"] == hostile
    assert shop.db.scalar("SELECT count(*) FROM orders") == len(NAMES)
    survey = shop.surveys.create(hostile).created
    assert shop.surveys.get(survey).title == hostile
    assert [c["name"] for c in shop.surveys.find_customers("田中_")] == ["田中_太郎"]
