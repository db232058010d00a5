"""セグメント・フォロー on the sample shop: clusters, percentages, tasks, TOP1% list and rules."""
import math
from datetime import date

import pandas as pd
import pytest

from engine.customers.touches import MEDIUM_LABELS
from engine.marketing.followup_rules import TARGET_LABELS
from gui.followups import rules as followup_rules
from gui.followups import tasks as followup_tasks
from tests.support.engine_side import on_engine
from tests.support.sample_shop import settle
from tests.support.snapshot import SAMPLES

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")
TRUTH = pd.read_csv(SAMPLES / "truth.csv")


def ranked_truth():
    return TRUTH.sort_values(["total_amount", "purchase_count", "last_purchase"],
                             ascending=False, kind="mergesort").reset_index(drop=True)


def test_cluster_table_shows_counts_sales_and_shares(tab, qtmodeltester):
    model = tab.clusters.model
    qtmodeltester.check(model)
    ranked = ranked_truth()
    top1, top10, top20 = (math.ceil(148 * p / 100) for p in (1, 10, 20))
    assert model.frame["customers"].tolist()[:3] == [top1, top10 - top1, top20 - top10]
    total = int(TRUTH["total_amount"].sum())
    top1_sales = int(ranked["total_amount"][:top1].sum())
    assert model.index(0, 0).data() == "TOP1%"
    assert model.index(0, 1).data() == f"{top1}"
    assert model.index(0, 2).data() == f"¥{top1_sales:,}"
    assert model.index(0, 3).data() == f"{top1_sales / total * 100:.1f}%"
    rest = ranked["purchase_count"][top20:]
    assert model.frame["customers"].tolist()[3:] == [
        int((rest == 1).sum()), int(rest.between(2, 3).sum()), int((rest >= 4).sum())]
    assert tab.clusters.total.text() == f"購入のあるお客様 148人、売上合計 ¥{total:,}"


def test_rank_percentages_are_saved_and_regroup_the_clusters(qtbot, tab):
    spins = tab.clusters.spins
    assert [spins[n].value() for n in ("top1", "top10", "top20")] == [1, 10, 20]
    spins["top1"].setValue(5)
    tab.clusters.save_button.click()
    settle(qtbot)
    shop = tab.ctx.shop
    assert on_engine(shop.segments.percentages) == {"top1": 5, "top10": 10, "top20": 20}
    assert tab.clusters.model.frame["customers"].tolist()[:2] == [math.ceil(148 * 0.05),
                                                                  15 - math.ceil(148 * 0.05)]


def test_bad_percentages_are_refused_with_a_japanese_message(qtbot, tab, error_dialogs):
    tab.clusters.spins["top1"].setValue(30)  # more than TOP10%
    tab.clusters.save_button.click()
    settle(qtbot)
    assert "TOP1% ≤ TOP10%" in error_dialogs[0]
    error_dialogs.clear()
    assert on_engine(tab.ctx.shop.segments.percentages)["top1"] == 1


def stored_tasks(tab, month="2025-11"):
    shop = tab.ctx.shop
    return on_engine(lambda: shop.followups.tasks(month))


def generate(qtbot, tab, month, monkeypatch):
    told = []
    monkeypatch.setattr(followup_tasks, "confirm", lambda *a: True)
    monkeypatch.setattr(followup_tasks, "tell", lambda parent, text: told.append(text))
    tab.pages.setCurrentWidget(tab.tasks)
    tab.tasks.month.setCurrentIndex(tab.tasks.month.findData(month))
    settle(qtbot)
    tab.tasks.generate_button.click()
    settle(qtbot)
    return told


