"""顧客: search as you type, a filterable customer list and the customer's detail (SPEC §5)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QLineEdit, \
    QPushButton, QSplitter, QVBoxLayout, QWidget

from engine.analysis.rfm import CLUSTER_LABELS, CLUSTERS
from engine.errors import OtokuiError
from engine.export import write_table
from engine.imports.normalize import display_phone
from gui.customers.detail import CustomerDetail
from gui.errors import show_error
from gui.widgets.file_dialogs import save_path
from gui.widgets.lazy_refresh import RefreshOnShow
from gui.widgets.table_model import Column, TableModel
from gui.widgets.table_view import table_view

SEARCH_LIMIT = 1000
DEBOUNCE_MS = 150

# E-mail is searched but shown only in the detail pane: the list must fit beside it.
LIST_COLUMNS = [
    Column("customer_id", "顧客番号", "int", 4),
    Column("name", "氏名", "text", 6),
    Column("kana", "フリガナ", "text", 8),
    Column("phone", "電話番号", "phone", 8),
    Column("cluster", "クラスター", "cluster", 5),
    Column("purchase_count", "回数", "int", 2),
    Column("total_amount", "累計購入額", "yen", 5),
    Column("last_purchase", "最終購入日", "date", 6),
    Column("recency_days", "経過日数", "days", 4),
    Column("due", "フォロー", "yesno", 4),
    Column("cycle_status", "サイクル", "text", 5),
    Column("dm_ok", "DM可", "yesno", 3),
]
# A search finds customers by their contact details; what they bought is shown as of
# the 基準日, as in the list (the search's own counts are over all orders).
_METRICS = ["cluster", "purchase_count", "total_amount", "last_purchase", "recency_days", "due",
            "cycle_status"]


# Why 要フォローのみ shows nobody in a shop that registered no usage cycle.
NO_CYCLES_NOTE = ("消費サイクルが登録された商品がないため、要フォローのお客様はいません。"
                  "商品リスト（商品コード・消費サイクル(日)）を取込タブにドロップして登録してください。")

# The saved list: Japanese headers, codes as the shop reads them.
EXPORT_COLUMNS = {
    "customer_id": "顧客番号", "name": "氏名", "kana": "フリガナ", "postal_code": "郵便番号",
    "address": "住所", "phone": "電話番号", "email": "メールアドレス", "cluster": "クラスター",
    "purchase_count": "購入回数", "total_amount": "累計購入額", "first_purchase": "初回購入日",
    "last_purchase": "最終購入日", "recency_days": "経過日数", "due": "要フォロー",
    "cycle_status": "購入サイクル", "dm_ok": "DM可",
}


def export_frame(table: pd.DataFrame, customer_ids: list[int]) -> pd.DataFrame:
    """The customers ``customer_ids`` (in that order) as the saved list shows them."""
    rows = table.set_index("customer_id").loc[customer_ids].reset_index()
    rows["phone"] = rows["phone"].fillna("").map(display_phone)
    rows["cluster"] = rows["cluster"].map(CLUSTER_LABELS).fillna("")
    rows["due"] = rows["due"].map({True: "○", False: ""})
    rows["dm_ok"] = rows["dm_ok"].map({1: "○", 0: "×"})
    return rows[list(EXPORT_COLUMNS)].rename(columns=EXPORT_COLUMNS)


def load_customer_list(shop, as_of) -> pd.DataFrame:
    """Every customer with a purchase by ``as_of``, with cluster, R value, due flag and
    DM permission as of then; ``cycle_status`` empty (see :func:`load_cycle_statuses`)."""
    table = shop.customers.table(as_of)
    table["due"] = table["customer_id"].isin(shop.products.due_targets(as_of)["customer_id"])
    table["cycle_status"] = ""
    return table


def load_cycle_statuses(shop, as_of) -> pd.Series:
    """Where each customer stands against their last product's cycle (customer_id →
    status). Loaded after the list: on a five-year shop learning the cycles takes
    ~2.5 s the first time, and the list should not wait for one column."""
    return shop.products.cycle_status(as_of).set_index("customer_id")["status"]


class CustomersTab(RefreshOnShow, QWidget):
    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self._base = pd.DataFrame(columns=[c.key for c in LIST_COLUMNS])
        self._found: pd.DataFrame | None = None  # search result, None when the box is empty
        self._generation = 0
        self._selected_id: int | None = None
        # Whether any product has a usage cycle: without one nobody is 要フォロー.
        self._cycles_known = True

        self.search = QLineEdit()
        self.search.setPlaceholderText("氏名・フリガナ・電話番号・メールアドレス・顧客番号で検索")
        self.search.setClearButtonEnabled(True)
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self.run_search)
        self.search.textChanged.connect(lambda _text: self._timer.start())

        self.cluster = QComboBox()
        self.cluster.addItem("すべてのクラスター", None)
        for code in CLUSTERS:
            self.cluster.addItem(CLUSTER_LABELS[code], code)
        self.due_only = QCheckBox("要フォローのみ")
        self.due_only.setToolTip("最後に買った商品の消費サイクルを過ぎたお客様だけを表示します。")
        self.dm_only = QCheckBox("DM可のみ")
        for signal in (self.cluster.currentIndexChanged, self.due_only.toggled,
                       self.dm_only.toggled):
            signal.connect(self.apply_filters)
        self.count = QLabel()
        self.due_note = QLabel(NO_CYCLES_NOTE)
        self.due_note.setWordWrap(True)
        self.due_note.setVisible(False)
        self.export_button = QPushButton("表示中の一覧を保存…")
        self.export_button.setToolTip("いま表示している顧客（検索・絞り込みの結果）を Excel か CSV に保存します。")
        self.export_button.clicked.connect(lambda: self.export_shown())

        self.model = TableModel(LIST_COLUMNS, self)
        self.view = table_view(self.model)
        self.view.selectionModel().currentRowChanged.connect(self._on_current)
        self.detail = CustomerDetail(ctx, self, metrics=self.metrics_of)
        self.detail.customer_created.connect(self.select_customer)

        filters = QHBoxLayout()
        filters.addWidget(self.cluster)
        filters.addWidget(self.due_only)
        filters.addWidget(self.dm_only)
        filters.addStretch(1)
        filters.addWidget(self.count)
        filters.addWidget(self.export_button)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.search)
        left_layout.addLayout(filters)
        left_layout.addWidget(self.due_note)
        left_layout.addWidget(self.view, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 1)
        splitter.setSizes([self.view.horizontalHeader().length() + 24, 440])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self.watch(ctx, as_of=True)

    # --- loading ------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload the list (and the open customer) from the database."""
        as_of = self.ctx.as_of
        self.ctx.run(self, lambda shop, progress, cancel: (
            load_customer_list(shop, as_of), shop.products.cycles_known()), self._on_loaded)
        self.ctx.run(self, lambda shop, progress, cancel: load_cycle_statuses(shop, as_of),
                     lambda statuses: self._on_statuses(as_of, statuses))

    def _on_loaded(self, loaded: tuple[pd.DataFrame, bool]) -> None:
        self._base, self._cycles_known = loaded
        if self.search.text().strip():
            self.run_search()
        else:
            self.apply_filters()
        if self._selected_id is not None:
            self.detail.show_customer(self._selected_id)

    def _on_statuses(self, as_of, statuses: pd.Series) -> None:
        if as_of != self.ctx.as_of:     # a newer load is on its way
            return
        self._base = self._base.assign(cycle_status=self._base["customer_id"].map(
            statuses).astype(object).fillna(""))
        self.apply_filters()
        if self._selected_id is not None:   # the open customer's figure, without a reload
            self.detail.figures["cycle_status"].setText(
                statuses.get(self._selected_id) or "—")

    def run_search(self) -> None:
        """Search on the worker; a result that a newer keystroke overtook is dropped."""
        self._timer.stop()
        text = self.search.text().strip()
        self._generation += 1
        generation = self._generation
        if not text:
            self._found = None
            self.apply_filters()
            return

        def op(shop, progress, cancel):
            if generation != self._generation:  # typing went on while this job queued
                return None
            return shop.customers.search(text, limit=SEARCH_LIMIT)

        def done(found):
            if found is not None and generation == self._generation:
                self._found = found
                self.apply_filters()

        self.ctx.run(self, op, done)

    def search_pending(self) -> bool:
        return self._timer.isActive()

    # --- the list -----------------------------------------------------------------

    def _rows(self) -> pd.DataFrame:
        if self._found is None:
            return self._base
        metrics = self._base.set_index("customer_id")[_METRICS]
        rows = self._found.drop(columns=[c for c in _METRICS if c in self._found.columns])
        rows = rows.join(metrics, on="customer_id")
        rows["due"] = rows["due"].fillna(False).astype(bool)
        rows[["purchase_count", "total_amount"]] = (
            rows[["purchase_count", "total_amount"]].fillna(0).astype("int64"))
        return rows

    def apply_filters(self) -> None:
        rows = self._rows()
        mask = pd.Series(True, index=rows.index)
        cluster = self.cluster.currentData()
        if cluster is not None:
            mask &= rows["cluster"] == cluster
        if self.due_only.isChecked():
            mask &= rows["due"].astype(bool)
        if self.dm_only.isChecked():
            mask &= rows["dm_ok"].astype(bool)
        shown = rows[mask]
        self.model.set_frame(shown)
        total = len(self._base)
        if self._found is not None:
            more = "（多いため先頭のみ）" if len(self._found) >= SEARCH_LIMIT else ""
            self.count.setText(f"該当 {len(shown):,}人{more}")
        else:
            self.count.setText(f"{total:,}人中 {len(shown):,}人を表示")
        self.due_note.setVisible(self.due_only.isChecked() and not self._cycles_known)
        self._reselect()

    def _reselect(self) -> None:
        if self._selected_id is None:
            return
        hits = self.model.frame.index[self.model.frame["customer_id"] == self._selected_id]
        if len(hits) and hits[0] < self.model.rowCount():
            self.view.selectRow(int(hits[0]))

    def _on_current(self, current, _previous) -> None:
        if not current.isValid():
            return
        customer_id = int(self.model.value(current.row(), "customer_id"))
        if customer_id != self._selected_id:
            self._selected_id = customer_id
            self.detail.show_customer(customer_id)

    def export_shown(self, path: Path | None = None) -> None:
        """The shown customers, in the order shown, with their contact details and
        figures, to .xlsx or .csv through the formula-safe writer."""
        shown = self.model.frame["customer_id"].astype("int64").tolist()
        if not shown:
            show_error(self, OtokuiError("保存する顧客が表示されていません。"))
            return
        target = path or save_path(self, "顧客一覧を保存", "顧客一覧.xlsx",
                                   "Excel (*.xlsx);;CSV (*.csv)")
        if target is None:
            return
        rows = export_frame(self._base, shown)
        self.ctx.run(self, lambda shop, p, c: write_table(rows, target),
                     lambda _none: self.count.setText(
                         f"{len(rows):,}人を {target.name} に保存しました。"))

    def metrics_of(self, customer_id: int) -> dict | None:
        """Rank and cluster of a customer as the list computed them (None: no purchase)."""
        rows = self._base[self._base["customer_id"] == customer_id]
        return None if rows.empty else rows.iloc[0].to_dict()

    def select_customer(self, customer_id: int) -> None:
        """Open ``customer_id`` in the detail pane (and select it in the list if shown)."""
        self._selected_id = customer_id
        self.detail.show_customer(customer_id)
        self._reselect()
