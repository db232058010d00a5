"""The newest order, which tells whether the monthly import is overdue."""
from datetime import date

from engine import Shop
from engine.dates import month_complete
from tests.support.tiny_shop import tiny_shop


def test_newest_order_date_is_the_newest_valid_order(tmp_path):
    shop = tiny_shop(tmp_path, [("A", "1", "2025-05-02", "S1", 1000, 1),
                                ("B", "2", "2025-06-20", "S1", 500, 1),
                                ("B", "3", "2025-06-28", "S1", 700, 1, "キャンセル")])
    assert shop.analysis.newest_order_date() == date(2025, 6, 20)


def test_a_shop_without_orders_has_no_newest_order():
    assert Shop(":memory:").analysis.newest_order_date() is None


def test_a_month_is_complete_from_its_last_day_on():
    assert not month_complete("2025-02", date(2025, 2, 27))
    assert month_complete("2025-02", date(2025, 2, 28))
    assert month_complete("2024-12", date(2025, 1, 1))
    assert not month_complete("2025-03", date(2025, 2, 28))  # a month still to come
