"""Who checked off each task (担当), and a task another desktop checked off first."""
import pytest
from PySide6.QtCore import Qt

from gui.followups import tasks as followup_tasks
from tests.gui.followups.test_tab import generate, stored_tasks
from tests.support.engine_side import on_engine
from tests.support.sample_shop import settle

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


def column(model, title):
    return [model.headerData(i, Qt.Orientation.Horizontal)
            for i in range(model.columnCount())].index(title)


def test_the_task_list_names_who_checked_off(qtbot, tab, monkeypatch):
    generate(qtbot, tab, "2025-11", monkeypatch)
    shop = tab.ctx.shop
    on_engine(lambda: setattr(shop, "staff", "山田"))
    page = tab.tasks
    page.view.selectRow(0)
    task = page.current_task()
    monkeypatch.setattr(followup_tasks, "ask_check_off",
                        lambda parent, t: ("2025-11-05", "phone", ""))
    page.check_button.click()
    settle(qtbot)
    row = int(page.model.frame.index[page.model.frame["task_id"] == task["task_id"]][0])
    staff = column(page.model, "担当")
    assert page.model.index(row, staff).data() == "山田"
    others = [page.model.index(r, staff).data() for r in range(page.model.rowCount()) if r != row]
    assert set(others) == {""}


def test_a_task_another_desktop_checked_off_first_is_refused_and_shown_done(
        qtbot, tab, monkeypatch, error_dialogs):
    generate(qtbot, tab, "2025-11", monkeypatch)
    shop = tab.ctx.shop
    page = tab.tasks
    page.view.selectRow(0)
    task = page.current_task()
    assert task["status"] == "open"

    def meanwhile(parent, t):
        # 鈴木 checks it off on another desktop while 山田's dialog is open.
        def other():
            shop.staff = "鈴木"
            shop.followups.check_off(int(t["task_id"]), "2025-11-04", "phone", "")
            shop.staff = "山田"
        on_engine(other)
        return "2025-11-05", "phone", "山田の記録"
    monkeypatch.setattr(followup_tasks, "ask_check_off", meanwhile)
    page.check_button.click()
    settle(qtbot)
    assert len(error_dialogs) == 1 and error_dialogs[0].startswith("この対応は鈴木さんが")
    error_dialogs.clear()
    stored = stored_tasks(tab).set_index("task_id").loc[task["task_id"]]
    assert (stored["done_on"], stored["done_by"], stored["result"]) == ("2025-11-04", "鈴木", "")
    assert on_engine(lambda: shop.db.scalar("SELECT count(*) FROM touches WHERE customer_id = ?",
                                            (int(task["customer_id"]),))) == 1
    row = int(page.model.frame.index[page.model.frame["task_id"] == task["task_id"]][0])
    assert page.model.index(row, column(page.model, "担当")).data() == "鈴木"
    assert page.model.index(row, 6).data() == "済"
