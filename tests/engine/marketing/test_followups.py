"""Follow-up plans: 3-3-2 on every customer, DM exclusion, regeneration, check-off."""
import json
from datetime import date, timedelta
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from engine import OtokuiError, Shop
from engine.analysis.rfm import CLUSTERS, customer_metrics
from engine.customers.consent import email_block_sql, reachable_sql
from engine.customers.touches import MEDIUM_LABELS
from engine.marketing.followup_rules import adapt_media, default_rules, plans_of
from engine.marketing.followups import UNREACHABLE
from tests.support.analysis_shop import build
from tests.support.snapshot import meta, sample_files

MONTH, AS_OF = "2025-03", "2025-03-01"
PLAN_A = [  # once-buyers 30–60 days
    {"target": "once", "min_days": 30, "max_days": 60, "medium": "email", "action": "お礼メール",
     "offset_days": 0},
    {"target": "once", "min_days": 30, "max_days": 60, "medium": "insert", "action": "同梱チラシ",
     "offset_days": 14},
    {"target": "once", "min_days": 30, "max_days": 60, "medium": "dm", "action": "DMハガキ",
     "offset_days": 35},
]
PLAN_B = [  # twice/thrice 60+ days, two DMs
    {"target": "twice_thrice", "min_days": 60, "max_days": None, "medium": "dm",
     "action": "DM1", "offset_days": 0},
    {"target": "twice_thrice", "min_days": 60, "max_days": None, "medium": "dm",
     "action": "DM2", "offset_days": 20},
    {"target": "twice_thrice", "min_days": 60, "max_days": None, "medium": "email",
     "action": "メール", "offset_days": 50},
]
# Recency as of 2025-03-01 in the comments.
ORDERS = {
    1: [("2025-01-30", 1000)],                          # once, R 30 → A
    2: [("2024-12-31", 1000)],                          # once, R 60 → A
    3: [("2024-12-30", 1000)],                          # once, R 61 → none
    4: [("2025-01-31", 1000)],                          # once, R 29 → none
    5: [("2024-10-01", 900), ("2024-12-31", 900)],      # twice, R 60 → B
    6: [("2024-10-01", 900), ("2024-11-21", 900)],      # twice, R 100, no DM → B, DM → insert
    7: [("2025-01-15", 1000)],                          # once, R 45, no DM → A, DM → phone
    8: [("2025-01-20", 1000)],                          # once, R 40, opted out → none
    9: [("2025-01-20", 1000)],                          # once, R 40, deleted → none
    10: [("2025-01-10", 1000), ("2025-03-02", 5000)],   # once by the as-of date, R 50 → A
    11: [("2025-02-25", 1000)],                         # once, R 4 → none (A in April)
    97: [("2025-02-24", 40000)],                        # top20 (N = 12: sizes 1, 2, 3)
    98: [("2025-02-20", 60000)],                        # top10
    99: [("2025-01-01", 50000), ("2025-02-27", 50000)],  # top1
}
OPTIONS = {6: {"dm_manual": 0}, 7: {"dm_manual": 0, "phone": "090-7777-0007"}, 8: {"opt_out": 1},
           99: {"name": "上得 意子", "phone": "090-1111-2222", "email": "tokui@example.jp"}}
EXPECTED = {  # customer → (cluster, [(due, medium)] × 3)
    1: ("once", [("2025-03-01", "email"), ("2025-03-15", "insert"), ("2025-04-05", "dm")]),
    2: ("once", [("2025-03-01", "email"), ("2025-03-15", "insert"), ("2025-04-05", "dm")]),
    7: ("once", [("2025-03-01", "email"), ("2025-03-15", "insert"), ("2025-04-05", "phone")]),
    10: ("once", [("2025-03-01", "email"), ("2025-03-15", "insert"), ("2025-04-05", "dm")]),
    5: ("twice_thrice", [("2025-03-01", "dm"), ("2025-03-21", "dm"), ("2025-04-20", "email")]),
    6: ("twice_thrice",
        [("2025-03-01", "insert"), ("2025-03-21", "insert"), ("2025-04-20", "email")]),
}


@pytest.fixture
def shop():
    shop = build(ORDERS, OPTIONS, email_consent=True)
    shop.db.execute("UPDATE customers SET deleted_at = '2025-02-01' WHERE id = 9")
    shop.followups.save_rules(PLAN_A + PLAN_B)
    return shop


