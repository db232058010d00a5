"""The follow-up rule editor: who gets which touch, when, by which medium."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QSpinBox, \
    QStyledItemDelegate, QVBoxLayout, QWidget

from engine.customers.touches import MEDIUM_LABELS
from engine.marketing.followup_rules import RULE_KEYS, TARGET_LABELS
from gui.widgets.confirm import confirm
from gui.widgets.editable_model import EditableTableModel, editable_view
from gui.widgets.table_model import Column

OPEN_END = "上限なし"
MAX_DAYS = 99999
RULE_COLUMNS = [
    Column("target", "対象", "target", 17),
    Column("min_days", "経過日数（から）", "days", 7),
    Column("max_days", "経過日数（まで）", "days", 7, blank=OPEN_END),
    Column("medium", "手段", "medium", 5),
    Column("action", "内容（メッセージ・同梱物）", "text", 0),
    Column("offset_days", "実施日（月初から）", "days", 8),
]
CHOICES = {"target": TARGET_LABELS, "medium": MEDIUM_LABELS}
DAY_KEYS = {c.key for c in RULE_COLUMNS if c.kind == "days"}


class RulesModel(EditableTableModel):
    """Editable rules; ``max_days`` None means an open-ended band."""

    def __init__(self, parent=None):
        super().__init__(RULE_COLUMNS, ["id", *RULE_KEYS], parent)

    @property
    def rules(self) -> list[dict]:
        return self.records()

    def set_rules(self, rules: list[dict]) -> None:
        self.set_rows(rules)

    def edited(self, key: str, value):
        # The spin box's top value stands for "no upper limit".
        return None if key == "max_days" and value == MAX_DAYS else value

    def add_rule(self, after: int | None = None) -> int:
        """A copy of the rule at ``after`` (or a first sensible rule) below it; returns its row."""
        base = self.row(after) if after is not None else {
            "target": "once", "min_days": 30, "max_days": 60, "medium": "email",
            "action": "", "offset_days": 0}
        base.pop("id", None)
        return self.add_row(self.total_rows() if after is None else after + 1, base)

    def remove_rule(self, row: int) -> None:
        self.remove(row)


class RuleDelegate(QStyledItemDelegate):
    """Choices as combo boxes, day counts as spin boxes (max_days: top = 上限なし)."""

    def createEditor(self, parent, option, index):
        key = RULE_COLUMNS[index.column()].key
        if key in CHOICES:
            editor = QComboBox(parent)
            for code, text in CHOICES[key].items():
                editor.addItem(text, code)
            return editor
        if key in DAY_KEYS:
            editor = QSpinBox(parent)
            editor.setRange(0, MAX_DAYS)
            editor.setSuffix("日")
            if key == "max_days":
                editor.setSpecialValueText("")
                editor.setToolTip(f"{MAX_DAYS}日にすると{OPEN_END}になります。")
            return editor
        return super().createEditor(parent, option, index)

    def setEditorData(self, editor, index):
        value = index.data(Qt.ItemDataRole.EditRole)
        if isinstance(editor, QComboBox):
            editor.setCurrentIndex(max(0, editor.findData(value)))
        elif isinstance(editor, QSpinBox):
            editor.setValue(MAX_DAYS if value is None else int(value))
        else:
            super().setEditorData(editor, index)

    def setModelData(self, editor, model, index):
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentData())
        elif isinstance(editor, QSpinBox):
            model.setData(index, editor.value())
        else:
            super().setModelData(editor, model, index)


class RulesPage(QWidget):
    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.model = RulesModel(self)
        self.view = editable_view(self.model, self._update_buttons)
        self.view.setItemDelegate(RuleDelegate(self.view))
        self.add_button = QPushButton("ルールを追加")
        self.add_button.clicked.connect(self.add_rule)
        self.remove_button = QPushButton("選んだルールを削除")
        self.remove_button.clicked.connect(self.remove_rule)
        self.reset_button = QPushButton("既定に戻す")
        self.reset_button.clicked.connect(self.reset)
        self.mail_button = QPushButton("メールの文面…")
        self.mail_button.setToolTip("手段がメールのルールで送る文面（件名・本文）を編集します。"
                                    "ファイルメニューの「メールの文面…」と同じです。")
        self.mail_button.clicked.connect(self.edit_mail_texts)
        self.save_button = QPushButton("ルールを保存")
        self.save_button.clicked.connect(self.save)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.remove_button, self.reset_button):
            buttons.addWidget(button)
        buttons.addSpacing(16)
        buttons.addWidget(self.mail_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        intro = QLabel("最終購入からの経過日数が範囲に入ったお客様に、月初から指定日数後に"
                       "フォローします。セルをダブルクリックして編集します。"
                       "DM不可のお客様にはDMのタスクを作りません。")
        intro.setWordWrap(True)  # one line of it would not fit a laptop's screen
        layout.addWidget(intro)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        self._update_buttons()

    def refresh(self) -> None:
        if not self.model.dirty:  # never throw away edits the user has not saved yet
            self.ctx.run(self, lambda shop, p, c: shop.followups.rules(), self.model.set_rules)

    def edit_mail_texts(self) -> None:
        from gui.mail_template_dialog import open_mail_templates
        open_mail_templates(self, self.ctx)

    def _selected_row(self) -> int | None:
        rows = self.view.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def _update_buttons(self) -> None:
        self.remove_button.setEnabled(self._selected_row() is not None)
        self.save_button.setEnabled(self.model.dirty)

    def add_rule(self) -> None:
        row = self.model.add_rule(self._selected_row())
        self.view.selectRow(row)

    def remove_rule(self) -> None:
        row = self._selected_row()
        if row is not None:
            self.model.remove_rule(row)

    def save(self) -> None:
        rules = [dict(rule) for rule in self.model.rules]

        def done(_result):
            self.model.dirty = False
            self.refresh()
        self.ctx.run(self, lambda shop, p, c: shop.followups.save_rules(rules), done,
                     changes_data=True)

    def reset(self) -> None:
        if not confirm(self, "フォロールールを最初の設定に戻します。"
                             "いま表示しているルールは置き換えられます。", "既定に戻す"):
            return

        def done(_result):
            self.model.dirty = False
            self.refresh()
        self.ctx.run(self, lambda shop, p, c: shop.followups.reset_rules(), done,
                     changes_data=True)
