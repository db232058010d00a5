"""今日の仕事: the due tasks of the running plans with what each needs, filtered,
flagged when late, and checked off in bulk as one undoable step."""
from __future__ import annotations

import pytest

from engine.errors import InvalidInputError
from engine.marketing.worklist import summary, summary_text
from tests.support.analysis_shop import add_order, build

RULES = [
    {"target": "all", "min_days": 30, "max_days": None, "medium": "email",
     "action": "お礼メール", "offset_days": 0},
    {"target": "all", "min_days": 30, "max_days": None, "medium": "dm",
     "action": "DMハガキ", "offset_days": 0},
    {"target": "all", "min_days": 30, "max_days": None, "medium": "phone",
     "action": "お電話", "offset_days": 10},
]
PEOPLE = {
    1: {"name": "佐藤 花子", "email": "hanako@example.jp", "phone": "09011112222"},
    2: {"name": "鈴木 一郎", "email": "ichiro@example.jp", "phone": "0312345678"},
    3: {"name": "高橋 次郎", "email": "jiro@example.jp", "dm_manual": 0},
}


@pytest.fixture
def shop():
    shop = build({cid: [("2025-01-10", 3000)] for cid in PEOPLE}, PEOPLE)
    shop.db.execute("UPDATE customers SET postal_code = '4200001', address1 = '静岡県静岡市葵区"
                    "1-2-3', address2 = 'シャルム 113' WHERE id = 1")
    shop.consent.set(1, email="yes", on="2025-01-10")
    shop.consent.set(3, email="yes", on="2025-01-10")     # 2: e-mail consent unknown
    shop.followups.save_rules(RULES)
    shop.followups.generate("2025-03", "2025-03-01")
    add_order(shop, 2, "2025-03-03", 2000)                # 2 ordered again: order T4
    return shop


def rows(frame) -> list[tuple]:
    return list(frame[["medium", "customer_id", "step", "due_date", "overdue_days",
                       "contact"]].itertuples(index=False, name=None))


def test_due_tasks_by_medium_with_what_each_needs(shop):
    work = shop.followups.worklist("2025-03-12")
    assert rows(work) == [
        ("phone", 1, 3, "2025-03-11", 1, "090-1111-2222"),
        ("phone", 2, 3, "2025-03-11", 1, "03-1234-5678"),
        ("dm", 1, 2, "2025-03-01", 11, "〒420-0001 静岡県静岡市葵区1-2-3 シャルム 113"),
        ("dm", 2, 2, "2025-03-01", 11, "住所なし"),
        # 3 may not get DMs and has no phone: e-mail and an insert instead.
        ("email", 1, 1, "2025-03-01", 11, "hanako@example.jp"),
        ("email", 3, 1, "2025-03-01", 11, "jiro@example.jp"),
        ("email", 3, 3, "2025-03-11", 1, "jiro@example.jp"),
        # 2's e-mail consent is unknown: an insert, riding in the order since placed.
        ("insert", 2, 1, "2025-03-01", 11, "注文 T4 に同梱"),
        ("insert", 3, 2, "2025-03-01", 11, "次のご注文の荷物に同梱"),
    ]
    assert work.set_index(["customer_id", "step"]).loc[(2, 1), "action"] == \
        "お礼メール（メール不可のため同梱物で代替）"
    counts = summary(work)
    assert (counts["total"], counts["overdue"], counts["phone"], counts["email_sendable"]) \
        == (9, 9, 2, 3)
    assert summary_text(counts) == ("今日の仕事 9件（電話 2件・DM 2件・メール 3件・同梱物 2件）"
                                    "　うち期日超過 9件")


def test_filters_and_what_is_not_due_yet(shop):
    assert rows(shop.followups.worklist("2025-03-01", media=["phone"])) == []
    early = shop.followups.worklist("2025-03-01")
    assert len(early) == 6 and set(early["overdue_days"]) == {0}
    assert set(shop.followups.worklist("2025-03-12", media=["email", "insert"])["medium"]) \
        == {"email", "insert"}
    by_rule = shop.followups.worklist("2025-03-12", rule="お礼メール")
    # The rule's own tasks and those substituted for it.
    assert sorted(zip(by_rule["customer_id"], by_rule["medium"])) == [
        (1, "email"), (2, "insert"), (3, "email")]
    assert set(shop.followups.worklist("2025-03-12", clusters=["top1"])["customer_id"]) == {1}
    # Plans older than three months are over: their tasks are not carried forward.
    assert shop.followups.worklist("2025-06-01").empty


def test_bulk_check_off_is_one_undoable_step(shop):
    work = shop.followups.worklist("2025-03-12").set_index(["customer_id", "step"])
    calls = [int(work.loc[(1, 3), "task_id"]), int(work.loc[(2, 3), "task_id"])]
    change = shop.followups.check_off_many(calls, done_on="2025-03-12", result="留守電")
    assert change.counts == {"done": 2, "already_done": 0, "no_dm": 0}
    assert shop.followups.worklist("2025-03-12", media=["phone"]).empty
    touches = shop.touches.for_customer(2)
    assert touches[["date", "medium", "action", "result"]].values.tolist() == [
        ["2025-03-12", "phone", "お電話", "留守電"]]
    again = shop.followups.check_off_many(calls + [int(work.loc[(1, 2), "task_id"])])
    assert again.counts == {"done": 1, "already_done": 2, "no_dm": 0}
    # A DM cannot be recorded for a customer who may not get one.
    refused = shop.followups.check_off_many([int(work.loc[(3, 1), "task_id"])], medium="dm")
    assert refused.counts == {"done": 0, "already_done": 0, "no_dm": 1}
    assert refused.operation is None
    shop.journal.undo(again.operation)
    shop.journal.undo(change.operation)
    assert len(shop.followups.worklist("2025-03-12", media=["phone", "dm"])) == 4
    assert shop.touches.for_customer(2).empty


def test_bulk_check_off_needs_tasks(shop):
    with pytest.raises(InvalidInputError, match="選んでください"):
        shop.followups.check_off_many([])
