"""Learned cycles recover the true cycles of a simulated shop (tests/support/cycle_shop.py)."""
import pytest

from engine import Shop
from tests.support.cycle_shop import CYCLES, as_of, simulate


def learned(customers: int, seed: int):
    shop = Shop(":memory:")
    simulate(shop, customers, seed=seed)
    once = shop.db.scalar("SELECT avg(CASE WHEN n = 1 THEN 1.0 ELSE 0 END) FROM "
                          "(SELECT count(DISTINCT order_date) AS n FROM orders "
                          "GROUP BY customer_id) AS visits")
    table = shop.products.suggest_cycles(as_of()).set_index("product_code")
    return once, table


def test_large_shop_recovers_every_cycle_closely():
    once, table = learned(3000, seed=11)
    assert once >= 0.5                                  # most customers never came back
    for code, cycle in CYCLES.items():
        assert table.at[code, "repurchases"] >= 400
        assert table.at[code, "suggested_cycle_days"] == pytest.approx(cycle, rel=0.03)
        # 40 % reorder, plus companions bought once by those who came back anyway.
        assert 0.35 < table.at[code, "reorder_share"] < 0.55


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_small_shop_within_a_quarter_on_twenty_repurchases(seed):
    once, table = learned(150, seed=seed)
    assert once >= 0.5
    evidence = table.loc[list(CYCLES)]
    evidence = evidence.loc[evidence["repurchases"] >= 20]
    assert len(evidence) >= 3
    truth = evidence.index.map(CYCLES)
    error = (evidence["suggested_cycle_days"].astype(float) / truth - 1).abs()
    assert (error <= 0.25).all(), error