def test_generating_the_month_lists_its_tasks(qtbot, tab, monkeypatch, qtmodeltester):
    assert tab.tasks.summary.text() == "この月のフォロー計画はまだありません"
    told = generate(qtbot, tab, "2025-11", monkeypatch)
    stored = stored_tasks(tab)
    assert len(stored) > 0
    dropped = on_engine(lambda: tab.ctx.shop.followups.left_out("2025-11"))
    assert len(dropped) > 0   # customers no medium reaches
    assert told == [f"2025年11月のフォロー計画: 新規 {len(stored):,}件、継続 0件、削除 0件\n"
                    f"計画から外したタスク: {len(dropped):,}件（1週間にできる件数を超えた分、"
                    "連絡手段がないお客様など。「計画から外した顧客」で理由を確かめられます）"]
    assert tab.tasks.left_out_button.text() == f"計画から外した顧客（{len(dropped):,}件）"
    model = tab.tasks.model
    model.show_all()
    assert model.frame["task_id"].tolist() == stored["task_id"].tolist()
    assert tab.tasks.summary.text() == f"{len(stored):,}件中 0件 済"
    assert tab.tasks.generate_button.text() == "フォロー計画を再作成"
    assert set(model.frame["medium"]) <= {"email", "insert", "dm", "phone"}
    qtmodeltester.check(model)
    # 3-3-2: every customer gets three touches over at least two media
    per_customer = stored.groupby("customer_id")["medium"]
    assert (per_customer.size() == 3).all() and (per_customer.nunique() >= 2).all()


def test_check_off_stores_date_medium_and_result(qtbot, tab, monkeypatch):
    generate(qtbot, tab, "2025-11", monkeypatch)
    page = tab.tasks
    page.view.selectRow(0)
    task = page.current_task()
    assert page.check_button.isEnabled() and not page.reopen_button.isEnabled()
    monkeypatch.setattr(followup_tasks, "ask_check_off",
                        lambda parent, t: ("2025-11-05", "phone", "留守番電話に伝言"))
    page.check_button.click()
    settle(qtbot)
    shop = tab.ctx.shop
    stored = stored_tasks(tab).set_index("task_id").loc[task["task_id"]]
    assert (stored["status"], stored["done_on"], stored["medium"], stored["result"]) == (
        "done", "2025-11-05", "phone", "留守番電話に伝言")
    touches = on_engine(lambda: shop.touches.for_customer(task["customer_id"]))
    assert touches[["date", "medium", "result"]].values.tolist()[0] == [
        "2025-11-05", "phone", "留守番電話に伝言"]
    row = int(page.model.frame.index[page.model.frame["task_id"] == task["task_id"]][0])
    assert page.model.index(row, 6).data() == "済"
    assert page.summary.text().endswith("1件 済")
    page.view.selectRow(row)
    assert page.reopen_button.isEnabled()
    page.reopen_button.click()
    settle(qtbot)
    assert stored_tasks(tab).set_index("task_id").loc[task["task_id"], "status"] == "open"


def test_open_only_hides_done_tasks(qtbot, tab, monkeypatch):
    generate(qtbot, tab, "2025-11", monkeypatch)
    shop = tab.ctx.shop
    first = int(stored_tasks(tab)["task_id"].iloc[0])
    on_engine(lambda: shop.followups.check_off(first, "2025-11-02", "email", ""))
    tab.ctx.data_changed.emit()
    settle(qtbot)
    total = len(stored_tasks(tab))
    tab.tasks.open_only.setChecked(True)
    assert tab.tasks.model.total_rows() == total - 1
    assert first not in tab.tasks.model.frame["task_id"].tolist()


def test_check_off_dialog_defaults_to_the_planned_medium():
    dialog = followup_tasks.CheckOffDialog(None, {"customer_id": 7, "name": "山田 花子",
                                                  "medium": "dm", "action": "お礼状"},
                                           date(2025, 11, 20))
    assert dialog.values() == ("2025-11-20", "dm", "")
    dialog.result.setText(" 再購入あり ")
    dialog.medium.setCurrentIndex(dialog.medium.findData("email"))
    assert dialog.values() == ("2025-11-20", "email", "再購入あり")
    dialog.deleteLater()


def test_top1_list_names_the_best_customers(tab, qtmodeltester):
    model = tab.top1.model
    qtmodeltester.check(model)
    best = ranked_truth()[:math.ceil(148 * 0.01)]
    assert model.frame["name"].tolist() == best["name"].tolist()
    assert model.frame["total_amount"].tolist() == best["total_amount"].tolist()


