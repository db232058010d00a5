"""顧客: search as you type, a filterable customer list and the customer's detail (SPEC §5)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QLineEdit, \
    QPushButton, QSplitter, QVBoxLayout, QWidget

from engine.analysis.rfm import CLUSTER_LABELS, CLUSTERS
from engine.customers.listing import SORTABLE, ListQuery
from engine.errors import OtokuiError
from engine.export import write_table
from engine.imports.normalize import display_phone
from gui.context import LatestLoad
from gui.customers.detail import CustomerDetail
from gui.errors import show_error
from gui.widgets.file_dialogs import save_path
from gui.widgets.lazy_refresh import RefreshOnShow
from gui.widgets.paged_table_model import PAGE, PagedTableModel
from gui.widgets.table_model import Column
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


def export_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The list rows as the saved list shows them."""
    rows = rows.copy()
    rows["phone"] = rows["phone"].fillna("").map(display_phone)
    rows["cluster"] = rows["cluster"].map(CLUSTER_LABELS).fillna("")
    rows["due"] = rows["due"].map({True: "○", False: ""})
    rows["dm_ok"] = rows["dm_ok"].map({1: "○", 0: "×"})
    return rows[list(EXPORT_COLUMNS)].rename(columns=EXPORT_COLUMNS)


def load_due(shop, as_of) -> pd.Series:
    """customer_id → True for the customers past their last product's cycle."""
    due = shop.products.due_targets(as_of)["customer_id"].astype("int64").unique()
    return pd.Series(True, index=due, dtype=object)


def load_cycle_statuses(shop, as_of) -> pd.Series:
    """Where each customer stands against their last product's cycle (customer_id →
    status). Loaded after the list: on a five-year shop learning the cycles takes
    ~2.5 s the first time, and the list should not wait for one column."""
    return shop.products.cycle_status(as_of).set_index("customer_id")["status"]


@dataclass(frozen=True)
class ListSpec:
    """What the list shows: the engine's query, or — sorted by a column the engine
    does not hold (要フォロー, サイクル) — every listed id in the order shown."""
    query: ListQuery
    as_of: date
    ids: np.ndarray | None = None

    def count(self, shop) -> int:
        if self.ids is not None:
            return len(self.ids)
        return shop.customers.listing.count(self.query, self.as_of)

    def page(self, shop, offset: int, limit: int) -> pd.DataFrame:
        listing = shop.customers.listing
        if self.ids is None:
            return listing.page(self.query, offset, limit, self.as_of)
        end = len(self.ids) if limit < 0 else offset + limit
        return listing.rows_of(self.ids[offset:end], self.as_of)


def sorted_by_lookup(shop, spec: ListSpec, values: pd.Series, default,
                     descending: bool) -> ListSpec:
    """``spec`` with its ids ordered by ``values`` (stable: ties keep the rank order)."""
    ids = shop.customers.listing.ids(spec.query, spec.as_of)
    keys = pd.Series(ids).map(values).astype(object).where(
        lambda found: found.notna(), default).astype(str)
    order = keys.sort_values(ascending=not descending, kind="stable").index.to_numpy()
    return ListSpec(spec.query, spec.as_of, ids[order])


