"""比較用にお休み: a reproducible, stratified random share of each plan is set aside
and gets nothing from it: no task, no label, no insert, no e-mail."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.errors import InvalidInputError
from engine.marketing import holdout
from tests.support.analysis_shop import add_order, build
from tests.support.plans import EVERYONE as RULES



def test_the_split_is_reproducible_and_stratified():
    targets = pd.DataFrame({"customer_id": np.arange(1, 141),
                            "stratum": [0] * 100 + [1] * 40, "cluster": "once"})
    none = pd.DataFrame({"customer_id": [], "held_out": []})
    first = holdout.split(targets, 0.1, 12345, none)
    assert first.equals(holdout.split(targets, 0.1, 12345, none))
    # Exactly the share of each rule when it is whole: 10 of 100, 4 of 40.
    assert first.groupby(targets["stratum"]).sum().tolist() == [10, 4]
    other = holdout.split(targets, 0.1, 54321, none)
    assert not first.equals(other) and other.sum() == 14
    # Across seeds every customer is equally likely to be set aside.
    share = np.mean([holdout.split(targets, 0.1, seed, none).to_numpy()
                     for seed in range(300)], axis=0)
    assert abs(share.mean() - 0.1) < 0.002 and share.min() > 0.03 and share.max() < 0.19


def test_small_rules_hold_out_their_share_on_average():
    targets = pd.DataFrame({"customer_id": np.arange(1, 4), "stratum": 0, "cluster": "once"})
    none = pd.DataFrame({"customer_id": [], "held_out": []})
    held = [holdout.split(targets, 0.1, seed, none).sum() for seed in range(2000)]
    assert set(held) == {0, 1} and abs(np.mean(held) - 0.3) < 0.03


def test_top1_is_not_held_out_unless_asked():
    targets = pd.DataFrame({"customer_id": np.arange(1, 11), "stratum": 0, "cluster": "top1"})
    none = pd.DataFrame({"customer_id": [], "held_out": []})
    assert holdout.split(targets, 0.5, 1, none).sum() == 0
    assert holdout.split(targets, 0.5, 1, none, include_top1=True).sum() == 5


@pytest.mark.parametrize("share", [-0.1, 0.6, "abc"])
def test_a_share_outside_0_to_half_is_refused(share):
    with pytest.raises(InvalidInputError, match="比較用にお休み"):
        holdout.check_share(share)


@pytest.fixture
def shop():
    people = {cid: {"name": f"顧客{cid}"} for cid in range(1, 41)}
    shop = build({cid: [("2025-01-10", 1000 + cid)] for cid in people}, people,
                 email_consent=True)
    shop.db.execute("UPDATE customers SET postal_code = '4200001', address1 = '静岡市' || id")
    shop.followups.save_rules(RULES)
    return shop


def test_held_out_customers_get_nothing_from_the_plan(shop):
    change = shop.followups.generate("2025-03", "2025-03-01", holdout_share=0.25)
    away = set(shop.followups.holdouts("2025-03")["customer_id"])
    # One rule; 40 customers of whom the TOP1% customer cannot be drawn: ⌊0.25·39 + r⌋.
    assert change.counts["held_out"] == len(away) in (9, 10)
    tasks = shop.followups.tasks("2025-03")
    assert away.isdisjoint(tasks["customer_id"]) and tasks["customer_id"].nunique() == 40 - len(away)
    assert away.isdisjoint(shop.followups.worklist("2025-06-01")["customer_id"])
    # DM labels: a running plan's held-out customers are left out whatever the selection.
    labels = shop.printing.targets(clusters=["once", "top1", "top10", "top20"],
                                   as_of="2025-03-15")
    assert away.isdisjoint(labels.customer_ids)
    assert set(labels.skipped.loc[labels.skipped["reason"] == "比較用にお休み（効果測定中）",
                                  "customer_id"]) == away
    # E-mail: nothing due for them.
    due, skipped = shop.mail.due("2025-03", "2025-06-01")
    assert away.isdisjoint(due["customer_id"]) and away.isdisjoint(
        {r["customer_id"] for r in skipped})
    some = min(away)
    assert shop.followups.held_out_months(some) == ["2025-03"]


def test_regeneration_keeps_the_split(shop):
    shop.followups.generate("2025-03", "2025-03-01", holdout_share=0.25)
    before = shop.followups.holdouts("2025-03")
    # Ten more customers become targets; the share given now is ignored (the plan
    # keeps its own), the new ones are drawn among themselves.
    for cid in range(41, 51):
        shop.db.execute("INSERT INTO customers (id, name, created_at) VALUES (?, ?, '2020')",
                        (cid, f"顧客{cid}"))
        add_order(shop, cid, "2025-01-20", 500)
    shop.followups.generate("2025-03", "2025-03-01", holdout_share=0.0)
    after = shop.followups.holdouts("2025-03")
    assert set(before["customer_id"]) <= set(after["customer_id"])
    new = set(after["customer_id"]) - set(before["customer_id"])
    assert new <= set(range(41, 51)) and len(new) in (2, 3)
    # Undo brings the first split back exactly.
    last = shop.db.scalar("SELECT max(id) FROM operations")
    shop.journal.undo(last)
    assert shop.followups.holdouts("2025-03").equals(before)


def test_the_share_setting_applies_to_new_plans(shop):
    assert shop.followups.holdout_settings() == {"share": 0.0, "top1": False}
    shop.followups.set_holdout(share=0.5, top1=True)
    change = shop.followups.generate("2025-03", "2025-03-01")
    assert change.counts["held_out"] == 20