def test_rules_are_edited_saved_and_reset(qtbot, tab, monkeypatch):
    shop = tab.ctx.shop
    page = tab.rules
    model = page.model
    assert model.rowCount() == len(on_engine(shop.followups.rules)) > 0
    assert not page.save_button.isEnabled()
    action = model.index(0, 4)
    assert model.setData(action, "店長から感謝のお電話")
    assert page.save_button.isEnabled()
    page.save_button.click()
    settle(qtbot)
    assert on_engine(shop.followups.rules)[0]["action"] == "店長から感謝のお電話"
    assert not page.save_button.isEnabled()
    monkeypatch.setattr(followup_rules, "confirm", lambda *a: True)
    page.reset_button.click()
    settle(qtbot)
    assert model.rules[0]["action"] != "店長から感謝のお電話"
    assert [r["action"] for r in model.rules] == [r["action"] for r in on_engine(
        shop.followups.rules)]


def test_a_rule_set_breaking_3_3_2_is_refused(qtbot, tab, error_dialogs):
    page = tab.rules
    before = on_engine(tab.ctx.shop.followups.rules)
    page.view.selectRow(0)
    page.remove_button.click()
    assert page.model.rowCount() == len(before) - 1
    assert page.save_button.isEnabled()
    page.save_button.click()
    settle(qtbot)
    assert "3-3-2ルール" in error_dialogs[0]
    error_dialogs.clear()
    assert on_engine(tab.ctx.shop.followups.rules) == before


def test_rule_editor_shows_japanese_choices(tab, qtmodeltester):
    model = tab.rules.model
    qtmodeltester.check(model)
    first = model.rules[0]
    assert model.index(0, 0).data() == TARGET_LABELS[first["target"]]
    assert model.index(0, 3).data() == MEDIUM_LABELS[first["medium"]]
    open_ended = [row for row, rule in enumerate(model.rules) if rule["max_days"] is None]
    assert model.index(open_ended[0], 2).data() == "上限なし"


def left_out(tab, month="2025-11"):
    shop = tab.ctx.shop
    return on_engine(lambda: shop.followups.left_out(month))


def test_weekly_capacity_leaves_tasks_out_and_lists_them(qtbot, tab, monkeypatch):
    page = tab.tasks
    assert [page.capacity[m].text() for m in ("phone", "dm")] == ["制限なし", "制限なし"]
    generate(qtbot, tab, "2025-11", monkeypatch)
    unlimited = len(left_out(tab))
    dm_tasks = int((stored_tasks(tab)["medium"] == "dm").sum())
    assert dm_tasks > 2
    told = []
    monkeypatch.setattr(followup_tasks, "tell", lambda parent, text: told.append(text))
    page.capacity["dm"].setValue(1)
    page.capacity_button.click()
    settle(qtbot)
    shop = tab.ctx.shop
    assert on_engine(shop.followups.capacity) == {"phone": None, "dm": 1}
    told = generate(qtbot, tab, "2025-11", monkeypatch)
    dropped = left_out(tab)
    assert len(dropped) > unlimited
    over = dropped[dropped["medium"] == "dm"]
    assert len(over) > 0 and over["reason"].str.contains("DM").all()
    assert f"計画から外したタスク: {len(dropped):,}件" in told[0]
    # No week holds more than one DM now.
    kept = stored_tasks(tab)
    weeks = pd.to_datetime(kept.loc[kept["medium"] == "dm", "due_date"]).dt.to_period("W")
    assert weeks.value_counts().max() == 1
    assert page.left_out_button.text() == f"計画から外した顧客（{len(dropped):,}件）"
    assert page.left_out_button.isEnabled()
    shown = []
    monkeypatch.setattr(followup_tasks.LeftOutDialog, "open", lambda self: shown.append(self))
    page.left_out_button.click()
    frame = shown[0].model.frame
    assert frame["customer_id"].tolist() == dropped["customer_id"].tolist()
    assert frame["reason"].tolist() == dropped["reason"].tolist()
    # 0 is 制限なし again: the plan made again leaves out only what it cannot reach.
    page.capacity["dm"].setValue(0)
    page.capacity_button.click()
    settle(qtbot)
    assert on_engine(shop.followups.capacity) == {"phone": None, "dm": None}
    generate(qtbot, tab, "2025-11", monkeypatch)
    assert len(left_out(tab)) == unlimited
