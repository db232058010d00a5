"""Who did it on the 顧客 detail, and a note or merge another desktop got to first
(written straight into the database as that desktop would): nothing typed is lost."""
from datetime import datetime

import pytest
from PySide6.QtCore import Qt

from gui.customers import detail as customer_detail
from gui.customers.notes_conflict import joined_notes
from tests.gui.customers.test_tab import open_customer, shown_tab, stored_customer
from tests.support.engine_side import on_engine
from tests.support.sample_shop import settle

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


@pytest.fixture
def tab(qtbot):
    tab = shown_tab(qtbot)
    shop = tab.ctx.shop
    on_engine(lambda: setattr(shop, "staff", "山田"))
    return tab


def other_desktop_saves_note(tab, customer_id, text, staff="鈴木"):
    shop = tab.ctx.shop
    at = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    on_engine(lambda: shop.db.execute(
        "UPDATE customers SET notes = ?, notes_by = ?, notes_at = ? WHERE id = ?",
        (text, staff, at, customer_id)))
    return at


def test_the_contact_log_and_the_note_name_who(qtbot, tab):
    customer_id = open_customer(qtbot, tab, "渡辺 香織")
    detail = tab.detail
    assert detail.notes_stamp.text() == ""
    shop = tab.ctx.shop
    on_engine(lambda: shop.touches.record([customer_id], "phone", "お礼の電話",
                                          on="2025-11-03", source="followup"))
    detail.notes.setPlainText("敏感肌")
    detail.save_notes_button.click()
    settle(qtbot)
    stored = stored_customer(tab, customer_id)
    assert (stored["notes"], stored["notes_by"]) == ("敏感肌", "山田")
    assert detail.notes_stamp.text() == f"最終更新: 山田 {stored['notes_at'][11:16]}"
    touches = detail.touches
    headers = [touches.headerData(i, Qt.Orientation.Horizontal)
               for i in range(touches.columnCount())]
    assert headers[-1] == "担当"
    assert touches.index(0, len(headers) - 1).data() == "山田"


def test_a_note_changed_on_another_desktop_keeps_what_was_typed(qtbot, tab, monkeypatch):
    monkeypatch.setattr(customer_detail, "NOTES_AUTOSAVE_MS", 50)
    customer_id = open_customer(qtbot, tab, "渡辺 香織")
    detail = tab.detail
    other_desktop_saves_note(tab, customer_id, "鈴木のメモ")
    detail.notes.setPlainText("山田のメモ")
    detail.save_notes_button.click()
    settle(qtbot)
    # Refused: 鈴木's note stays, 山田's text stays in the editor, both shown side by side.
    assert stored_customer(tab, customer_id)["notes"] == "鈴木のメモ"
    assert detail.notes.toPlainText() == "山田のメモ"
    dialog = detail.notes_dialog
    assert dialog.isVisible()
    assert "鈴木さんが" in dialog.findChild(type(detail.title)).text()
    assert (dialog.current_view.toPlainText(), dialog.mine_view.toPlainText()) == (
        "鈴木のメモ", "山田のメモ")
    assert detail.notes_stamp.text().startswith("最終更新: 鈴木 ")
    # Nothing saves itself over 鈴木's note, not even on showing another customer.
    qtbot.wait(300)
    settle(qtbot)
    assert stored_customer(tab, customer_id)["notes"] == "鈴木のメモ"
    dialog.join_button.click()
    assert detail.notes.toPlainText() == "鈴木のメモ\n山田のメモ"
    qtbot.waitUntil(lambda: stored_customer(tab, customer_id)["notes"]
                    == "鈴木のメモ\n山田のメモ", timeout=5000)
    assert stored_customer(tab, customer_id)["notes_by"] == "山田"


def test_a_note_changed_on_another_desktop_while_typing_is_not_written_over(qtbot, tab):
    """The other desktop's change reloads the detail (a server shop hears of it) while
    山田 begins typing: the typed text stays, and saving it is refused, not written
    over the note that came in meanwhile."""
    customer_id = open_customer(qtbot, tab, "渡辺 香織")
    detail = tab.detail
    other_desktop_saves_note(tab, customer_id, "鈴木のメモ")
    tab.ctx.data_changed.emit()            # the reload is on its way …
    detail.notes.setPlainText("山田のメモ")  # … as 山田 types
    detail._notes_timer.stop()
    settle(qtbot)
    assert detail.notes.toPlainText() == "山田のメモ"
    assert stored_customer(tab, customer_id)["notes"] == "鈴木のメモ"
    detail.save_notes_button.click()
    settle(qtbot)
    assert stored_customer(tab, customer_id)["notes"] == "鈴木のメモ"
    assert detail.notes_dialog.isVisible()
    assert detail.notes_dialog.current_view.toPlainText() == "鈴木のメモ"
    assert detail.notes.toPlainText() == "山田のメモ"


def test_joined_notes_keep_each_text_once():
    assert joined_notes("", "山田") == "山田"
    assert joined_notes("鈴木", "鈴木\n山田") == "鈴木\n山田"
    assert joined_notes("鈴木\n山田", "鈴木") == "鈴木\n山田"
    assert joined_notes("鈴木", "山田") == "鈴木\n山田"
    # Both added to the note they opened: the opened text once, then each addition.
    assert joined_notes("元\n鈴木", "元\n山田", seen="元") == "元\n鈴木\n山田"
    assert joined_notes("元\n鈴木", "元", seen="元") == "元\n鈴木"


def test_merging_a_customer_merged_away_meanwhile_is_refused(
        qtbot, tab, monkeypatch, error_dialogs):
    other_id = open_customer(qtbot, tab, "小林 健一")
    third_id = open_customer(qtbot, tab, "渡辺 香織")
    keep_id = open_customer(qtbot, tab, "石川 涼平")
    shop = tab.ctx.shop
    monkeypatch.setattr(customer_detail, "pick_customer",
                        lambda parent, ctx, exclude: {"customer_id": other_id,
                                                      "name": "小林 健一"})

    def meanwhile(parent, text, ok):
        # 鈴木 merges 小林 into 渡辺 while 山田 reads the question.
        def merge():
            shop.staff = "鈴木"
            shop.customers.merge(third_id, other_id)
            shop.staff = "山田"
        on_engine(merge)
        return True
    monkeypatch.setattr(customer_detail, "confirm", meanwhile)
    tab.detail.merge_button.click()
    settle(qtbot)
    assert len(error_dialogs) == 1
    assert error_dialogs[0].startswith(f"顧客 {other_id} は、選んだあとで鈴木さんが")
    assert "統合は行っていません" in error_dialogs[0]
    error_dialogs.clear()
    counts = on_engine(lambda: shop.db.query(
        "SELECT customer_id, count(*) AS n FROM orders WHERE customer_id IN (?, ?, ?) "
        "GROUP BY customer_id ORDER BY customer_id", (keep_id, third_id, other_id)))
    assert {r["customer_id"] for r in counts} == {keep_id, third_id}
