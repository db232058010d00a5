"""配信の同意 in the customer detail: each channel's answer recorded in the ledger, the
DM lists' setting and 配信停止 shown coherently, undo, the history, list import."""
from datetime import date

import pytest

from gui import consent_import
from gui.context import AppContext
from gui.customers import consent_panel
from gui.customers import detail as customer_detail
from gui.customers.tab import CustomersTab
from tests.gui.customers.test_tab import open_customer, stored_customer
from tests.support.engine_side import on_engine
from tests.support.sample_shop import sample_shop, settle

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")
NAME = "渡辺 香織"


@pytest.fixture
def tab(qtbot):
    tab = CustomersTab(AppContext(sample_shop()))
    qtbot.addWidget(tab)
    tab.resize(1366, 768)
    tab.show()
    settle(qtbot)
    return tab


def choose(qtbot, panel, channel, value):
    combo = panel.combos[channel]
    combo.setCurrentIndex(combo.findData(value))
    combo.activated.emit(combo.currentIndex())
    settle(qtbot)


def state(tab, customer_id):
    shop = tab.ctx.shop
    return on_engine(lambda: shop.consent.state(customer_id))


def test_each_channel_is_recorded_with_date_and_source_and_undone(qtbot, tab, monkeypatch):
    customer_id = open_customer(qtbot, tab, NAME)
    panel = tab.detail.consent
    before = state(tab, customer_id)
    assert [panel.combos[c].currentData() for c in ("email", "dm", "phone")] == [
        before[c]["value"] for c in ("email", "dm", "phone")]
    choose(qtbot, panel, "email", "yes")
    today = date.today().isoformat()
    after = state(tab, customer_id)["email"]
    assert (after["value"], after["recorded_on"], after["source"]) == ("yes", today, "手入力")
    assert panel.recorded["email"].text() == f"{today}・手入力"
    assert panel.combos["email"].currentData() == "yes"
    # The e-mail answer is independent of the DM setting, which stays as it was.
    assert stored_customer(tab, customer_id)["dm_manual"] is None
    choose(qtbot, panel, "dm", "no")
    stored = stored_customer(tab, customer_id)
    assert stored["dm_manual"] == 0 and stored["dm_ok"] == 0
    assert state(tab, customer_id)["dm"]["value"] == "no"
    assert panel.effects["dm"].text() == "→ 送りません（拒否）"
    monkeypatch.setattr(customer_detail, "confirm", lambda *a: True)
    tab.detail.undo_button.click()
    settle(qtbot)
    stored = stored_customer(tab, customer_id)
    assert stored["dm_manual"] is None and stored["dm_ok"] == 1
    assert state(tab, customer_id)["dm"]["value"] == "unknown"
    assert panel.combos["dm"].currentData() == "unknown"
    assert panel.effects["dm"].text() == "→ 送れます"
    assert state(tab, customer_id)["email"]["value"] == "yes"


def test_opt_out_overrides_every_channel_on_screen_and_in_the_engine(qtbot, tab, monkeypatch):
    customer_id = open_customer(qtbot, tab, NAME)
    panel = tab.detail.consent
    choose(qtbot, panel, "email", "yes")
    choose(qtbot, panel, "dm", "yes")
    assert panel.effects["email"].text() == "→ 送れます"
    panel.opt_out.click()
    settle(qtbot)
    engine_state = state(tab, customer_id)
    assert stored_customer(tab, customer_id)["dm_opt_out"] == 1
    assert not engine_state["email"]["allowed"] and not engine_state["dm"]["allowed"]
    assert engine_state["email"]["block"] == "opted_out"
    # What the customer said is kept; what the shop may do says 配信停止.
    assert panel.combos["dm"].currentData() == "yes"
    assert panel.effects["email"].text() == "→ 送りません（配信停止）"
    assert panel.effects["dm"].text() == "→ 送りません（配信停止）"
    assert panel.opt_out.isChecked()
    monkeypatch.setattr(customer_detail, "confirm", lambda *a: True)
    tab.detail.undo_button.click()
    settle(qtbot)
    assert stored_customer(tab, customer_id)["dm_opt_out"] == 0
    assert not panel.opt_out.isChecked() and panel.effects["dm"].text() == "→ 送れます"


def test_history_lists_the_ledger_newest_first(qtbot, tab, monkeypatch):
    customer_id = open_customer(qtbot, tab, NAME)
    panel = tab.detail.consent
    choose(qtbot, panel, "phone", "no")
    choose(qtbot, panel, "email", "yes")
    shown = []
    monkeypatch.setattr(consent_panel.ConsentHistoryDialog, "open",
                        lambda self: shown.append(self))
    panel.history_button.click()
    settle(qtbot)
    frame = shown[0].model.frame
    assert frame[["channel", "value", "source"]].values.tolist() == [
        ["メール", "同意あり", "手入力"], ["電話", "拒否", "手入力"]]
    assert stored_customer(tab, customer_id)["customer_id"] == customer_id


def test_a_consent_list_is_imported_and_a_bad_row_named(qtbot, tab, tmp_path, error_dialogs):
    customer_id = open_customer(qtbot, tab, NAME)
    email = stored_customer(tab, customer_id)["email"]
    good = tmp_path / "list.csv"
    good.write_text(f"メールアドレス,同意\n{email},はい\nnobody@example.jp,はい\n",
                    encoding="utf-8")
    told = []
    consent_import.import_consents(tab, tab.ctx, good, told.append)
    settle(qtbot)
    assert told == ["2行を読み、1人のお客様のメール同意を記録しました。\n"
                    "顧客に見つからないメールアドレスが 1件ありました（記録していません）。"]
    recorded = state(tab, customer_id)["email"]
    assert (recorded["value"], recorded["source"]) == ("yes", "リスト取込: list.csv")
    assert tab.detail.consent.combos["email"].currentData() == "yes"
    bad = tmp_path / "bad.csv"
    bad.write_text(f"メールアドレス,同意\n{email},たぶん\n", encoding="utf-8")
    consent_import.import_consents(tab, tab.ctx, bad, told.append)
    settle(qtbot)
    assert len(error_dialogs) == 1 and "bad.csv 2行目「同意」列" in error_dialogs[0]
    error_dialogs.clear()
