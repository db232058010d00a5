"""施策の効果 on the dashboard: a hand-built shop whose plan held customers out, the
figures the panel shows for it, the verdict's colour, the costs and the empty state."""
from datetime import date

import pytest
from PySide6.QtWidgets import QDialog

from engine.marketing.effects import newcombe
from gui.context import AppContext
from gui.dashboard import effects_panel
from gui.dashboard.charts import EFFECT_COLOURS
from gui.dashboard.effects_panel import ALL_MONTHS, ALL_MONTHS_TEXT, EMPTY_TEXT, \
    EMPTY_TEXT_OFF
from gui.dashboard.tab import DashboardTab
from tests.support.analysis_shop import build
from tests.support.engine_side import on_engine
from tests.support.sample_shop import settle
from tests.support.plans import EVERYONE as RULES, buy

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")
AS_OF = date(2025, 6, 1)


def plan_shop(people: int, share: float = 0.25):
    """``people`` customers who bought once in January, the March plan holding
    ``share`` of them out; returns (shop, treated, held out)."""
    def make():
        shop = build({cid: [("2025-01-10", 1000)] for cid in range(1, people + 1)},
                     email_consent=True)
        shop.followups.save_rules(RULES)
        shop.followups.generate("2025-03", "2025-03-01", holdout_share=share)
        away = sorted(shop.followups.holdouts("2025-03")["customer_id"])
        return shop, sorted(set(range(1, people + 1)) - set(away)), away
    return on_engine(make)


def hand_worked_shop():
    """16 followed, 5 held out: 8 of 16 buy (two of them twice) against 1 of 5; four
    DMs checked off."""
    shop, treated, away = plan_shop(21)
    assert (len(treated), len(away)) == (16, 5)

    def orders():
        buy(shop, treated[:8])
        buy(shop, treated[:2], day="2025-04-10")
        buy(shop, treated[8:9], day="2025-05-05")      # day 65: outside 60 days
        buy(shop, away[:1], amount=2000)
        tasks = shop.followups.tasks("2025-03")
        shop.followups.check_off_many(tasks.query("medium == 'dm'")["task_id"].head(4),
                                      done_on="2025-03-11")
    on_engine(orders)
    return shop


def make_tab(qtbot, shop):
    ctx = AppContext(shop)
    ctx.set_as_of(AS_OF)
    tab = DashboardTab(ctx)
    qtbot.addWidget(tab)
    tab.resize(1366, 900)
    tab.show()
    settle(qtbot)
    return tab


def cells(panel, row: int) -> list[str]:
    model = panel.model
    return [model.index(row, c).data() for c in range(model.columnCount())]


def test_the_panel_shows_the_hand_worked_month(qtbot):
    tab = make_tab(qtbot, hand_worked_shop())
    panel = tab.effects
    assert not panel.empty.isVisibleTo(tab) and panel.body.isVisibleTo(tab)
    assert panel.month.currentText() == "2025年3月の計画"
    assert panel.month.count() == 1          # one month: nothing to pool
    assert panel.window.currentData() == 60
    lift, low, high = newcombe(8, 16, 1, 5)
    difference = f"{lift * 100:+.1f}pt（{low * 100:+.1f}〜{high * 100:+.1f}）"
    row = cells(panel, 0)
    # 10 orders in the window for 16 against 1 for 5: (10/16 − 1/5) · 16 = 6.8 extra
    # orders for four DMs at 100 yen.
    assert row[:7] == ["全体", "16 / 5人", "50.0% / 20.0%", difference, "¥1,875 / ¥400",
                       "6.8件", "¥59"]
    assert row[7].startswith("まだ判断できません（同じ差が続けば、あと約")
    assert panel.model.index(0, 6).data(effects_panel.Qt.ItemDataRole.ToolTipRole) == \
        "消し込み済みのフォローの費用 ¥400 ÷ 追加の注文 6.8件"
    assert "+30.0ポイント" in panel.summary.text() and "16人の購入率 50.0%" in panel.summary.text()
    captions = [cells(panel, r)[0] for r in range(panel.model.rowCount())]
    assert captions == ["全体", "全顧客・30〜日", "手段: メール", "手段: 同梱物", "手段: DM"]
    # The chart: a dot at the difference and a line over its interval, per row.
    axes = panel.chart.figure.axes[0]
    dots = [line for line in axes.get_lines() if line.get_marker() == "o"]
    assert dots[0].get_xdata()[0] == pytest.approx(lift * 100)
    spans = [line for line in axes.get_lines() if len(line.get_xdata()) == 2
             and line.get_ydata()[0] == line.get_ydata()[1]]
    assert list(spans[0].get_xdata()) == pytest.approx([low * 100, high * 100])
    assert axes.get_yticklabels()[0].get_text() == "全体"


