"""KPIs and new vs repeat sales by month, hand-computed on a tiny shop (SPEC §3)."""
from fractions import Fraction

import pytest

from engine.errors import OtokuiError
from tests.support.tiny_shop import customer_id, tiny_shop

AS_OF = "2025-06-30"
ROWS = [
    # A: three orders, the last 29 days before the as-of date
    ("A", "1", "2024-01-10", "S1", 1000, 1),
    ("A", "2", "2024-03-05", "S1", 1000, 2),
    ("A", "3", "2025-06-01", "S2", 1500, 2),
    # B: last order exactly 365 days before (active); I: 366 days (not active)
    ("B", "4", "2024-06-30", "S1", 5000, 1),
    ("I", "5", "2024-06-29", "S3", 100, 1),
    # C: two orders, first only 60 days before: too recent for F2
    ("C", "6", "2025-05-01", "S1", 1500, 1),
    ("C", "7", "2025-05-20", "S3", 500, 1),
    # D: one order 121 days before; F: 91 days before, its second order is after the as-of date
    ("D", "8", "2025-03-01", "S2", 4000, 1),
    ("F", "9", "2025-03-31", "S1", 1200, 1),
    ("F", "10", "2025-07-02", "S1", 800, 1),
    # G: first purchase exactly 90 days before; two orders that day, the later-listed one earlier
    ("G", "11", "2025-04-01 09:00", "S3", 300, 1),
    ("G", "12", "2025-04-01 08:00", "S3", 200, 1),
    # E: a cancelled order and one after the as-of date: not a customer as of then
    ("E", "13", "2025-06-29", "S1", 700, 1, "キャンセル"),
    ("E", "14", "2025-07-05", "S1", 9999, 1),
    # H: a big customer who was deleted on request
    ("H", "15", "2024-06-01", "S2", 10000, 1),
]


@pytest.fixture
def shop(tmp_path):
    shop = tiny_shop(tmp_path, ROWS)
    shop.db.execute("UPDATE customers SET deleted_at = '2025-06-01 10:00:00' WHERE id = ?",
                    (customer_id(shop, "H"),))
    return shop


def test_kpis_by_hand(shop):
    kpis = shop.analysis.kpis(AS_OF)
    # Customers A B C D F G I; orders 3+1+2+1+1+2+1 = 11; sales 6000+5000+2000+4000+1200+500+100.
    assert kpis["customers"] == 7
    assert kpis["active_customers"] == 6
    assert kpis["repeat_rate"] == pytest.approx(3 / 7)
    # F2 base: A B D F G I (first purchase ≥ 90 days before); converted A and G.
    assert kpis["f2_conversion"] == pytest.approx(2 / 6)
    assert kpis["orders"] == 11
    assert kpis["sales"] == 18800
    assert kpis["average_purchase_count"] == pytest.approx(11 / 7)
    assert kpis["average_order_value"] == pytest.approx(18800 / 11)
    assert kpis["ltv"] == pytest.approx(18800 / 7)
    assert kpis["referral_count"] is None


def test_kpis_move_with_the_as_of_date(shop):
    kpis = shop.analysis.kpis("2025-07-05")
    # E (9999) and F's second order now count; F converts, C's first is still too recent.
    assert kpis["customers"] == 8
    assert kpis["orders"] == 13
    assert kpis["sales"] == 18800 + 800 + 9999
    assert kpis["f2_conversion"] == pytest.approx(Fraction(3, 6))


def test_kpis_of_an_empty_shop(tmp_path):
    from engine import Shop
    kpis = Shop(":memory:").analysis.kpis(AS_OF)
    assert kpis["customers"] == kpis["orders"] == kpis["sales"] == 0
    assert kpis["repeat_rate"] is None and kpis["f2_conversion"] is None
    assert kpis["average_order_value"] is None and kpis["ltv"] is None


def test_monthly_sales_split_new_and_repeat(shop):
    table = shop.analysis.monthly_sales(AS_OF, months=4)
    assert list(table.columns) == ["month", "complete", "sales", "new_sales", "repeat_sales",
                                   "orders", "buyers"]
    assert table["complete"].all()  # 2025-06-30 ends June
    assert table.drop(columns="complete").to_dict("records") == [
        {"month": "2025-03", "sales": 5200, "new_sales": 5200, "repeat_sales": 0,
         "orders": 2, "buyers": 2},
        # G's 08:00 order is the first even though it was listed (and imported) second.
        {"month": "2025-04", "sales": 500, "new_sales": 200, "repeat_sales": 300,
         "orders": 2, "buyers": 1},
        {"month": "2025-05", "sales": 2000, "new_sales": 1500, "repeat_sales": 500,
         "orders": 2, "buyers": 1},
        {"month": "2025-06", "sales": 3000, "new_sales": 0, "repeat_sales": 3000,
         "orders": 1, "buyers": 1},
    ]


def test_monthly_sales_default_is_24_months_with_empty_months_zero(shop):
    table = shop.analysis.monthly_sales(AS_OF)
    assert len(table) == 24
    assert table["month"].iloc[0] == "2023-07" and table["month"].iloc[-1] == "2025-06"
    row = table.set_index("month").loc["2024-03"]
    assert (row["sales"], row["new_sales"], row["repeat_sales"]) == (2000, 0, 2000)
    assert table.set_index("month").loc["2024-02", "sales"] == 0
    assert table["sales"].sum() == 18800


def test_the_as_of_month_is_marked_unfinished_until_its_last_day(shop):
    """Sales so far in the running month are not a collapse: the month says it is not over."""
    running = shop.analysis.monthly_sales("2025-06-10", months=2)
    assert running["month"].tolist() == ["2025-05", "2025-06"]
    assert running["complete"].tolist() == [True, False]
    assert running["sales"].tolist() == [2000, 3000]  # June so far: A's order of the 1st
    assert shop.analysis.monthly_sales("2025-06-30", months=1)["complete"].tolist() == [True]


def test_monthly_sales_needs_at_least_one_month(shop):
    with pytest.raises(OtokuiError):
        shop.analysis.monthly_sales(AS_OF, months=0)


def test_bad_as_of_is_a_japanese_error(shop):
    with pytest.raises(OtokuiError, match="基準日"):
        shop.analysis.kpis("2025/13/01")
