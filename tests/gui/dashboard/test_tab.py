"""ダッシュボード on the sample shop: KPI cards and charts show what the engine computes."""
import math
from datetime import date, timedelta

import pandas as pd
import pytest
from PySide6.QtCore import Qt

from gui.context import AppContext
from gui.dashboard.tab import KPI_CARDS, DashboardTab, kpi_text
from tests.support.engine_side import engine_shop, on_engine
from tests.support.sample_shop import sample_shop, settle
from tests.support.snapshot import SAMPLES, meta

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")
AS_OF = date.fromisoformat(meta()["as_of"])  # 2025-11-01
TRUTH = pd.read_csv(SAMPLES / "truth.csv")


def make_tab(qtbot, shop, as_of=AS_OF):
    ctx = AppContext(shop)
    ctx.set_as_of(as_of)
    tab = DashboardTab(ctx)
    qtbot.addWidget(tab)
    tab.resize(1280, 800)
    tab.show()
    settle(qtbot)
    return tab


@pytest.fixture
def tab(qtbot):
    return make_tab(qtbot, sample_shop())


def card(tab, key):
    return tab.cards[key].value.text()


def test_kpi_cards_show_the_truth_figures(tab):
    count, total = TRUTH["purchase_count"], TRUTH["total_amount"]
    waited = pd.to_datetime(TRUTH["first_purchase"]) <= pd.Timestamp(AS_OF - timedelta(days=90))
    assert card(tab, "customers") == "148人"
    assert card(tab, "active_customers") == "148人"
    assert card(tab, "repeat_rate") == f"{(count >= 2).mean() * 100:.1f}%"
    assert card(tab, "f2_conversion") == f"{(count[waited] >= 2).mean() * 100:.1f}%"
    assert card(tab, "average_purchase_count") == f"{count.mean():.2f}回"
    assert card(tab, "average_order_value") == f"¥{round(total.sum() / count.sum()):,}"
    assert card(tab, "ltv") == f"¥{round(total.mean()):,}"
    assert card(tab, "referral_count") == "—"  # no export records referrals


def test_cards_match_the_engine_kpis(tab):
    shop = tab.ctx.shop
    kpis = on_engine(lambda: shop.analysis.kpis(AS_OF))
    for key, _caption, kind, _hint in KPI_CARDS:
        assert card(tab, key) == kpi_text(kpis[key], kind)


def test_monthly_sales_chart_stacks_new_and_repeat(tab):
    monthly = tab.loaded["monthly"]
    assert monthly["month"].tolist() == ["2025-07", "2025-08", "2025-09", "2025-10", "2025-11"]
    assert int(monthly["sales"].sum()) == int(TRUTH["total_amount"].sum())
    axes = tab.sales_chart.figure.axes[0]
    heights = [patch.get_height() for patch in axes.patches]
    assert sum(heights) == int(TRUTH["total_amount"].sum())
    legend = [text.get_text() for text in axes.get_legend().get_texts()]
    assert legend == ["新規のお客様", "リピートのお客様"]


def test_cluster_chart_and_decomposition_table(tab, qtmodeltester):
    summary = tab.loaded["clusters"]
    count_axes, share_axes = tab.cluster_chart.figure.axes[:2]
    assert [p.get_width() for p in count_axes.patches] == summary["customers"].tolist()
    assert sum(p.get_width() for p in share_axes.patches) == pytest.approx(100)
    model = tab.decomposition
    qtmodeltester.check(model)
    # newest first; on 2025-11-01 November has only begun
    assert model.index(0, 0).data() == "2025-11（集計中）"
    assert [model.index(0, c).data() for c in range(5, 9)] == ["集計中"] * 4
    october = model.frame.index[model.frame["month"] == "2025-10"][0]
    assert model.index(int(october), 1).data() == "¥732,900"
    assert int(model.frame["sales"].sum()) == int(TRUTH["total_amount"].sum())
    # a year earlier there were no sales, so no ratio is claimed
    assert model.frame["sales_yoy"].iloc[1:].isna().all()
    assert "前年比はまだ出せません" in tab.yoy_chart.figure.texts[0].get_text()


def test_empty_shop_explains_what_to_do(qtbot):
    tab = make_tab(qtbot, engine_shop())
    assert card(tab, "customers") == "0人"
    assert card(tab, "repeat_rate") == "—"
    assert "取り込んで" in tab.sales_chart.figure.texts[0].get_text()