def test_the_window_changes_the_figures(qtbot):
    tab = make_tab(qtbot, hand_worked_shop())
    panel = tab.effects
    panel.window.setCurrentIndex(panel.window.findData(90))
    settle(qtbot)
    # Day 65's order now counts: 9 of 16 bought.
    assert cells(panel, 0)[2] == "56.2% / 20.0%"
    assert panel.month.currentText() == "2025年3月の計画"


def test_a_clear_effect_is_green(qtbot):
    shop, treated, away = plan_shop(400)
    on_engine(lambda: (buy(shop, treated[: len(treated) * 30 // 100]),
                       buy(shop, away[: len(away) * 10 // 100])))
    tab = make_tab(qtbot, shop)
    panel = tab.effects
    verdict = panel.model.index(0, 7)
    assert verdict.data() == "効果あり"
    assert verdict.data(effects_panel.Qt.ItemDataRole.ForegroundRole).color().name() == \
        EFFECT_COLOURS["good"]
    assert "判定: 効果あり" in panel.summary.text()
    dot = next(line for line in panel.chart.figure.axes[0].get_lines()
               if line.get_marker() == "o")
    assert dot.get_color() == EFFECT_COLOURS["good"]


def test_pooled_months_and_the_default_month(qtbot):
    shop = hand_worked_shop()
    # A June plan (its 60 days not over on the 基準日 2025-06-01): the panel opens on
    # March, the newest plan whose window is over.
    on_engine(lambda: shop.followups.generate("2025-06", "2025-06-01", holdout_share=0.25))
    tab = make_tab(qtbot, shop)
    panel = tab.effects
    assert [panel.month.itemText(i) for i in range(panel.month.count())] == [
        "2025年6月の計画", "2025年3月の計画", ALL_MONTHS_TEXT]
    assert panel.month.currentData() == "2025-03"
    panel.month.setCurrentIndex(panel.month.findData(ALL_MONTHS))
    settle(qtbot)
    pooled = on_engine(lambda: shop.effects.report(["2025-06", "2025-03"], 60, AS_OF)).iloc[0]
    assert cells(panel, 0)[1] == f"{pooled['treated']} / {pooled['control']}人"
    assert pooled["treated"] > 16
    assert "すべての月（合算）" in panel.summary.text()
    # Said once above the table, not on every row.
    assert "集計期間（60日）がまだ終わっていない計画があります" in panel.summary.text()
    assert cells(panel, 0)[7].startswith("まだ判断できません")
    assert "集計期間の途中" not in "".join(panel.model.frame["verdict"])


def test_costs_are_set_in_a_dialog(qtbot, monkeypatch):
    tab = make_tab(qtbot, hand_worked_shop())
    panel = tab.effects

    def answer(dialog):
        assert dialog.spins["dm"].value() == 100
        dialog.spins["dm"].setValue(200)
        return QDialog.DialogCode.Accepted
    monkeypatch.setattr(effects_panel.CostsDialog, "exec", answer)
    panel.costs_button.click()
    settle(qtbot)
    assert on_engine(tab.ctx.shop.effects.costs)["dm"] == 200
    assert cells(panel, 0)[6] == "¥118"          # 800 yen / 6.8 extra orders


def test_without_a_comparison_group_the_panel_explains(qtbot):
    def make():
        shop = build({1: [("2025-01-10", 1000)], 2: [("2025-01-12", 2000)]})
        shop.followups.save_rules(RULES)
        shop.followups.generate("2025-03", "2025-03-01", holdout_share=0)
        shop.followups.set_holdout(share=0.1)
        return shop
    shop = on_engine(make)
    tab = make_tab(qtbot, shop)
    panel = tab.effects
    assert panel.empty.isVisibleTo(tab) and panel.empty.text() == EMPTY_TEXT
    assert not panel.body.isVisibleTo(tab) and not panel.controls.isVisibleTo(tab)
    # With the share set to 0 %, it says so rather than promising 10 %.
    on_engine(lambda: shop.followups.set_holdout(share=0))
    tab.ctx.data_changed.emit()
    settle(qtbot)
    assert panel.empty.text() == EMPTY_TEXT_OFF
