"""比較用にお休み in the フォロー tab: the share and TOP1% settings, the message after
generating, the month's held-out customers; and the customer detail's note."""
import pytest

from gui.followups import tasks as followup_tasks
from tests.support.engine_side import on_engine
from tests.support.sample_shop import settle

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


@pytest.fixture
def tab(qtbot, tab):
    """The shared tab, on its 今月のフォロー page."""
    tab.pages.setCurrentWidget(tab.tasks)
    settle(qtbot)
    return tab


def test_the_share_and_top1_settings_are_saved(qtbot, tab):
    page = tab.tasks
    shop = tab.ctx.shop
    assert page.holdout_share.value() == 0      # tests default to no comparison group
    assert not page.holdout_top1.isChecked()
    page.holdout_share.setValue(25)
    settle(qtbot)
    assert on_engine(shop.followups.holdout_settings)["share"] == 0.25
    page.holdout_top1.click()
    settle(qtbot)
    assert on_engine(shop.followups.holdout_settings) == {"share": 0.25, "top1": True}
    # The tab shows what is stored when it reloads.
    on_engine(lambda: shop.followups.set_holdout(share=0.1, top1=False))
    tab.ctx.data_changed.emit()
    settle(qtbot)
    assert page.holdout_share.value() == 10 and not page.holdout_top1.isChecked()


def test_generating_tells_and_lists_the_held_out_customers(qtbot, tab, monkeypatch):
    page = tab.tasks
    shop = tab.ctx.shop
    page.holdout_share.setValue(25)
    told = []
    monkeypatch.setattr(followup_tasks, "tell", lambda parent, text: told.append(text))
    page.month.setCurrentIndex(page.month.findData("2025-11"))
    settle(qtbot)
    assert not page.holdouts_button.isEnabled()
    page.generate_button.click()
    settle(qtbot)
    held = on_engine(lambda: shop.followups.holdouts("2025-11"))
    assert len(held) > 0
    assert told[0].endswith(f"\n比較用にお休み {len(held):,}人"
                            "（この計画ではフォローせず、効果を測るために比べます）")
    # Held-out customers get no task.
    tasks = on_engine(lambda: shop.followups.tasks("2025-11"))
    assert not set(held["customer_id"]) & set(tasks["customer_id"])
    assert page.summary.text().endswith(f"・比較用にお休み {len(held):,}人")
    assert page.holdouts_button.isEnabled()
    assert page.holdouts_button.text() == f"お休みのお客様を見る（{len(held):,}人）…"

    shown = []
    monkeypatch.setattr(followup_tasks.HoldoutsDialog, "exec",
                        lambda dialog: shown.append(dialog) or 0)
    page.holdouts_button.click()
    dialog = shown[0]
    assert dialog.windowTitle() == "2025年11月の計画で比較用にお休みのお客様"
    model = dialog.model
    assert model.frame["customer_id"].tolist() == held["customer_id"].tolist()
    names = on_engine(lambda: {int(i): shop.customers.get(int(i))["name"]
                               for i in held["customer_id"]})
    first = int(held["customer_id"].iloc[0])
    assert model.index(0, 0).data() == str(first)
    assert model.index(0, 1).data() == names[first]
    assert model.index(0, 3).data() == held["rule"].iloc[0]