class CustomersTab(RefreshOnShow, QWidget):
    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self._total = 0                        # customers with a purchase by the 基準日
        self._spec: ListSpec | None = None     # the list shown when not searching
        self._found: pd.DataFrame | None = None  # search result, None when the box is empty
        self._due: pd.Series | None = None     # customer_id → True, once learned
        self._statuses = pd.Series(dtype=object)
        self._generation = 0
        self._selected_id: int | None = None
        # Whether any product has a usage cycle: without one nobody is 要フォロー.
        self._cycles_known = True
        self._lists = LatestLoad(ctx, self)

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

        self.model = PagedTableModel(LIST_COLUMNS, self)
        self.model.set_lookup("due", pd.Series(dtype=object), False)
        self.model.set_lookup("cycle_status", self._statuses, "")
        self.model.sort_changed.connect(self.apply_filters)
        self.model.modelReset.connect(self._reselect)
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
        """Reload the list (and the open customer) from the database: the first screen
        first, then who is 要フォロー, then where each customer stands in their cycle."""
        as_of = self.ctx.as_of
        self._due = None
        if self.search.text().strip():
            self.run_search()
        else:
            self.apply_filters()
        self.ctx.run(self, lambda shop, progress, cancel: (
            load_due(shop, as_of), shop.products.cycles_known()),
            lambda loaded: self._on_due(as_of, *loaded))
        self.ctx.run(self, lambda shop, progress, cancel: load_cycle_statuses(shop, as_of),
                     lambda statuses: self._on_statuses(as_of, statuses))
        if self._selected_id is not None:
            self.detail.show_customer(self._selected_id)

    def _on_due(self, as_of, due: pd.Series, cycles_known: bool) -> None:
        if as_of != self.ctx.as_of:     # a newer load is on its way
            return
        self._due, self._cycles_known = due, cycles_known
        self.model.set_lookup("due", due, False)
        if self.due_only.isChecked() or self._sorted_by_lookup():
            self.apply_filters()
        else:
            self._show_count()

    def _on_statuses(self, as_of, statuses: pd.Series) -> None:
        if as_of != self.ctx.as_of:
            return
        self._statuses = statuses
        self.model.set_lookup("cycle_status", statuses, "")
        if self._sorted_by_lookup() == "cycle_status" or self._found is not None:
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
        as_of = self.ctx.as_of

        def op(shop, progress, cancel):
            if generation != self._generation:  # typing went on while this job queued
                return None
            found = shop.customers.search(text, limit=SEARCH_LIMIT)["customer_id"]
            return shop.customers.listing.rows_of(found.tolist(), as_of)

        def done(found):
            if found is not None and generation == self._generation:
                self._found = found
                self.apply_filters()

        self.ctx.run(self, op, done)

    def search_pending(self) -> bool:
        return self._timer.isActive()

    # --- the list -----------------------------------------------------------------

    def _sorted_by_lookup(self) -> str | None:
        spec = self.model.sort_spec
        return spec[0] if spec is not None and spec[0] in ("due", "cycle_status") else None

    def _query(self) -> ListQuery | None:
        """The engine query for the filters and sort chosen (None: not known yet)."""
        only_ids = None
        if self.due_only.isChecked():
            if self._due is None:
                return None
            only_ids = tuple(self._due.index.tolist())
        sort, descending = self.model.sort_spec or ("rank", False)
        if sort not in SORTABLE:
            sort, descending = "rank", False
        return ListQuery(cluster=self.cluster.currentData(), dm_only=self.dm_only.isChecked(),
                         only_ids=only_ids, sort=sort, descending=descending)

    def apply_filters(self) -> None:
        self.due_note.setVisible(self.due_only.isChecked() and not self._cycles_known)
        if self._found is not None:
            self._show_found()
            return
        query, as_of = self._query(), self.ctx.as_of
        if query is None:       # 要フォロー not learned yet: it follows shortly
            return
        lookup = self._sorted_by_lookup()
        # By 要フォロー only once it is learned (it reloads the list then).
        by = None if lookup is None or (lookup == "due" and self._due is None) \
            else self.model.lookup(lookup)
        descending = bool(self.model.sort_spec and self.model.sort_spec[1])

        def load(shop):
            spec = ListSpec(query, as_of)
            if by is not None:
                spec = sorted_by_lookup(shop, spec, *by, descending)
            return (spec, shop.customers.listing.total(as_of), spec.count(shop),
                    spec.page(shop, 0, PAGE))
        self._lists.run(load, self._on_list)

    def _on_list(self, loaded) -> None:
        self._spec, self._total, count, first = loaded
        spec = self._spec

        def fetch(offset, limit, deliver):
            self.ctx.run(self, lambda shop, progress, cancel: spec.page(shop, offset, limit),
                         deliver)
        self.model.set_source(count, first, fetch)
        self._show_count()

    def _show_found(self) -> None:
        rows = self._found
        mask = pd.Series(True, index=rows.index)
        cluster = self.cluster.currentData()
        if cluster is not None:
            mask &= rows["cluster"] == cluster
        if self.due_only.isChecked():
            mask &= rows["customer_id"].isin([] if self._due is None else self._due.index)
        if self.dm_only.isChecked():
            mask &= rows["dm_ok"].astype(bool)
        self.model.set_frame(rows[mask])
        self._show_count()

    def _show_count(self) -> None:
        shown = self.model.total_rows()
        if self._found is not None:
            more = "（多いため先頭のみ）" if len(self._found) >= SEARCH_LIMIT else ""
            self.count.setText(f"該当 {shown:,}人{more}")
        else:
            self.count.setText(f"{self._total:,}人中 {shown:,}人を表示")

    def _reselect(self) -> None:
        if self._selected_id is None:
            return
        row = self.model.row_of(self._selected_id)
        if row is not None:
            self.view.selectRow(row)

    def _on_current(self, current, _previous) -> None:
        if not current.isValid():
            return
        customer_id = self.model.value(current.row(), "customer_id")
        if customer_id is not None and int(customer_id) != self._selected_id:
            self._selected_id = int(customer_id)
            self.detail.show_customer(self._selected_id)

    def export_shown(self, path: Path | None = None) -> None:
        """The shown customers, in the order shown, with their contact details and
        figures, to .xlsx or .csv through the formula-safe writer."""
        if not self.model.total_rows():
            show_error(self, OtokuiError("保存する顧客が表示されていません。"))
            return
        target = path or save_path(self, "顧客一覧を保存", "顧客一覧.xlsx",
                                   "Excel (*.xlsx);;CSV (*.csv)")
        if target is None:
            return
        found, spec = self._found, self._spec
        shown = self.model.frame if found is not None else None
        due, statuses = self._due, self._statuses

        def save(shop, progress, cancel):
            rows = shown if shown is not None else spec.page(shop, 0, -1)
            rows = rows.assign(
                due=rows["customer_id"].isin([] if due is None else due.index),
                cycle_status=rows["customer_id"].map(statuses).astype(object).fillna(""))
            write_table(export_frame(rows), target)
            return len(rows)
        self.ctx.run(self, save, lambda saved: self.count.setText(
            f"{saved:,}人を {target.name} に保存しました。"))

    def metrics_of(self, customer_id: int) -> dict | None:
        """Rank and cluster of a customer as the list shows them (None: not in the
        rows loaded, or no purchase)."""
        row = self.model.row_of(customer_id)
        if row is None or self.model.value(row, "cluster") is None:
            return None
        return self.model.row(row)

    def select_customer(self, customer_id: int) -> None:
        """Open ``customer_id`` in the detail pane (and select it in the list if shown)."""
        self._selected_id = customer_id
        self.detail.show_customer(customer_id)
        self._reselect()
