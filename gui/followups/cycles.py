"""購入サイクル: each product's usage cycle beside the one its buyers show, adopted in
one click, and what its buyers buy with it and next (一緒に買われる商品)."""
from __future__ import annotations

import pandas as pd
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHBoxLayout, QLabel, QPushButton, QSplitter, \
    QVBoxLayout, QWidget

from engine.analysis.repurchase import MIN_REPURCHASES
from engine.store.journal import Change
from gui.widgets.table_model import Column, TableModel
from gui.widgets.table_view import table_view

CYCLE_COLUMNS = [
    Column("product_code", "商品コード", "text", 8),
    Column("product_name", "商品名", "text", 0),
    Column("current_cycle_days", "消費サイクル", "days", 6, blank="なし"),
    Column("suggested_cycle_days", "提案サイクル", "days", 6, blank="データ不足"),
    Column("repurchases", "再購入の回数", "int", 6),
    Column("buyers", "購入者数", "int", 5),
    Column("reorder_share", "再購入した割合", "percent", 6),
]
PAIR_COLUMNS = [
    Column("other_code", "商品コード", "text", 8),
    Column("other_name", "商品名", "text", 0),
    Column("customers", "顧客数", "int", 4),
    Column("support", "支持度", "percent", 5),
    Column("lift", "リフト", "ratio", 4),
]
CYCLE_NOTES = (
    "提案サイクルは、その商品だけを買ったお客様が次に注文するまでの日数の中央値です"
    "（もう一度注文したお客様だけで数えます）。"
    f"再購入が{MIN_REPURCHASES}回に満たない商品は「データ不足」です。"
    "行を選んで「提案を採用」を押すとその商品だけ、選ばずに押すと提案のあるすべての商品の"
    "消費サイクルを提案どおりにします（元に戻せます）。")
PAIR_NOTES = ("支持度: 購入者全体のうちその組み合わせで買った人の割合。"
              "リフト: その商品を買った人が相手の商品を買う割合が、全体の何倍か（1より大きいほど結びつきが強い）。")


class CyclesPage(QWidget):
    """Usage cycles: the shop's, the learned suggestion and the evidence behind it."""

    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self._next = self._together = pd.DataFrame()
        self.model = TableModel(CYCLE_COLUMNS, self)
        self.view = table_view(self.model)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._on_selection())
        self.adopt_button = QPushButton("提案を採用")
        self.adopt_button.clicked.connect(self.adopt)
        self.count = QLabel()
        self.status = QLabel()
        notes = QLabel(CYCLE_NOTES)
        notes.setWordWrap(True)

        self.next_model = TableModel(PAIR_COLUMNS, self)
        self.together_model = TableModel(PAIR_COLUMNS, self)
        self.pair_title = QLabel()
        pairs = QWidget()
        pair_layout = QVBoxLayout(pairs)
        pair_layout.setContentsMargins(0, 0, 0, 0)
        pair_layout.addWidget(self.pair_title)
        tables = QHBoxLayout()
        for title, model in (("次の注文で買われる商品", self.next_model),
                             ("同じ注文で一緒に買われる商品", self.together_model)):
            column = QVBoxLayout()
            column.addWidget(QLabel(title))
            column.addWidget(table_view(model), 1)
            tables.addLayout(column)
        pair_layout.addLayout(tables, 1)
        pair_notes = QLabel(PAIR_NOTES)
        pair_notes.setWordWrap(True)
        pair_layout.addWidget(pair_notes)

        buttons = QHBoxLayout()
        buttons.addWidget(self.count)
        buttons.addSpacing(16)
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.adopt_button)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(notes)
        top_layout.addWidget(self.view, 1)
        top_layout.addLayout(buttons)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(pairs)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self._on_selection()

    def refresh(self) -> None:
        as_of = self.ctx.as_of
        self.ctx.run(self, lambda shop, p, c: (shop.products.suggest_cycles(as_of),
                                               shop.products.next_products(as_of),
                                               shop.products.bought_together(as_of)), self._show)

    def _show(self, loaded) -> None:
        table, self._next, self._together = loaded
        self.model.set_frame(table)
        suggested = int(table["suggested_cycle_days"].notna().sum())
        self.count.setText(f"{len(table):,}商品のうち {suggested:,}商品に提案があります")
        self._on_selection()

    def selected_codes(self) -> list[str]:
        rows = sorted(index.row() for index in self.view.selectionModel().selectedRows())
        return [self.model.value(row, "product_code") for row in rows]

    def _on_selection(self) -> None:
        codes = self.selected_codes()
        self.adopt_button.setText("選んだ商品の提案を採用" if codes else "提案を採用")
        code = codes[0] if len(codes) == 1 else None
        names = self.model.frame.set_index("product_code")["product_name"] \
            if len(self.model.frame) else pd.Series(dtype=object)
        self.pair_title.setText(
            f"「{names.get(code, code)}」を買ったお客様が一緒に・次に買った商品" if code
            else "商品を1つ選ぶと、一緒に・次に買われた商品を表示します")
        for model, pairs, other in ((self.next_model, self._next, "next_product"),
                                    (self.together_model, self._together, "with_product")):
            if code is None or pairs.empty:
                model.set_frame(pd.DataFrame(columns=[c.key for c in PAIR_COLUMNS]))
                continue
            model.set_frame(pairs.loc[pairs["product_code"] == code].rename(columns={
                f"{other}_code": "other_code", f"{other}_name": "other_name"}))

    def adopt(self) -> None:
        codes = self.selected_codes() or None

        def done(change: Change) -> None:
            count = change.counts.get("products", 0)
            self.status.setText(f"{count:,}商品の消費サイクルを提案どおりにしました" if count
                                else "変更はありませんでした（提案どおりか、提案がありません）")
        as_of = self.ctx.as_of
        self.ctx.run(self, lambda shop, p, c: shop.products.adopt_suggested_cycles(codes, as_of),
                     done, changes_data=True)
