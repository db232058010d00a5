"""Purchase cycles and next products learned from the orders, worked by hand."""
import pandas as pd
import pytest

from engine.analysis.repurchase import learned_cycles, purchases
from tests.support.analysis_shop import add_order, build

A, B, C, AB = [("A", 100)], [("B", 100)], [("C", 100)], [("A", 100), ("B", 100)]
ORDERS = {
    # visits → intervals credited (only-product visits followed by another visit)
    1: [("2025-01-01", 100, A), ("2025-01-31", 100, A), ("2025-03-02", 200, AB),
        ("2025-04-01", 100, C)],                                  # A 30, A 30
    2: [("2025-01-10", 100, A), ("2025-02-19", 100, B), ("2025-02-19", 100, A),
        ("2025-03-01", 100, A), ("2025-03-21", 100, A)],          # A 40, A 20 (02-19 is A+B)
    3: [("2025-02-01", 100, A)],                                  # never back
    4: [("2025-01-05", 100, A), ("2025-03-06", 100, B)],          # A 60 (cancelled 02-01 ignored)
    5: [("2025-01-01", 100, B), ("2025-01-11", 100, B)],          # B 10
    6: [("2025-05-01", 200, [("A", 100), ("", 100)]), ("2025-05-15", 100, A)],  # uncoded: mixed
    7: [("2025-01-01", 100, B), ("2025-01-12", 100, B)],          # B 11
    8: [("2025-04-10", 100, A)],
    9: [("2025-04-06", 100, A)],
    11: [("2025-04-20", 200, AB)],
}


@pytest.fixture
def shop():
    shop = build(ORDERS)
    add_order(shop, 4, "2025-02-01", 100, lines=C, status="cancelled")
    shop.products.set_cycle("B", 14)
    shop.db.execute("INSERT INTO products (code, name, cycle_days) VALUES ('Z', '定期便Z', 45)")
    return shop


def test_suggested_cycles_by_hand(shop):
    table = shop.products.suggest_cycles("2025-12-31")
    assert table.columns.tolist() == ["product_code", "product_name", "suggested_cycle_days",
                                      "repurchases", "buyers", "reorder_share",
                                      "current_cycle_days"]
    rows = table.set_index("product_code")
    assert rows.index.tolist() == ["A", "B", "C", "Z"]
    # A: intervals 20, 30, 30, 40, 60 → median 30; 4 of its 8 buyers came back.
    assert rows.loc["A", ["suggested_cycle_days", "repurchases", "buyers"]].tolist() == [30, 5, 8]
    assert rows.at["A", "reorder_share"] == pytest.approx(0.5)
    assert pd.isna(rows.at["A", "current_cycle_days"])
    # B: two intervals (10, 11) are too few to suggest; 4 of 6 buyers came back.
    assert pd.isna(rows.at["B", "suggested_cycle_days"]) and rows.at["B", "repurchases"] == 2
    assert rows.at["B", "reorder_share"] == pytest.approx(4 / 6)
    assert rows.at["B", "current_cycle_days"] == 14
    assert rows.loc["C", ["repurchases", "buyers", "reorder_share"]].tolist() == [0, 1, 0]
    assert rows.loc["Z", ["product_name", "repurchases", "buyers", "current_cycle_days"]].tolist() \
        == ["定期便Z", 0, 0, 45]
    assert rows.at["A", "product_name"] == "商品A"


def test_median_rounds_half_up_with_a_lower_evidence_rule(shop):
    found = purchases(shop.db, None)
    table = learned_cycles(found, min_repurchases=2).set_index("product_code")
    assert table.at["B", "suggested_cycle_days"] == 11         # median of 10 and 11 = 10.5


def test_as_of_leaves_later_orders_out(shop):
    rows = shop.products.suggest_cycles("2025-01-31").set_index("product_code")
    # Only c1's 01-01 → 01-31 and c5's, c7's B intervals exist by then.
    assert rows.loc["A", ["repurchases", "buyers"]].tolist() == [1, 3]
    assert rows.at["B", "repurchases"] == 2


def test_cycle_status_by_hand(shop):
    status = shop.products.cycle_status("2025-04-30")
    found = {r.customer_id: (r.product_code, r.cycle_days, r.recency_days, r.status)
             for r in status.itertuples()}
    assert found == {
        2: ("A", 30, 40, "遅れ"),          # 40 / 30 = 1.33
        3: ("A", 30, 88, "休眠"),
        4: ("B", 14, 55, "休眠"),          # the shop's own cycle for B
        5: ("B", 14, 109, "休眠"),
        7: ("B", 14, 108, "休眠"),
        8: ("A", 30, 20, "予定どおり"),      # 0.67
        9: ("A", 30, 24, "そろそろ"),        # exactly 0.8
        11: ("A", 30, 10, "予定どおり"),     # A (30) outlasts B (14) in the last visit
    }   # 1: last visit C has no cycle; 6: no purchase by then
    assert status.set_index("customer_id").at[2, "last_purchase"] == "2025-03-21"


