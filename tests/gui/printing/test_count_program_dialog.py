"""回数フォローの同梱物: the rules table and the default insert saved, refused in
Japanese when wrong, undone and reset."""
import pytest

from engine.marketing.count_program import default_rules
from gui.context import AppContext
from gui.printing import count_program_dialog
from gui.printing.count_program_dialog import CountProgramDialog
from tests.support.engine_side import on_engine
from tests.support.sample_shop import sample_shop, settle

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


@pytest.fixture
def dialog(qtbot, monkeypatch):
    monkeypatch.setattr(count_program_dialog, "confirm", lambda *a: True)
    dialog = CountProgramDialog(None, AppContext(sample_shop()))
    qtbot.addWidget(dialog)
    dialog.show()
    settle(qtbot)
    return dialog


def stored(dialog):
    shop = dialog.ctx.shop
    return on_engine(lambda: (shop.count_program.rules(), shop.count_program.default_insert()))


def test_it_shows_the_rules_and_saves_a_new_one_and_the_default_insert(qtbot, dialog):
    bundled = default_rules()
    assert dialog.model.records() == bundled
    assert dialog.default_insert.text() == "" and not dialog.save_button.isEnabled()
    row = dialog.model.add_rule()
    model = dialog.model
    model.setData(model.index(row, 0), 4)
    model.setData(model.index(row, 1), "4回目のお礼カード")
    dialog.default_insert.setText("季節のおたより")
    assert dialog.save_button.isEnabled()
    dialog.save_button.click()
    settle(qtbot)
    rules, default = stored(dialog)
    assert default == "季節のおたより"
    assert {r["purchase_number"]: r["insert_name"] for r in rules}[4] == "4回目のお礼カード"
    assert [r["purchase_number"] for r in rules] == sorted(
        [r["purchase_number"] for r in bundled] + [4])
    assert dialog.status.text() == "保存しました。" and not dialog.save_button.isEnabled()
    # The table is undone; the default insert stays (a setting, not in the journal).
    dialog.undo_button.click()
    settle(qtbot)
    rules, default = stored(dialog)
    assert rules == bundled and default == "季節のおたより"
    assert dialog.model.records() == bundled


def test_a_duplicate_number_is_refused_in_japanese(qtbot, dialog):
    model = dialog.model
    row = dialog.model.add_rule()
    model.setData(model.index(row, 0), 1)
    model.setData(model.index(row, 1), "二重")
    dialog.save_button.click()
    settle(qtbot)
    assert "1回目の同梱物がほかの行と重複しています" in dialog.error.text()
    assert stored(dialog)[0] == default_rules()


def test_reset_goes_back_to_the_bundled_rules(qtbot, dialog):
    shop = dialog.ctx.shop
    on_engine(lambda: shop.count_program.save_rules([{"purchase_number": 2,
                                                      "insert_name": "だけ"}]))
    dialog.load()
    settle(qtbot)
    assert dialog.model.records() == [{"purchase_number": 2, "insert_name": "だけ", "note": "",
                                       "insert_b": ""}]
    dialog.reset_button.click()
    settle(qtbot)
    assert stored(dialog)[0] == default_rules() and dialog.model.records() == default_rules()
