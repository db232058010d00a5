"""回数フォローの同梱物: which insert goes into the parcel of each purchase number, and
the insert for a number without a rule of its own (the 同梱物リスト uses both)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox,
                               QStyledItemDelegate, QVBoxLayout, QWidget)

from engine.marketing.count_program import RULE_KEYS
from gui.errors import ERROR_STYLE, show_in_form
from gui.widgets.confirm import confirm
from gui.widgets.editable_model import EditableTableModel, editable_view
from gui.widgets.table_model import Column

RULE_COLUMNS = [
    Column("purchase_number", "購入回数", "int", 5),
    Column("insert_name", "同梱物", "text", 26),
    Column("insert_b", "同梱物B（A/B比較・任意）", "text", 20),
    Column("note", "メモ（ねらい）", "text", 0),
]


class CountRulesModel(EditableTableModel):
    def __init__(self, parent=None):
        super().__init__(RULE_COLUMNS, list(RULE_KEYS), parent)

    def set_rules(self, rules: list[dict]) -> None:
        self.set_rows(rules)

    def add_rule(self) -> int:
        numbers = [int(n) for n in self.frame["purchase_number"] if n is not None]
        return self.add_row(self.total_rows(), {
            "purchase_number": max(numbers, default=0) + 1, "insert_name": "", "note": "",
            "insert_b": ""})

    def remove_rule(self, row: int) -> None:
        self.remove(row)


class NumberDelegate(QStyledItemDelegate):
    def createEditor(self, parent, option, index):
        if RULE_COLUMNS[index.column()].key == "purchase_number":
            editor = QSpinBox(parent)
            editor.setRange(1, 9999)
            editor.setSuffix("回目")
            return editor
        return super().createEditor(parent, option, index)

    def setEditorData(self, editor, index):
        if isinstance(editor, QSpinBox):
            editor.setValue(int(index.data(Qt.ItemDataRole.EditRole) or 1))
        else:
            super().setEditorData(editor, index)

    def setModelData(self, editor, model, index):
        if isinstance(editor, QSpinBox):
            model.setData(index, editor.value())
        else:
            super().setModelData(editor, model, index)


class CountProgramDialog(QDialog):
    def __init__(self, parent: QWidget | None, ctx):
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("回数フォローの同梱物")
        self._undo: list[int] = []
        self._saved_default = ""
        self.model = CountRulesModel(self)
        self.view = editable_view(self.model, self._update_buttons)
        self.view.setItemDelegate(NumberDelegate(self.view))
        self.default_insert = QLineEdit()
        self.default_insert.setPlaceholderText("空欄なら、ルールのない回には何も入れません")
        self.default_insert.textChanged.connect(lambda _t: self._update_buttons())
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.status = QLabel()

        self.add_button = QPushButton("行を追加")
        self.add_button.clicked.connect(self.add_rule)
        self.remove_button = QPushButton("選んだ行を削除")
        self.remove_button.clicked.connect(self.remove_rule)
        self.reset_button = QPushButton("標準に戻す")
        self.reset_button.clicked.connect(self.reset)
        self.undo_button = QPushButton("元に戻す")
        self.undo_button.setToolTip("この画面で直前に保存した同梱物の表を取り消します。")
        self.undo_button.clicked.connect(self.undo)
        self.save_button = QPushButton("保存")
        self.save_button.clicked.connect(self.save)
        close_button = QPushButton("閉じる")
        close_button.clicked.connect(self.reject)

        intro = QLabel("お客様の購入回数に合わせて、発送する荷物に入れる同梱物を決めます。"
                       "セルをダブルクリックして編集します。未対応の「同梱物」のフォローは、"
                       "そのお客様の次の荷物に一緒に入ります。「同梱物B」を入れると、その回のお客様を"
                       "無作為に半分ずつに分けてAとBを入れ、どちらが次の注文につながったかを比べます"
                       "（コマンド effects --inserts）。")
        intro.setWordWrap(True)
        default_row = QHBoxLayout()
        default_row.addWidget(QLabel("ルールのない回に入れる同梱物"))
        default_row.addWidget(self.default_insert, 1)
        edit_row = QHBoxLayout()
        for button in (self.add_button, self.remove_button, self.reset_button):
            edit_row.addWidget(button)
        edit_row.addStretch(1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        for button in (self.undo_button, self.save_button, close_button):
            bottom.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.view, 1)
        layout.addLayout(edit_row)
        layout.addLayout(default_row)
        layout.addWidget(self.error)
        layout.addLayout(bottom)
        self.resize(900, 520)
        self._update_buttons()
        self.load()

    def load(self) -> None:
        self.ctx.run(self, lambda shop, p, c: (shop.count_program.rules(),
                                               shop.count_program.default_insert()), self._show)

    def _show(self, loaded) -> None:
        rules, default = loaded
        self.model.set_rules(rules)
        self._saved_default = default
        self.default_insert.setText(default)
        self._update_buttons()

    def dirty(self) -> bool:
        return self.model.dirty or self.default_insert.text().strip() != self._saved_default

    def _selected_row(self) -> int | None:
        rows = self.view.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def _update_buttons(self) -> None:
        self.remove_button.setEnabled(self._selected_row() is not None)
        self.save_button.setEnabled(self.dirty())
        self.undo_button.setEnabled(bool(self._undo))

    def add_rule(self) -> None:
        row = self.model.add_rule()
        self.view.selectRow(row)
        self.view.edit(self.model.index(row, 1))

    def remove_rule(self) -> None:
        row = self._selected_row()
        if row is not None:
            self.model.remove_rule(row)

    def _failed(self, exc: BaseException) -> None:
        show_in_form(self, self.error, exc)
        self.status.clear()

    def save(self) -> None:
        """The table as one undoable operation; the default insert is a setting."""
        rules = [dict(rule) for rule in self.model.records()]
        default = self.default_insert.text().strip()
        rules_changed = self.model.dirty

        def op(shop, progress, cancel):
            change = shop.count_program.save_rules(rules) if rules_changed else None
            shop.count_program.set_default_insert(default)
            return change

        def done(change) -> None:
            if change is not None:
                self._undo.append(change.operation)
            self.error.clear()
            self.status.setText("保存しました。")
            self.load()
        self.ctx.run(self, op, done, changes_data=True, failure=self._failed)

    def reset(self) -> None:
        if not confirm(self, "同梱物の表を最初の設定に戻します（「元に戻す」で取り消せます）。",
                       "標準に戻す"):
            return

        def done(change) -> None:
            self._undo.append(change.operation)
            self.status.setText("標準の表に戻しました。")
            self.load()
        self.ctx.run(self, lambda shop, p, c: shop.count_program.reset_rules(), done,
                     changes_data=True, failure=self._failed)

    def undo(self) -> None:
        operation = self._undo[-1]

        def done(_result) -> None:
            self._undo.pop()
            self.status.setText("直前の変更を取り消しました。")
            self.load()
        self.ctx.run(self, lambda shop, p, c: shop.journal.undo(operation), done,
                     changes_data=True)

    def reject(self) -> None:
        if self.dirty() and not confirm(self, "保存していない変更があります。閉じますか？", "閉じる"):
            return
        super().reject()


def open_count_program(parent: QWidget, ctx) -> CountProgramDialog:
    dialog = CountProgramDialog(parent, ctx)
    dialog.open()
    return dialog