def test_status_boundaries_late_and_dormant(shop):
    # Customer 2 bought A (30 days) on 2025-03-21: 1.2× is 36 days, 2× is 60.
    states = {day: shop.products.cycle_status(day).set_index("customer_id").at[2, "status"]
              for day in ("2025-04-25", "2025-04-26", "2025-05-19", "2025-05-20")}
    assert states == {"2025-04-25": "そろそろ", "2025-04-26": "遅れ", "2025-05-19": "遅れ",
                      "2025-05-20": "休眠"}


def test_next_products_support_and_lift_by_hand(shop):
    table = shop.products.next_products(min_customers=1)
    assert table.columns.tolist() == ["product_code", "next_product_code", "customers",
                                      "support", "lift", "next_product_name"]
    assert table["next_product_name"].tolist()[:2] == ["商品B", "商品C"]
    rows = {(r.product_code, r.next_product_code): (r.customers, r.support, r.lift)
            for r in table.itertuples()}
    # Six customers have a next visit. A is followed by something for 4 (1, 2, 4, 6);
    # B is in a next visit of 5 (1, 2, 4, 5, 7), C of 1, A of 3 (1, 2, 6).
    assert rows.keys() == {("A", "B"), ("A", "C"), ("B", "C"), ("B", "A")}
    assert rows[("A", "B")] == (3, pytest.approx(3 / 6), pytest.approx((3 / 4) / (5 / 6)))
    assert rows[("A", "C")] == (1, pytest.approx(1 / 6), pytest.approx((1 / 4) / (1 / 6)))
    assert rows[("B", "C")] == (1, pytest.approx(1 / 6), pytest.approx((1 / 4) / (1 / 6)))
    assert rows[("B", "A")] == (1, pytest.approx(1 / 6), pytest.approx((1 / 4) / (3 / 6)))
    assert table["product_code"].tolist()[:2] == ["A", "A"]
    assert table["next_product_code"].tolist()[:2] == ["B", "C"]      # most customers first
    # The default minimum of 3 customers keeps only A → B.
    assert shop.products.next_products()[["product_code", "next_product_code"]].values.tolist() \
        == [["A", "B"]]


def test_bought_together_by_hand(shop):
    table = shop.products.bought_together(min_customers=1)
    assert table.columns.tolist() == ["product_code", "with_product_code", "customers",
                                      "support", "lift", "with_product_name"]
    rows = {(r.product_code, r.with_product_code): (r.customers, r.support, r.lift)
            for r in table.itertuples()}
    # A and B share an order for customers 1 and 11 (customer 2's were two orders);
    # 10 buyers, 8 of A, 6 of B.
    assert rows == {("A", "B"): (2, pytest.approx(0.2), pytest.approx((2 / 8) / (6 / 10))),
                    ("B", "A"): (2, pytest.approx(0.2), pytest.approx((2 / 6) / (8 / 10)))}


def test_adopting_suggestions_is_one_undoable_operation(shop):
    shop.products.set_cycle("A", 45)
    change = shop.products.adopt_suggested_cycles()
    assert change.counts == {"products": 1}           # only A has a suggestion
    table = shop.products.table().set_index("code")
    assert table.loc[["A", "B", "Z"], "cycle_days"].tolist() == [30, 14, 45]
    assert shop.products.adopt_suggested_cycles().operation is None     # nothing left to change
    shop.journal.undo(change.operation)
    assert shop.products.table().set_index("code").at["A", "cycle_days"] == 45


def test_adopting_chosen_codes_makes_products_of_sold_codes():
    shop = build({cid: [("2025-01-01", 100, A), ("2025-01-21", 100, A)] for cid in range(1, 6)})
    assert shop.products.table().empty
    assert shop.products.adopt_suggested_cycles(["B"]).counts == {"products": 0}
    change = shop.products.adopt_suggested_cycles([" A "])
    assert shop.products.table()[["code", "name", "cycle_days"]].values.tolist() \
        == [["A", "商品A", 20]]
    shop.journal.undo(change.operation)
    assert shop.products.table().empty


def test_deleted_customers_and_cancelled_orders_are_not_counted(shop):
    shop.db.execute("UPDATE customers SET deleted_at = '2025-06-01' WHERE id = 3")
    rows = shop.products.suggest_cycles("2025-12-31").set_index("product_code")
    assert rows.at["A", "buyers"] == 7 and rows.at["A", "reorder_share"] == pytest.approx(4 / 7)
    # Customer 4's cancelled C order would otherwise have cut their 60-day interval.
    assert rows.at["C", "buyers"] == 1


def test_a_shop_without_product_codes_learns_nothing_and_fails_nowhere():
    shop = build({1: [("2025-01-01", 100), ("2025-02-01", 100)]})   # lines without a code
    assert shop.products.suggest_cycles().empty
    assert shop.products.next_products(min_customers=1).empty
    assert shop.products.bought_together(min_customers=1).empty
    assert shop.products.cycle_status().empty
    assert shop.products.adopt_suggested_cycles().counts == {"products": 0}
