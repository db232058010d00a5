"""Pick the other customer of a merge by searching for them."""
from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout

from gui.widgets.confirm import ok_cancel
from gui.widgets.table_model import Column, TableModel
from gui.widgets.table_view import table_view

PICK_COLUMNS = [
    Column("customer_id", "顧客番号", "int", 5),
    Column("name", "氏名", "text", 8),
    Column("kana", "フリガナ", "text", 9),
    Column("phone", "電話番号", "phone", 8),
    Column("address", "住所", "text", 14),
    Column("purchase_count", "購入回数", "int", 4),
    Column("last_purchase", "最終購入日", "date", 6),
]


class MergePickDialog(QDialog):
    """Search as you type; OK is enabled once a customer other than ``exclude`` is chosen."""

    def __init__(self, parent, ctx, exclude: int):
        super().__init__(parent)
        self.setWindowTitle("統合する顧客を選ぶ")
        self.ctx = ctx
        self.exclude = exclude
        self._generation = 0
        self.search = QLineEdit()
        self.search.setPlaceholderText("氏名・フリガナ・電話番号・メールアドレス・顧客番号")
        self._timer = QTimer(self, singleShot=True, interval=150)
        self._timer.timeout.connect(self.run_search)
        self.search.textChanged.connect(lambda _text: self._timer.start())
        self.model = TableModel(PICK_COLUMNS, self)
        self.view = table_view(self.model, sortable=False)
        self.view.doubleClicked.connect(lambda _index: self.accept())
        self.buttons = ok_cancel(self, "このお客様を選ぶ")
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self._update_ok())
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("同じ人だと思われるもう一方のお客様を検索して選んでください。"))
        layout.addWidget(self.search)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.buttons)
        self.resize(self.view.horizontalHeader().length() + 60, 420)
        self._update_ok()

    def run_search(self) -> None:
        self._timer.stop()
        text = self.search.text().strip()
        self._generation += 1
        generation = self._generation

        def done(found):
            if generation == self._generation:
                self.model.set_frame(found[found["customer_id"] != self.exclude])
                if self.model.rowCount():
                    self.view.selectRow(0)
                self._update_ok()
        if text:
            self.ctx.run(self, lambda shop, p, c: shop.customers.search(text, limit=200), done)

    def chosen(self) -> dict | None:
        current = self.view.currentIndex()
        return self.model.row(current.row()) if current.isValid() else None

    def _update_ok(self) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(
            self.chosen() is not None)


def pick_customer(parent, ctx, exclude: int) -> dict | None:
    """The customer the user picked, or None when they cancelled."""
    dialog = MergePickDialog(parent, ctx, exclude)
    return dialog.chosen() if dialog.exec() == QDialog.DialogCode.Accepted else None
