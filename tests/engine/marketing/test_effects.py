"""Did it work? Buying rates of treated and held-out customers, Newcombe's interval
for their difference, the verdict, and an interval that covers the truth."""
from __future__ import annotations

import numpy as np
import pytest

from engine.marketing.effects import COLUMNS, more_needed, newcombe, wilson
from tests.support.analysis_shop import build
from tests.support.plans import EVERYONE as RULES, buy



@pytest.mark.parametrize("counts, expected", [
    # Newcombe (1998), Statistics in Medicine 17:873–890, table II, method 10.
    ((56, 70, 48, 80), (0.2000, 0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.6000, 0.1705, 0.8090)),
    ((6, 7, 2, 7), (0.5714, 0.0582, 0.8062)),
    ((5, 56, 0, 29), (0.0893, -0.0381, 0.1926)),
])
def test_newcombe_matches_the_published_examples(counts, expected):
    assert newcombe(*counts) == pytest.approx(expected, abs=5e-5)


def test_wilson_by_hand():
    # p = 0.2, n = 10: centre (0.2 + 1.92/10)/(1.384) and half-width by hand.
    low, high = wilson(2, 10)
    assert (round(low, 4), round(high, 4)) == (0.0567, 0.5098)


def test_more_needed_by_hand():
    # 30 % vs 20 %, 1:1 — (1.96 + 0.8416)² · (0.21 + 0.16) / 0.01 = 290.4 per group,
    # 581 in all, of whom 200 are there.
    assert more_needed(0.3, 0.2, 100, 100) == 581 - 200
    assert more_needed(0.2, 0.2, 100, 100) is None


def plan_shop(people: int, share: float):
    shop = build({cid: [("2025-01-10", 1000)] for cid in range(1, people + 1)},
                 email_consent=True)
    shop.followups.save_rules(RULES)
    shop.followups.generate("2025-03", "2025-03-01", holdout_share=share)
    return shop


def test_a_hand_worked_month():
    shop = plan_shop(21, 0.25)      # 21 customers, TOP1% never held out
    away = sorted(shop.followups.holdouts("2025-03")["customer_id"])
    treated = sorted(set(range(1, 22)) - set(away))
    assert len(away) == 5 and len(treated) == 16
    buy(shop, treated[:8])                            # 8 of 16 buy in March
    buy(shop, treated[:2], day="2025-04-10")          # two of them again, in the window
    buy(shop, treated[8:9], day="2025-05-05")         # day 65: outside 60 days
    buy(shop, away[:1], amount=2000)                  # 1 of 5 held out buys
    shop.followups.check_off_many(
        shop.followups.tasks("2025-03").query("medium == 'dm'")["task_id"].head(4),
        done_on="2025-03-11")
    report = shop.effects.report("2025-03", window=60, as_of="2025-06-01").set_index("group")
    row = report.loc["all"]
    assert row[["treated", "treated_buyers", "control", "control_buyers"]].tolist() == [
        16, 8, 5, 1]
    assert (row["treated_rate"], row["control_rate"]) == (0.5, 0.2)
    assert (row["lift"], row["lift_low"], row["lift_high"]) == pytest.approx(
        newcombe(8, 16, 1, 5))
    assert row["sales_per_treated"] == (10 * 3000) / 16 and row["sales_per_control"] == 400
    # 10 orders for 16 against 1 for 5: (0.625 − 0.2) · 16 = 6.8 extra orders, four DMs
    # at 100 yen each.
    assert row["extra_orders"] == pytest.approx(6.8) and row["cost"] == 400
    assert row["cost_per_extra_order"] == pytest.approx(400 / 6.8)
    assert row["verdict"].startswith("まだ判断できません（同じ差が続けば、あと約")
    assert list(report.columns[:len(COLUMNS) - 1]) == COLUMNS[1:]
    assert {"rule:全顧客・30〜日", "medium:email", "medium:dm", "medium:insert"} <= set(report.index)
    # The window not over yet: the verdict says so.
    early = shop.effects.report("2025-03", window=60, as_of="2025-03-31").set_index("group")
    assert early.loc["all", "verdict"].endswith("・集計期間の途中）")
    assert early.loc["all", "treated_buyers"] == 8