def assert_332(tasks: pd.DataFrame, month_start: str, dm_ineligible: set) -> None:
    """Every customer: exactly 3 tasks, due within 3 months from the month, ≥ 2 media."""
    end = (pd.Timestamp(month_start) + pd.DateOffset(months=3)).strftime("%Y-%m-%d")
    for customer, group in tasks.groupby("customer_id"):
        assert len(group) == 3, customer
        assert sorted(group["step"]) == [1, 2, 3]
        assert group["due_date"].between(month_start, end, inclusive="left").all(), customer
        assert group["medium"].nunique() >= 2, customer
        if customer in dm_ineligible:
            assert "dm" not in set(group["medium"]), customer


def plan_of(tasks):
    return {cid: (g["cluster"].iloc[0], list(zip(g["due_date"], g["medium"])))
            for cid, g in tasks.sort_values("step").groupby("customer_id")}


def test_generate_hand_computed_month(shop):
    counts = shop.followups.generate(MONTH, AS_OF).counts
    assert (counts["created"], counts["kept"], counts["removed"]) == (18, 0, 0)
    tasks = shop.followups.tasks(MONTH)
    assert tasks.columns.tolist()[:10] == ["task_id", "customer_id", "cluster", "due_date",
                                           "medium", "action", "status", "done_on", "name",
                                           "result"]
    assert plan_of(tasks) == EXPECTED
    assert_332(tasks, "2025-03-01", {6, 7})
    assert set(tasks["status"]) == {"open"} and tasks["done_on"].isna().all()
    substituted = tasks.loc[tasks["customer_id"] == 7, "action"].tolist()
    assert substituted[2] == "DMハガキ（DM不可のため電話で代替）"
    assert tasks["due_date"].is_monotonic_increasing


def test_default_as_of_is_the_first_day_of_a_past_month(shop):
    shop.followups.generate(MONTH)
    assert plan_of(shop.followups.tasks(MONTH)) == EXPECTED


def test_late_target_follows_each_customers_rhythm():
    every = {  # as of 2025-03-01
        20: ["2024-11-01", "2024-12-01", "2024-12-31", "2025-01-30"],  # every 30 d, R 30
        21: ["2024-10-01", "2024-10-11", "2024-10-21", "2024-10-31"],  # every 10 d, R 121
        22: ["2024-12-01", "2024-12-21", "2025-01-10", "2025-01-30"],  # every 20 d, R 30 = 1.5×
        23: ["2024-12-01", "2024-12-21", "2025-01-10", "2025-01-29"],  # tenure 59, R 31 > 29.5
    }
    shop = build({**{c: [(d, 1000) for d in days] for c, days in every.items()},
                  99: [("2025-01-01", 100000)]}, email_consent=True)
    plan = [{"target": "repeat4plus_late", "min_days": 0, "max_days": None, "medium": m,
             "action": m, "offset_days": o} for m, o in (("email", 0), ("dm", 10), ("email", 40))]
    shop.followups.save_rules(plan)
    shop.followups.generate(MONTH, AS_OF)
    tasks = shop.followups.tasks(MONTH)
    assert sorted(tasks["customer_id"].unique()) == [21, 23]
    assert_332(tasks, "2025-03-01", set())


def test_customers_in_a_running_plan_wait(shop):
    shop.followups.generate(MONTH, AS_OF)
    shop.followups.generate("2025-04", "2025-04-01")
    april = shop.followups.tasks("2025-04")
    # c4 (R 60) and c11 (R 35) start plan A; c5/c6 still match B but are mid-plan.
    assert sorted(april["customer_id"].unique()) == [4, 11]
    assert_332(april, "2025-04-01", {6, 7})
    assert april.loc[april["customer_id"] == 4, "due_date"].tolist() == [
        "2025-04-01", "2025-04-15", "2025-05-06"]


