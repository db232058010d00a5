"""今日の仕事: a task another desktop checked off while this one had it on screen."""
import pytest

from gui.today import tab as today
from gui.context import AppContext
from gui.today.tab import TodayTab
from tests.gui.today.test_tab import AS_OF, make_shop, row_of, select, stored, task_id
from tests.support.engine_side import on_engine
from tests.support.sample_shop import settle

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


@pytest.fixture
def tab(qtbot):
    ctx = AppContext(on_engine(make_shop))
    ctx.set_as_of(AS_OF)
    tab = TodayTab(ctx)
    qtbot.addWidget(tab)
    tab.resize(1280, 700)
    tab.show()
    settle(qtbot)
    return tab


def test_checking_off_rows_another_desktop_did_first_is_refused_and_the_list_reread(
        qtbot, tab, monkeypatch, error_dialogs):
    phone, insert = task_id(tab, 1, "phone"), task_id(tab, 4, "insert")
    select(tab, [row_of(tab, 1, "phone"), row_of(tab, 4, "insert")])
    shop = tab.ctx.shop
    rows = tab.model.rowCount()

    def meanwhile(parent, tasks):
        def other():          # 鈴木 calls customer 1 on another desktop meanwhile
            shop.staff = "鈴木"
            shop.followups.check_off(phone, "2025-03-05", "phone", "在宅")
            shop.staff = "山田"
        on_engine(other)
        return "2025-03-06", "対応済み"
    monkeypatch.setattr(today, "ask_check_off_many", meanwhile)
    tab.check_button.click()
    settle(qtbot)
    assert len(error_dialogs) == 1 and error_dialogs[0].startswith("この対応は鈴木さんが")
    error_dialogs.clear()
    after = stored(tab)
    # Nothing of 山田's recorded: the insert task is still open, the call is 鈴木's.
    assert (after.loc[phone, "status"], after.loc[phone, "done_by"],
            after.loc[phone, "result"]) == ("done", "鈴木", "在宅")
    assert after.loc[insert, "status"] == "open"
    assert on_engine(lambda: shop.db.scalar("SELECT count(*) FROM touches")) == 1
    # The list was read again: the call is gone from it, the insert still there.
    assert tab.model.rowCount() == rows - 1
    assert phone not in tab.model.frame["task_id"].tolist()
    assert insert in tab.model.frame["task_id"].tolist()