def test_refreshes_when_data_changes(qtbot, tab):
    shop = tab.ctx.shop
    first = on_engine(lambda: shop.db.scalar("SELECT min(id) FROM orders WHERE status = 'valid'"))
    on_engine(lambda: shop.db.execute("UPDATE orders SET status = 'cancelled' WHERE id = ?",
                                      (first,)))
    tab.ctx.data_changed.emit()
    settle(qtbot)
    kpis = on_engine(lambda: shop.analysis.kpis(AS_OF))
    assert card(tab, "customers") == kpi_text(kpis["customers"], "people")
    assert tab.loaded["kpis"]["orders"] == 178


def test_time_axis_shows_cohorts_and_entry_products(qtbot, tab, qtmodeltester):
    assert tab.time_axis.cohorts.rowCount() == 0  # computed only when asked
    tab.time_axis.compute_button.click()
    settle(qtbot)
    shop = tab.ctx.shop
    cohorts = on_engine(lambda: shop.analysis.cohorts(AS_OF))
    panel = tab.time_axis
    newest = cohorts.iloc[-1]
    assert panel.cohorts.value(0, "cohort") == newest["cohort"]
    assert panel.cohorts.value(0, "customers") == newest["customers"]
    headers = [panel.cohorts.headerData(i, Qt.Orientation.Horizontal)
               for i in range(panel.cohorts.columnCount())]
    assert headers[:4] == ["初回購入月", "人数", "同月", "1か月後"]
    # First purchases per cohort add up to every customer of the shop.
    assert panel.cohorts.frame["customers"].sum() == len(TRUTH)
    entry = on_engine(lambda: shop.analysis.entry_products(AS_OF))
    top = entry.sort_values(["customers", "f2_conversion"], ascending=False,
                            kind="mergesort").iloc[0]
    assert panel.entry.value(0, "product_code") == top["product_code"]
    assert panel.entry.value(0, "customers") == top["customers"]
    assert panel.entry.data(panel.entry.index(0, 3)) == f"{top['f2_conversion'] * 100:.1f}%"
    # Each entry product names what its buyers most often bought next.
    following = on_engine(lambda: shop.products.next_products(AS_OF)).drop_duplicates(
        "product_code").set_index("product_code")["next_product_name"]
    shown = panel.entry.frame.set_index("product_code")["next_product_name"]
    assert shown.to_dict() == {code: following.get(code, "") for code in shown.index}
    qtmodeltester.check(panel.cohorts)
    qtmodeltester.check(panel.entry)


def test_the_running_month_is_marked_not_drawn_as_a_collapse(qtbot):
    """A year after the samples, on 2026-10-05: October 2026 has hardly begun."""
    tab = make_tab(qtbot, sample_shop(), as_of=date(2026, 10, 5))
    monthly = tab.loaded["monthly"]
    assert monthly["month"].iloc[-1] == "2026-10" and not monthly["complete"].iloc[-1]
    axes = tab.sales_chart.figure.axes[0]
    months = len(monthly)
    new_bars, repeat_bars = axes.patches[:months], axes.patches[months:]
    for bars in (new_bars, repeat_bars):
        assert bars[-1].get_hatch() == "///" and bars[-1].get_alpha() == 0.35
        assert all(bar.get_hatch() is None for bar in bars[:-1])
    assert [text.get_text() for text in axes.texts] == ["集計中"]
    # 前年比: half-begun October against all of October 2025 is no 0%.
    model = tab.decomposition
    assert model.index(0, 0).data() == "2026-10（集計中）"
    assert [model.index(0, c).data() for c in range(5, 9)] == ["集計中"] * 4
    september = [model.index(1, c).data() for c in (0, 5)]
    assert september == ["2026-09", "0.0%"]  # a whole month without orders is a real drop
    yoy_axes = tab.yoy_chart.figure.axes[0]
    sales_line = yoy_axes.lines[0]
    assert math.isnan(sales_line.get_ydata()[-1])
    assert yoy_axes.get_xticklabels()[-1].get_text() == "26/10\n集計中"


def test_time_axis_says_the_running_month_is_still_counted(qtbot, tab):
    tab.time_axis.compute_button.click()
    settle(qtbot)
    panel = tab.time_axis.cohorts
    frame = panel.frame
    # Cohorts 2025-07 … 2025-10, newest first: November (the as-of month) lies at months
    # since 4, 3, 2, 1; it has only begun on 2025-11-01.
    assert frame["cohort"].tolist() == ["2025-10", "2025-09", "2025-08", "2025-07"]
    for row, since in enumerate([1, 2, 3, 4]):
        column = 2 + since
        assert panel.index(row, column).data() == "集計中"
        assert panel.index(row, column - 1).data().endswith("%")
    assert panel.index(0, 3).data() == "集計中"  # never "0.0%"