def test_regeneration_keeps_check_offs_and_never_duplicates(shop):
    shop.followups.generate(MONTH, AS_OF)
    tasks = shop.followups.tasks(MONTH).set_index(["customer_id", "step"])
    first = int(tasks.loc[(1, 1), "task_id"])
    second = int(tasks.loc[(5, 2), "task_id"])
    shop.followups.check_off(first, "2025-03-03", "phone", "不在、折り返し依頼")
    shop.followups.check_off(second, "2025-03-22")
    counts = shop.followups.generate(MONTH, AS_OF).counts
    assert (counts["created"], counts["kept"], counts["removed"]) == (0, 18, 0)
    again = shop.followups.tasks(MONTH)
    assert len(again) == 18 and not again.duplicated(["customer_id", "step"]).any()
    done = again.loc[again["status"] == "done"].set_index("task_id")
    assert done.loc[first, ["done_on", "medium", "result"]].tolist() == [
        "2025-03-03", "phone", "不在、折り返し依頼"]
    assert done.loc[second, ["done_on", "medium"]].tolist() == ["2025-03-22", "dm"]

    # c1 buys again (R 0): its open steps go, the checked-off step stays.
    shop.db.execute("INSERT INTO orders (source, order_no, ordered_at, order_date, status,"
                    " customer_id, amount, digest) VALUES ('generic', 'N1', '2025-03-01',"
                    " '2025-03-01', 'valid', 1, 1000, '')")
    # and plan A's last touch changes: 4 open tasks are replaced.
    shop.followups.save_rules(PLAN_A[:2] + [{**PLAN_A[2], "action": "DM封書"}] + PLAN_B)
    counts = shop.followups.generate(MONTH, AS_OF).counts
    assert (counts["created"], counts["removed"]) == (3, 2 + 3)
    final = shop.followups.tasks(MONTH)
    assert final.loc[final["customer_id"] == 1, "task_id"].tolist() == [first]
    assert final.set_index("task_id").loc[second, "status"] == "done"
    assert (final.loc[final["customer_id"].isin([2, 10]) & (final["step"] == 3), "action"]
            == "DM封書").all()
    assert_332(final.loc[final["customer_id"] != 1], "2025-03-01", {6, 7})


def test_check_off_logs_a_touch_and_reopen_removes_it(shop):
    shop.followups.generate(MONTH, AS_OF)
    task = shop.followups.tasks(MONTH).query("customer_id == 2 and step == 2").iloc[0]
    shop.staff = "山田"
    shop.followups.check_off(int(task.task_id), "2025-03-16", result="同梱済み")
    history = shop.touches.for_customer(2)
    assert history.to_dict("records") == [{"date": "2025-03-16", "medium": "insert",
                                           "action": "同梱チラシ", "result": "同梱済み",
                                           "source": "followup", "staff": "山田"}]
    with pytest.raises(OtokuiError, match="山田さんが.*完了にしています"):
        shop.followups.check_off(int(task.task_id), "2025-03-17")
    shop.followups.reopen(int(task.task_id))
    row = shop.followups.tasks(MONTH).set_index("task_id").loc[int(task.task_id)]
    assert (row.status, row.done_on, row.result, row.medium) == ("open", None, "", "insert")
    assert shop.touches.for_customer(2).empty
    with pytest.raises(OtokuiError, match="まだ完了"):
        shop.followups.reopen(int(task.task_id))


def test_check_off_and_reopen_are_undoable(shop):
    shop.followups.generate(MONTH, AS_OF)
    task_id = int(shop.followups.tasks(MONTH).iloc[0].task_id)
    op = shop.followups.check_off(task_id, "2025-03-02", "email").operation
    shop.journal.undo(op)
    row = shop.followups.tasks(MONTH).set_index("task_id").loc[task_id]
    assert (row.status, row.done_on) == ("open", None)
    assert shop.db.scalar("SELECT count(*) FROM touches") == 0
    shop.followups.check_off(task_id, "2025-03-02", "email")
    op = shop.followups.reopen(task_id).operation
    shop.journal.undo(op)
    assert shop.followups.tasks(MONTH).set_index("task_id").loc[task_id, "status"] == "done"
    assert shop.db.scalar("SELECT count(*) FROM touches") == 1


def test_no_dm_check_off_for_dm_ineligible(shop):
    shop.followups.generate(MONTH, AS_OF)
    task_id = int(shop.followups.tasks(MONTH).query("customer_id == 7").iloc[0].task_id)
    with pytest.raises(OtokuiError, match="DM不可"):
        shop.followups.check_off(task_id, "2025-03-02", "dm")
    with pytest.raises(OtokuiError, match="実施日"):
        shop.followups.check_off(task_id, "3月2日")
    with pytest.raises(OtokuiError, match="手段"):
        shop.followups.check_off(task_id, "2025-03-02", "fax")
    assert shop.db.scalar("SELECT count(*) FROM touches") == 0