def test_the_verdict_turns_as_data_grows():
    shop = plan_shop(400, 0.25)
    away = shop.followups.holdouts("2025-03")["customer_id"].tolist()
    treated = sorted(set(range(1, 401)) - set(away))
    buy(shop, treated[: len(treated) * 30 // 100])      # 30 % of treated
    buy(shop, away[: len(away) * 10 // 100])            # 10 % of held out
    row = shop.effects.report("2025-03", as_of="2025-06-01").set_index("group").loc["all"]
    assert row["lift_low"] > 0 and row["verdict"] == "効果あり"


def test_the_interval_covers_the_true_difference():
    """A shop where the plan lifts the buying rate from 20 % to 32 %: over 200 seeded
    months the reported 95 % interval covers the true 12 points at least 90 % of the
    time (Newcombe's reaches about 95 %)."""
    shop = plan_shop(300, 0.3)
    groups = shop.db.frame("SELECT customer_id, held_out FROM followup_targets")
    rate = np.where(groups["held_out"] == 1, 0.20, 0.32)
    covered = 0
    for seed in range(200):
        shop.db.execute("DELETE FROM orders WHERE order_no LIKE 'E%'")
        bought = np.random.default_rng(seed).random(len(groups)) < rate
        buy(shop, groups.loc[bought, "customer_id"])
        row = shop.effects.report("2025-03", as_of="2025-06-01").iloc[0]
        covered += row["lift_low"] <= 0.12 <= row["lift_high"]
    print(f"coverage {covered / 200:.1%}")
    assert covered >= 180, covered


def test_insert_ab_splits_customers_and_compares_their_next_orders(tmp_path):
    from tests.support.tiny_shop import order_file, tiny_shop
    members = [f"M{n:03d}" for n in range(200)]
    shop = tiny_shop(tmp_path, [(m, f"H{m}", "2025-01-10", "S1", 1000, 1) for m in members])
    shop.count_program.save_rules([
        {"purchase_number": 2, "insert_name": "お礼状A", "insert_b": "お礼状B（クーポン付き）"}])
    second = order_file(tmp_path, "new.csv",
                        [(m, f"N{m}", "2025-03-01", "S1", 1000, 1) for m in members])
    plan = shop.count_program.plan([second])
    variants = plan["count_insert"].value_counts()
    # Every second parcel gets A or B, half and half give or take chance.
    assert set(variants.index) == {"お礼状A", "お礼状B（クーポン付き）"}
    assert 70 < variants["お礼状A"] < 130
    again = shop.count_program.plan([second])
    assert again["count_insert"].tolist() == plan["count_insert"].tolist()   # reproducible
    shop.printing.record_inserts(plan, on="2025-03-02")
    got_b = plan.loc[plan["count_insert"] == "お礼状B（クーポン付き）", "customer_id"].tolist()
    got_a = plan.loc[plan["count_insert"] == "お礼状A", "customer_id"].tolist()
    buy(shop, got_b[: len(got_b) // 2], day="2025-04-01")     # half of B reorder
    buy(shop, got_a[: len(got_a) // 5], day="2025-04-01")     # a fifth of A
    buy(shop, got_a[len(got_a) // 5:][:5], day="2025-07-01")  # after 90 days: not counted
    row = shop.effects.insert_ab(window=90, as_of="2025-08-01").iloc[0]
    assert (row["customers_a"], row["buyers_a"]) == (len(got_a), len(got_a) // 5)
    assert (row["customers_b"], row["buyers_b"]) == (len(got_b), len(got_b) // 2)
    assert (row["diff"], row["diff_low"], row["diff_high"]) == pytest.approx(
        newcombe(len(got_b) // 2, len(got_b), len(got_a) // 5, len(got_a)))
    assert row["verdict"] == "Bのほうが効果あり"


def test_the_unfinished_note_is_added_and_taken_off_whole():
    from engine.marketing.effects import mark_unfinished, unmarked
    for verdict in ("効果あり", "まだ判断できません（差が見られません）"):
        assert unmarked(mark_unfinished(verdict)) == verdict
    assert mark_unfinished("効果あり") == "効果あり（集計期間の途中）"
