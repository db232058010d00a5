"""Entry products: how customers whose first order held a product went on (SPEC §3)."""
import math

import pytest

from engine import Shop
from engine.analysis.entry_products import ENTRY_COLUMNS
from tests.support.tiny_shop import tiny_shop

ROWS = [
    # J: first order A + B, then A again → F2, M 2500
    ("J", "1", "2025-01-10", "A", 1000, 1), ("J", "1", "2025-01-10", "B", 500, 1),
    ("J", "2", "2025-02-01", "A", 1000, 1),
    # K: first order 2 × A → F1, M 2000
    ("K", "3", "2025-02-01", "A", 1000, 2),
    # L: first B only 60 days before the as-of date (no F2 verdict yet), then C → F2, M 1300
    ("L", "4", "2025-05-01", "B", 500, 1), ("L", "5", "2025-05-10", "C", 800, 1),
    # M: first order C on two lines → F1, M 1600
    ("M", "6", "2025-03-01", "C", 800, 1), ("M", "6", "2025-03-01", "C", 800, 1),
    # N: a cancelled first try does not make A an entry product again
    ("N", "7", "2025-01-01", "A", 1000, 1, "キャンセル"),
]


def test_entry_products_by_hand(tmp_path):
    table = tiny_shop(tmp_path, ROWS).analysis.entry_products("2025-06-30")
    assert list(table.columns) == ENTRY_COLUMNS
    rows = {r["product_code"]: r for r in table.to_dict("records")}
    assert table["product_code"].tolist() == ["A", "B", "C"]
    assert rows["A"]["product_name"] == "商品A"
    assert (rows["A"]["customers"], rows["A"]["f2_base"]) == (2, 2)
    assert rows["A"]["f2_conversion"] == pytest.approx(0.5)
    assert rows["A"]["average_purchase_count"] == pytest.approx(1.5)
    assert rows["A"]["average_total_amount"] == pytest.approx(2250)
    assert (rows["B"]["customers"], rows["B"]["f2_base"]) == (2, 1)
    assert rows["B"]["f2_conversion"] == pytest.approx(1.0)
    assert rows["B"]["average_purchase_count"] == pytest.approx(2)
    assert rows["B"]["average_total_amount"] == pytest.approx(1900)
    assert (rows["C"]["customers"], rows["C"]["f2_base"]) == (1, 1)
    assert rows["C"]["f2_conversion"] == 0
    assert rows["C"]["average_total_amount"] == pytest.approx(1600)


def test_no_f2_verdict_when_nobody_waited_90_days(tmp_path):
    table = tiny_shop(tmp_path, ROWS).analysis.entry_products("2025-03-01")
    a = table.set_index("product_code").loc["A"]
    # As of 2025-03-01 A's customers are J and K; J's first order was only 50 days before.
    assert (a["customers"], a["f2_base"]) == (2, 0)
    assert math.isnan(a["f2_conversion"])
    assert a["average_purchase_count"] == pytest.approx(1.5)
    assert table["product_code"].tolist() == ["A", "B", "C"]


def test_lines_without_a_code_are_grouped_by_name(tmp_path):
    shop = tiny_shop(tmp_path, [("P", "1", "2025-01-01", "", 100, 1),
                                ("Q", "2", "2025-01-02", "", 100, 1)])
    table = shop.analysis.entry_products("2025-06-30")
    assert table[["product_code", "product_name", "customers"]].values.tolist() == [["", "商品", 2]]


def test_empty_shop():
    table = Shop(":memory:").analysis.entry_products("2025-06-30")
    assert table.empty and list(table.columns) == ENTRY_COLUMNS
