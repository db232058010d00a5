"""The rule editor is the one table model with editing: days, open ends and labels
shown by the formatting policy, rows added and removed in place."""
from PySide6.QtCore import Qt

from gui.followups.rules import MAX_DAYS, RulesModel

RULES = [
    {"id": 1, "target": "top1", "min_days": 45, "max_days": None, "medium": "phone",
     "action": "店長からお礼の電話", "offset_days": 0},
    {"id": 2, "target": "once", "min_days": 30, "max_days": 60, "medium": "dm",
     "action": "2回目購入の特典", "offset_days": 14},
]


def shown(model: RulesModel) -> list[list[str]]:
    return [[model.index(r, c).data() for c in range(model.columnCount())]
            for r in range(model.rowCount())]


def test_rules_show_labels_days_and_open_ends(qtmodeltester):
    model = RulesModel()
    model.set_rules(RULES)
    qtmodeltester.check(model)
    assert shown(model) == [
        ["TOP1%", "45日", "上限なし", "電話", "店長からお礼の電話", "0日"],
        ["1回購入", "30日", "60日", "DM", "2回目購入の特典", "14日"]]
    assert model.index(0, 2).data(Qt.ItemDataRole.EditRole) is None
    assert model.headerData(2, Qt.Orientation.Horizontal) == "経過日数（まで）"
    assert not model.dirty


def test_edits_change_the_rules_and_mark_them_unsaved(qtmodeltester):
    model = RulesModel()
    model.set_rules(RULES)
    assert model.setData(model.index(1, 2), MAX_DAYS)   # the spin box's top: no upper limit
    assert model.setData(model.index(1, 3), "email")
    assert model.dirty
    assert model.rules[1] == {"id": 2, "target": "once", "min_days": 30, "max_days": None,
                              "medium": "email", "action": "2回目購入の特典", "offset_days": 14}
    assert shown(model)[1][2:4] == ["上限なし", "メール"]
    qtmodeltester.check(model)


def test_a_rule_is_added_as_a_copy_below_and_removed(qtmodeltester):
    model = RulesModel()
    model.set_rules(RULES)
    assert model.add_rule(0) == 1
    assert model.rules[1] == {**RULES[0], "id": None}
    assert model.add_rule() == 3
    assert model.rules[3] == {"id": None, "target": "once", "min_days": 30, "max_days": 60,
                              "medium": "email", "action": "", "offset_days": 0}
    model.remove_rule(0)
    assert [r["id"] for r in model.rules] == [None, 2, None]
    qtmodeltester.check(model)
