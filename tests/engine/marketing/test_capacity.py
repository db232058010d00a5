"""A plan sized to the shop's week: best customers keep their slot, the rest move
to a week with room while that is still before their next touch, what cannot move
is left out and listed with the reason."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from engine.errors import InvalidInputError
from engine.marketing.capacity import fit_capacity
from tests.support.analysis_shop import build


def task(customer, step, due, medium, priority):
    return {"customer_id": customer, "step": step, "due_date": due, "planned_medium": medium,
            "priority": priority}


def test_fit_capacity_hand_computed():
    tasks = pd.DataFrame(
        [task(c, 1, "2025-03-04", "dm", c) for c in (1, 2, 3, 4)]
        + [task(c, 2, "2025-04-20", "email", c) for c in (1, 2, 3, 4)]
        + [task(5, 1, "2025-03-05", "dm", 5), task(5, 2, "2025-03-09", "email", 5)]
        + [task(6, 1, "2025-03-04", "phone", 6)])
    # Another month's plan already has one DM in the week of 10 March.
    load = pd.DataFrame({"medium": ["dm"], "day": pd.to_datetime(["2025-03-12"])})
    kept, left = fit_capacity(tasks, {"dm": 2, "phone": None}, load, date(2025, 5, 31))
    due = kept.set_index(["customer_id", "step"])["due_date"]
    # Week of 3 March (Mon): 1 and 2 keep theirs; 3 and 4 move to Monday 10 March,
    # which has room for one (3, the better), and 4 goes on to 17 March.
    assert due.loc[[(1, 1), (2, 1), (3, 1), (4, 1)]].tolist() == [
        "2025-03-04", "2025-03-04", "2025-03-10", "2025-03-17"]
    # 5's next touch (9 March) comes before any later week: its DM is left out, its
    # e-mail stays.
    assert left[["customer_id", "step"]].values.tolist() == [[5, 1]]
    assert left["reason"].iloc[0] == "DMの対応可能件数（週2件）を超えるため"
    assert due.loc[(5, 2)] == "2025-03-09" and due.loc[(6, 1)] == "2025-03-04"
    assert len(kept) == len(tasks) - 1


def test_a_task_moved_then_left_out_is_listed_with_its_planned_day():
    tasks = pd.DataFrame([task(c, 1, "2025-03-04", "dm", c) for c in (4, 3, 2, 1)]
                         + [task(c, 2, "2025-03-20", "email", c) for c in (1, 2, 3, 4)])
    kept, left = fit_capacity(tasks, {"dm": 1}, pd.DataFrame(
        {"medium": [], "day": pd.to_datetime([])}), date(2025, 5, 31))
    # One DM a week: 1 keeps 4 March, 2 gets 10 March, 3 gets 17 March; 4 would need
    # 24 March, after its e-mail of 20 March.
    assert kept.loc[kept["step"] == 1, ["customer_id", "due_date"]].values.tolist() == [
        [1, "2025-03-04"], [2, "2025-03-10"], [3, "2025-03-17"]]
    assert left[["customer_id", "step", "due_date"]].values.tolist() == [[4, 1, "2025-03-04"]]
    assert kept.loc[kept["step"] == 2, "due_date"].tolist() == ["2025-03-20"] * 4


def test_nothing_moves_past_the_plan():
    tasks = pd.DataFrame([task(c, 3, "2025-05-28", "phone", c) for c in (1, 2)])
    kept, left = fit_capacity(tasks, {"phone": 1}, pd.DataFrame(
        {"medium": [], "day": pd.to_datetime([])}), date(2025, 5, 31))
    assert kept["customer_id"].tolist() == [1] and left["customer_id"].tolist() == [2]


RULES = [
    {"target": "all", "min_days": 30, "max_days": None, "medium": "dm",
     "action": "DMハガキ", "offset_days": 0},
    {"target": "all", "min_days": 30, "max_days": None, "medium": "email",
     "action": "お礼メール", "offset_days": 30},
    {"target": "all", "min_days": 30, "max_days": None, "medium": "dm",
     "action": "DM2", "offset_days": 31},
]


@pytest.fixture
def shop():
    # Customer 1 bought the most: the best; 4 the least. All R 50 on 2025-03-01.
    orders = {cid: [("2025-01-10", 10000 * (5 - cid))] for cid in (1, 2, 3, 4)}
    shop = build(orders, email_consent=True)
    shop.followups.save_rules(RULES)
    return shop


def test_a_plan_keeps_to_the_weekly_dms_best_customers_first(shop):
    shop.followups.set_capacity(dm=2)
    change = shop.followups.generate("2025-03", "2025-03-01")
    tasks = shop.followups.tasks("2025-03").set_index(["customer_id", "step"])
    # 1 March 2025 is a Saturday: its week (from Mon 24 Feb) takes the two best.
    assert tasks.loc[[(1, 1), (2, 1)], "due_date"].tolist() == ["2025-03-01"] * 2
    # 3 and 4 move to Monday 3 March (before their e-mail on 31 March).
    assert tasks.loc[[(3, 1), (4, 1)], "due_date"].tolist() == ["2025-03-03"] * 2
    # Step 3 (1 April, a Tuesday): two fit; 3 and 4 move to 7 April.
    assert tasks.xs(3, level="step")["due_date"].to_dict() == {
        1: "2025-04-01", 2: "2025-04-01", 3: "2025-04-07", 4: "2025-04-07"}
    assert change.counts["left_out"] == 0
    shop.followups.set_capacity(dm=1)
    change = shop.followups.generate("2025-03", "2025-03-01")
    left = shop.followups.left_out("2025-03")
    # One a week: 1 on 1 March, 2 on 3 March; 3 would be 10 March, 4 17 March, both
    # before their e-mails (31 March); in April 1, 2, 3, 4 one a week up to 28 April.
    assert change.counts["left_out"] == len(left) == 0
    shop.followups.set_capacity(dm=0)
    change = shop.followups.generate("2025-03", "2025-03-01")
    left = shop.followups.left_out("2025-03")
    assert change.counts["left_out"] == len(left) == 8
    assert set(left["reason"]) == {"DMの対応可能件数（週0件）を超えるため"}
    assert set(shop.followups.tasks("2025-03")["medium"]) == {"email"}


def test_capacity_settings_are_checked(shop):
    assert shop.followups.capacity() == {"phone": None, "dm": None}
    shop.followups.set_capacity(phone=15)
    assert shop.followups.capacity() == {"phone": 15, "dm": None}
    with pytest.raises(InvalidInputError, match="0以上の整数"):
        shop.followups.set_capacity(dm=-1)
    with pytest.raises(InvalidInputError, match="電話とDMです"):
        shop.followups.set_capacity(email=10)
