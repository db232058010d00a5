"""The customer detail says when a plan held the customer out (比較用にお休み)."""
from datetime import date

import pytest

from gui.context import AppContext
from gui.customers.detail import CustomerDetail
from tests.support.analysis_shop import build
from tests.support.engine_side import on_engine
from tests.support.sample_shop import settle

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")
RULES = [
    {"target": "all", "min_days": 30, "max_days": None, "medium": medium,
     "action": action, "offset_days": offset}
    for medium, action, offset in (("email", "お礼メール", 0), ("dm", "DMハガキ", 10),
                                   ("insert", "同梱チラシ", 20))]


def test_the_detail_names_the_plans_that_held_the_customer_out(qtbot):
    def make():
        shop = build({cid: [("2025-01-10", 1000)] for cid in range(1, 21)},
                     email_consent=True)
        shop.followups.save_rules(RULES)
        shop.followups.generate("2025-03", "2025-03-01", holdout_share=0.25)
        held = set(shop.followups.holdouts("2025-03")["customer_id"])
        return shop, min(held), min(set(range(1, 21)) - held)
    shop, away, followed = on_engine(make)
    ctx = AppContext(shop)
    ctx.set_as_of(date(2025, 6, 1))
    detail = CustomerDetail(ctx)
    qtbot.addWidget(detail)
    detail.show()
    detail.show_customer(away)
    settle(qtbot)
    assert detail.held_out.isVisible()
    assert detail.held_out.text() == "比較用にお休み（2025-03 の計画）"
    detail.show_customer(followed)
    settle(qtbot)
    assert not detail.held_out.isVisible() and detail.held_out.text() == ""
    detail.show_customer(away)
    settle(qtbot)
    detail.clear()
    assert not detail.held_out.isVisible()