def test_top1_list(shop):
    top = shop.followups.top1_list(AS_OF)
    assert top.to_dict("records") == [{
        "customer_id": 99, "name": "上得 意子", "kana": "", "phone": "090-1111-2222",
        "email": "tokui@example.jp", "purchase_count": 2, "total_amount": 100000,
        "last_purchase": "2025-02-27", "recency_days": 2}]


@pytest.mark.parametrize("rules, message", [
    (PLAN_A[:2], "2件"),
    ([{**r, "medium": "email"} for r in PLAN_A], "1種類"),
    ([*PLAN_A[:2], {**PLAN_A[2], "offset_days": 89}], "88日"),
    ([{**PLAN_A[0], "target": "vip"}, *PLAN_A[1:]], "対象"),
    ([{**PLAN_A[0], "max_days": 10}, *PLAN_A[1:]], "上限"),
    ([{**PLAN_A[0], "min_days": "abc"}, *PLAN_A[1:]], "整数"),
    ([{**PLAN_A[0], "action": " "}, *PLAN_A[1:]], "施策"),
])
def test_bad_rules_are_refused_and_not_saved(shop, rules, message):
    before = shop.followups.rules()
    with pytest.raises(OtokuiError, match=message):
        shop.followups.save_rules(rules)
    assert shop.followups.rules() == before


def test_rules_start_as_the_defaults_and_edits_are_undoable():
    shop = Shop(":memory:")
    keys = ["target", "min_days", "max_days", "medium", "action", "offset_days"]
    stored = [{k: r[k] for k in keys} for r in shop.followups.rules()]
    assert stored == default_rules() and len(stored) % 3 == 0
    op = shop.followups.save_rules(PLAN_A).operation
    assert [r["action"] for r in shop.followups.rules()] == ["お礼メール", "同梱チラシ", "DMハガキ"]
    shop.journal.undo(op)
    assert [{k: r[k] for k in keys} for r in shop.followups.rules()] == default_rules()
    shop.followups.save_rules(PLAN_B)
    shop.followups.reset_rules()
    assert [{k: r[k] for k in keys} for r in shop.followups.rules()] == default_rules()
    shop.followups.save_rules([])
    assert shop.followups.rules() == []     # an emptied list is not refilled


def test_bad_month():
    with pytest.raises(OtokuiError, match="YYYY-MM"):
        Shop(":memory:").followups.generate("2025-13")


def test_cancel_leaves_nothing(shop):
    from engine.errors import CancelledError
    with pytest.raises(CancelledError):
        shop.followups.generate(MONTH, AS_OF, cancel=lambda: True)
    assert shop.followups.tasks(MONTH).empty and not shop.followups.generated(MONTH)


# --- the sample shop, against truth.csv -----------------------------------------


def truth_plan() -> pd.DataFrame:
    """Who the default rules target, from truth.csv and the rules file alone."""
    from tests.support.snapshot import SAMPLES
    truth = pd.read_csv(SAMPLES / "truth.csv").sort_values(
        ["total_amount", "purchase_count", "last_purchase"], ascending=False)
    sizes = dict(zip(("top1", "top10", "top20"),
                     (-(-len(truth) * p // 100) for p in (1, 10, 20))))
    rank = range(1, len(truth) + 1)
    count = truth["purchase_count"].tolist()
    truth["cluster"] = [
        "top1" if r <= sizes["top1"] else "top10" if r <= sizes["top10"]
        else "top20" if r <= sizes["top20"] else "once" if c == 1
        else "twice_thrice" if c <= 3 else "repeat4plus" for r, c in zip(rank, count)]
    data = json.loads(resources.files("resources.followups").joinpath(
        "default_rules.json").read_text(encoding="utf-8"))
    plans = []
    for row in truth.itertuples():
        late = (row.purchase_count > 1 and row.recency_days
                > 1.5 * row.tenure_days / (row.purchase_count - 1))
        targets = {row.cluster, "all"} | ({"repeat4plus_late"} if late and
                                          row.cluster == "repeat4plus" else set())
        plan = next((p for p in data["plans"] if p["target"] in targets
                     and p["min_days"] <= row.recency_days
                     and (p["max_days"] is None or row.recency_days <= p["max_days"])), None)
        if plan is not None:
            plans.append({"cluster": row.cluster, "amazon_only": row.platforms == "amazon"})
    return pd.DataFrame(plans)


def test_sample_shop_follow_ups_match_truth():
    shop = Shop(":memory:")
    for file in sample_files():
        shop.imports.import_file(file)
    month = meta()["as_of"][:7]
    counts = shop.followups.generate(month, meta()["as_of"]).counts
    tasks = shop.followups.tasks(month)
    expected = truth_plan()
    reachable = expected.loc[~expected["amazon_only"]]
    assert len(tasks) == 3 * len(reachable) > 0
    found = tasks.groupby("cluster")["customer_id"].nunique()
    assert found.to_dict() == reachable.groupby("cluster").size().to_dict()
    assert set(found.index) <= set(CLUSTERS)
    # Amazon-only buyers may get no marketing at all: they are left out, and said so.
    left = shop.followups.left_out(month)
    assert counts["left_out"] == len(left) == 3 * expected["amazon_only"].sum() > 0
    assert set(left["reason"]) == {UNREACHABLE}
    ineligible = {r["id"] for r in shop.db.query(
        "SELECT id FROM customers WHERE coalesce(dm_manual, dm_default) = 0")}
    assert set(left["customer_id"]) <= ineligible
    assert_332(tasks, meta()["as_of"], ineligible)
    # No e-mail task for a customer who may not get advertising e-mail.
    blocked = {r["id"] for r in shop.db.query(
        f"SELECT c.id FROM customers c WHERE {email_block_sql('c')} != ''")}
    assert not blocked & set(tasks.loc[tasks["medium"] == "email", "customer_id"])


def test_every_target_has_a_japanese_label():
    from engine.marketing.followup_rules import TARGET_CLUSTERS, TARGET_LABELS
    assert set(TARGET_LABELS) == set(TARGET_CLUSTERS)
    assert {r["target"] for r in default_rules()} <= set(TARGET_CLUSTERS)


def test_merging_customers_moves_tasks_and_touches(shop):
    shop.followups.generate(MONTH, AS_OF)
    task = shop.followups.tasks(MONTH).query("customer_id == 2 and step == 1").iloc[0]
    shop.followups.check_off(int(task.task_id), "2025-03-02", result="返信あり")
    shop.customers.merge(1, 2)
    assert shop.touches.for_customer(1)["result"].tolist() == ["返信あり"]
    tasks = shop.followups.tasks(MONTH)
    assert 2 not in set(tasks["customer_id"])
    assert len(tasks.loc[tasks["customer_id"] == 1]) == 3


def test_empty_shop_and_empty_rules_generate_nothing():
    empty = Shop(":memory:")
    assert empty.followups.generate(MONTH).counts["created"] == 0
    assert empty.followups.generated(MONTH) and empty.followups.tasks(MONTH).empty
    assert empty.followups.top1_list(AS_OF).columns.tolist() == [
        "customer_id", "name", "kana", "phone", "email", "purchase_count", "total_amount",
        "last_purchase", "recency_days"]
    shop = build(ORDERS, OPTIONS)
    shop.followups.save_rules([])
    assert shop.followups.generate(MONTH, AS_OF).counts["created"] == 0


def test_progress_is_reported_from_zero_to_one(shop):
    seen = []
    shop.followups.generate(MONTH, AS_OF, progress=lambda f, text: seen.append((f, text)))
    fractions = [f for f, _ in seen]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0 and fractions == sorted(fractions)
    assert all(text for _, text in seen)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_default_rules_keep_332_on_a_random_shop(seed):
    rng = np.random.default_rng(seed)
    orders, options = {}, {}
    for cid in range(1, 401):
        days = rng.integers(0, 500, rng.geometric(0.45))
        orders[cid] = [((pd.Timestamp("2025-03-01") - pd.Timedelta(int(d), "D")).strftime(
            "%Y-%m-%d"), int(rng.choice([980, 2980, 4980, 19800]))) for d in days]
        options[cid] = {"dm": int(rng.random() > 0.2)}
    shop = build(orders, options, email_consent=True)
    ineligible = {c for c, o in options.items() if not o["dm"]}
    for month in ("2025-03", "2025-04", "2025-05", "2025-06"):
        shop.followups.generate(month, f"{month}-01")
        tasks = shop.followups.tasks(month)
        assert len(tasks) > 30
        assert_332(tasks, f"{month}-01", ineligible)
        table = shop.customers.table(f"{month}-01").set_index("customer_id")
        assert (tasks["cluster"] == table.loc[tasks["customer_id"], "cluster"].to_numpy()).all()


@pytest.mark.parametrize("seed", [4, 5])
def test_a_month_matches_a_customer_by_customer_recomputation(seed):
    """Tasks, left-out tasks and targets as one loop over the customers computes them
    from the rules (first matching plan, adapt_media on what each customer's own
    consent query allows), against the vectorised plan."""
    rng = np.random.default_rng(seed)
    orders, options = {}, {}
    for cid in range(1, 301):
        days = rng.integers(0, 400, rng.geometric(0.4))
        orders[cid] = [((pd.Timestamp("2025-03-01") - pd.Timedelta(int(d), "D")).strftime(
            "%Y-%m-%d"), int(rng.choice([980, 2980, 4980, 19800]))) for d in days]
        options[cid] = {"dm": int(rng.random() > 0.3),
                        "dm_manual": [None, None, 0, 1][int(rng.integers(4))],
                        "phone": "090-1234-5678" if rng.random() < 0.4 else "",
                        "opt_out": int(rng.random() < 0.05),
                        "email": f"c{cid}@example.jp" if rng.random() < 0.6 else ""}
    shop = build(orders, options)
    with shop.db.transaction() as conn:
        conn.executemany(
            "INSERT INTO consents (customer_id, channel, value, recorded_on, source, created_at)"
            " VALUES (?, ?, ?, '2020-01-01', 'テスト', '2020-01-01')",
            [(cid, channel, "no" if rng.random() < 0.5 else "yes") for cid in orders
             for channel in ("email", "phone") if rng.random() < 0.5])
        conn.execute("UPDATE customers SET deleted_at = '2025-01-01' WHERE id % 41 = 0")
    plans = plans_of(shop.followups.rules())
    start = date(2025, 3, 1)
    tasks, left, targets = set(), set(), set()
    for m in customer_metrics(shop.db, start).itertuples():
        late = m.purchase_count > 1 and (2 * m.recency_days * (m.purchase_count - 1)
                                         > 3 * m.tenure_days)
        plan = next((p for p in plans if m.cluster in p.clusters
                     and m.recency_days >= p.min_days
                     and (p.max_days is None or m.recency_days <= p.max_days)
                     and (late or not p.late_only)), None)
        row = shop.db.conn.execute(
            f"SELECT {reachable_sql('c')} FROM customers c WHERE c.id = ?"
            " AND c.deleted_at IS NULL AND c.erased_at IS NULL AND c.dm_opt_out = 0",
            (m.customer_id,)).fetchone()
        if plan is None or row is None:
            continue
        allowed = frozenset(medium for medium, ok in zip(("email", "dm", "phone"), row) if ok)
        media = adapt_media(plan, allowed)
        for number, rule in enumerate(plan.steps, 1):
            medium = rule["medium"] if media is None else media[number - 1]
            action = rule["action"] + ("" if medium == rule["medium"] else
                                       f"（{MEDIUM_LABELS[rule['medium']]}不可のため"
                                       f"{MEDIUM_LABELS[medium]}で代替）")
            due = (start + timedelta(days=rule["offset_days"])).isoformat()
            task = (m.customer_id, number, m.cluster, due, medium, action)
            (left if media is None else tasks).add(task)
        if media is not None:
            targets.add((m.customer_id, m.cluster, plan.label, ",".join(sorted(set(media)))))
    shop.followups.generate(MONTH, AS_OF, holdout_share=0)
    stored = shop.followups.tasks(MONTH)
    assert set(stored[["customer_id", "step", "cluster", "due_date", "medium", "action"]]
               .itertuples(index=False, name=None)) == tasks
    created = stored.sort_values("task_id")
    order = list(zip(created["customer_id"], created["step"]))
    assert order == sorted(order)   # created by customer and step
    out = shop.followups.left_out(MONTH)
    assert set(out[["customer_id", "step", "cluster", "due_date", "medium", "action"]]
               .itertuples(index=False, name=None)) == left
    assert set(out["reason"]) <= {UNREACHABLE}
    assert {tuple(r) for r in shop.db.conn.execute(
        "SELECT customer_id, cluster, rule, media FROM followup_targets WHERE month = ?",
        (MONTH,))} == targets
    assert len(tasks) > 60 and len(left) > 0 and len({t[4] for t in tasks}) == 4
