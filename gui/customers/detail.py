"""One customer: figures, orders, products, contact log, notes, consent (メール・DM・電話)
and 配信停止, merge and split."""
from __future__ import annotations

from datetime import date
from typing import Callable

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QAbstractItemView, QGridLayout, QHBoxLayout, QLabel, \
    QPlainTextEdit, QPushButton, QTabWidget, QVBoxLayout, QWidget

from engine.customers.consent import CHANNEL_LABELS
from engine.errors import ConflictError
from engine.imports.normalize import display_phone
from engine.text import format_postal
from engine.store.journal import Change
from engine.store.postgres import ServerUnavailableError
from engine.store.staff import stamp_text
from gui.customers.consent_panel import ConsentHistoryDialog, ConsentPanel
from gui.customers.merge_dialog import pick_customer
from gui.customers.notes_conflict import NotesConflictDialog
from gui.errors import show_error
from gui.widgets import cell_format
from gui.widgets.confirm import confirm, tell
from gui.widgets.table_model import Column, TableModel
from gui.widgets.table_view import table_view

# A memo is stored this long after the last keystroke.
NOTES_AUTOSAVE_MS = 1500

ORDER_COLUMNS = [
    Column("order_date", "注文日", "date", 6),
    Column("source", "取込元", "source", 4),
    Column("order_no", "注文番号", "text", 6),
    Column("status", "状態", "order_status", 3),
    Column("amount", "金額", "yen", 4),
    Column("items", "商品", "text", 0),
]
PRODUCT_COLUMNS = [
    Column("product_code", "商品コード", "text", 6),
    Column("product_name", "商品名", "text", 0),
    Column("quantity", "数量", "int", 3),
    Column("orders", "注文回数", "int", 4),
    Column("amount", "金額", "yen", 4),
    Column("last_order", "最終購入日", "date", 6),
]
TOUCH_COLUMNS = [
    Column("date", "日付", "date", 6),
    Column("medium", "手段", "medium", 4),
    Column("action", "内容", "text", 0),
    Column("result", "結果", "text", 8),
    Column("source", "経路", "touch_source", 5),
    Column("staff", "担当", "text", 6),
]
FIGURES = [("purchase_count", "購入回数"), ("total_amount", "累計購入額"),
           ("first_purchase", "初回購入日"), ("last_purchase", "最終購入日"),
           ("tenure_days", "在籍期間"), ("recency_days", "経過日数（R）"),
           ("segment", "ランク"), ("cluster", "クラスター"), ("cycle_status", "購入サイクル")]


def load_customer(shop, customer_id: int, as_of: date) -> dict:
    """Everything the detail pane shows, read on the worker thread; the figures count
    the orders up to the 基準日, the order list shows them all."""
    return {"customer": shop.customers.get(customer_id, as_of),
            "orders": shop.customers.orders(customer_id),
            "products": shop.customers.product_history(customer_id),
            "touches": shop.touches.for_customer(customer_id),
            "consent": shop.consent.state(customer_id),
            "source_labels": shop.formats.source_labels(),
            "held_out_months": shop.followups.held_out_months(customer_id),
            "version": shop.customers.version(customer_id)}


def notes_stamp(customer: dict) -> str:
    """「最終更新: 山田 12/07 14:02」, '' for a note no one named has saved."""
    stamp = stamp_text(customer.get("notes_by"), customer.get("notes_at"))
    return f"最終更新: {stamp}" if stamp else ""


def held_out_text(months: list[str]) -> str:
    """「比較用にお休み（2025-03 の計画）」, or "" for a customer never held out."""
    if not months:
        return ""
    return f"比較用にお休み（{'、'.join(months)} の計画）"


def figure_texts(customer: dict, metrics: dict | None, as_of: date) -> dict[str, str]:
    """The RFM figures as shown: counts up to and R value from the 基準日, rank from the list."""
    shown = cell_format.text
    count = customer.get("purchase_count") or 0
    first, last = customer.get("first_purchase"), customer.get("last_purchase")
    texts = {"purchase_count": f"{shown('int', count)}回",
             "total_amount": shown("yen", customer["total_amount"]),
             "first_purchase": shown("date", first) or "—",
             "last_purchase": shown("date", last) or "—",
             "tenure_days": "—", "recency_days": "—", "segment": "—", "cluster": "—",
             "cycle_status": "—"}
    if first and last:
        texts["tenure_days"] = shown("days", (date.fromisoformat(last)
                                              - date.fromisoformat(first)).days)
        texts["recency_days"] = shown("days", (as_of - date.fromisoformat(last)).days)
    if metrics:
        texts["segment"] = shown("cluster", metrics.get("segment")) or "ランク外"
        texts["cluster"] = shown("cluster", metrics.get("cluster"))
        texts["cycle_status"] = metrics.get("cycle_status") or "—"
    return texts


class CustomerDetail(QWidget):
    """Shows one customer; every edit is one undoable engine operation on the worker."""

    customer_created = Signal(int)

    def __init__(self, ctx, parent=None, metrics: Callable[[int], dict | None] = lambda _id: None):
        super().__init__(parent)
        self.ctx = ctx
        self.metrics = metrics
        self.customer: dict | None = None
        self._undo: list[tuple[int, str]] = []
        self._saved_notes = ""
        self._notes_customer: int | None = None
        # Another desktop saved the note meanwhile: the user's text is not saved by
        # itself until they chose (see NotesConflictDialog).
        self._notes_held = False
        # The stored memo the typing began from (a reload while typing does not move
        # it): the engine refuses the save when another desktop changed it since.
        self._notes_seen = ""
        self._version = ""

        self.title = QLabel("お客様を選んでください")
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.title.setFont(font)
        self.contact = QLabel()
        self.contact.setWordWrap(True)
        self.held_out = QLabel()
        self.held_out.setStyleSheet("color: #8a5a00; font-weight: bold")
        self.held_out.setToolTip("フォローの効果を測るため、この月の計画では無作為に選ばれて"
                                 "フォローしないお客様です（タスク・DMラベル・同梱物・メールに出ません）。")
        self.held_out.hide()
        self.figures: dict[str, QLabel] = {}
        grid = QGridLayout()
        for index, (key, caption) in enumerate(FIGURES):
            value = QLabel("—")
            value.setStyleSheet("font-weight: bold")
            self.figures[key] = value
            grid.addWidget(QLabel(caption), index // 4 * 2, index % 4)
            grid.addWidget(value, index // 4 * 2 + 1, index % 4)

        # DM permission, e-mail and phone consent and 配信停止 in one panel: the DM
        # choice is the consent ledger's DM answer (it sets the hand DM setting).
        self.consent = ConsentPanel()
        self.consent.consent_chosen.connect(self._set_consent)
        self.consent.opt_out_chosen.connect(self._set_opt_out)
        self.consent.history_requested.connect(self.show_consent_history)
        self.opt_out = self.consent.opt_out
        self.merge_button = QPushButton("別の顧客と統合…")
        self.merge_button.clicked.connect(self.merge)
        self.undo_button = QPushButton("元に戻す")
        self.undo_button.clicked.connect(self.undo)
        self.erase_button = QPushButton("個人情報を削除…")
        self.erase_button.setToolTip("お客様のご依頼（個人情報保護法）で、氏名・住所・電話・メールなどを"
                                     "すべて消します。注文の金額や日付は匿名のまま残ります。")
        self.erase_button.clicked.connect(self.erase)

        self.orders = TableModel(ORDER_COLUMNS, self)
        self.orders_view = table_view(self.orders, sortable=False)
        self.orders_view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.split_button = QPushButton("選択した注文を別の顧客に分ける…")
        self.split_button.clicked.connect(self.split)
        self.products = TableModel(PRODUCT_COLUMNS, self)
        self.touches = TableModel(TOUCH_COLUMNS, self)
        self.notes = QPlainTextEdit()
        self.notes.setPlaceholderText("お客様についてのメモ（好み、問い合わせ内容など）")
        self.notes.textChanged.connect(self._notes_edited)
        # A memo is saved by itself: after a pause in typing, and before another
        # customer is shown (clicking elsewhere used to lose it without a word).
        self._notes_timer = QTimer(self)
        self._notes_timer.setSingleShot(True)
        self._notes_timer.setInterval(NOTES_AUTOSAVE_MS)
        self._notes_timer.timeout.connect(self.save_notes_if_edited)
        self.save_notes_button = QPushButton("メモを保存")
        self.save_notes_button.clicked.connect(self.save_notes)
        self.notes_stamp = QLabel()
        self.notes_stamp.setStyleSheet("color: #666")

        orders_page = QWidget()
        orders_layout = QVBoxLayout(orders_page)
        orders_layout.addWidget(self.orders_view)
        orders_layout.addWidget(self.split_button)
        notes_page = QWidget()
        notes_layout = QVBoxLayout(notes_page)
        notes_layout.addWidget(self.notes)
        notes_row = QHBoxLayout()
        notes_row.addWidget(self.notes_stamp, 1)
        notes_row.addWidget(self.save_notes_button)
        notes_layout.addLayout(notes_row)
        self.pages = QTabWidget()
        self.pages.addTab(orders_page, "注文履歴")
        self.pages.addTab(table_view(self.products, sortable=False), "商品別購入")
        self.pages.addTab(table_view(self.touches, sortable=False), "接触履歴")
        self.pages.addTab(notes_page, "メモ")

        buttons = QHBoxLayout()
        buttons.addWidget(self.merge_button)
        buttons.addWidget(self.erase_button)
        buttons.addStretch(1)
        buttons.addWidget(self.undo_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.contact)
        layout.addWidget(self.held_out)
        layout.addLayout(grid)
        layout.addWidget(self.consent)
        layout.addLayout(buttons)
        layout.addWidget(self.pages, 1)
        self._update_enabled()

    # --- showing ------------------------------------------------------------------

    def show_customer(self, customer_id: int) -> None:
        # Queued on the engine thread before the load, so the memo is stored first.
        self.save_notes_if_edited()
        as_of = self.ctx.as_of
        self.ctx.run(self, lambda shop, progress, cancel: load_customer(shop, customer_id, as_of),
                     lambda loaded: self._show(loaded, as_of), failure=self._load_failed)

    def _load_failed(self, exc: BaseException) -> None:
        # A shared database's server gone for a moment: what is shown stays (a memo
        # being typed too) and reloads once it is back (gui/server_link.py).
        if not isinstance(exc, ServerUnavailableError):
            self.clear()

    def clear(self) -> None:
        self.save_notes_if_edited()
        self.customer = None
        self.title.setText("お客様を選んでください")
        self.contact.clear()
        self.held_out.clear()
        self.held_out.hide()
        for value in self.figures.values():
            value.setText("—")
        for model in (self.orders, self.products, self.touches):
            model.set_frame(model.frame.iloc[0:0])
        self._set_notes_text("")
        self.notes_stamp.clear()
        self.consent.clear()
        self._update_enabled()

    def _show(self, loaded: dict, as_of: date) -> None:
        customer = loaded["customer"]
        self.customer = customer
        name = customer.get("name") or "（氏名なし）"
        self.title.setText(f"{name} 様")
        source_labels = loaded["source_labels"]
        sources = "、".join(cell_format.text("source", s, source_labels)
                           for s in customer.get("sources", []))
        lines = [f"顧客番号 {customer['customer_id']}　{customer.get('kana') or ''}".rstrip()]
        if customer.get("postal_code") or customer.get("address"):
            lines.append(f"{format_postal(customer.get('postal_code') or '')}　"
                         f"{customer.get('address') or ''}")
        phone = display_phone(customer["phone"]) if customer.get("phone") else "—"
        lines.append(f"電話 {phone}　メール {customer.get('email') or '—'}")
        if sources:
            lines.append(f"購入元: {sources}")
        self.contact.setText("\n".join(lines))
        self.held_out.setText(held_out_text(loaded["held_out_months"]))
        self.held_out.setVisible(bool(loaded["held_out_months"]))
        texts = figure_texts(customer, self.metrics(int(customer["customer_id"])), as_of)
        for key, value in self.figures.items():
            value.setText(texts[key])
        self.consent.show_state(loaded["consent"], customer)
        self.orders.set_labels("source", source_labels)
        self.orders.set_frame(loaded["orders"])
        self.products.set_frame(loaded["products"])
        self.touches.set_frame(loaded["touches"])
        if self._notes_dirty() and self._notes_customer == customer["customer_id"]:
            # Reloaded while the user types: their text stays, the stored one is noted
            # (not as the one they started from: a change from another desktop is
            # then refused on saving, not written over).
            self._saved_notes = customer.get("notes") or ""
        else:
            self._set_notes_text(customer.get("notes") or "")
        self._notes_customer = customer["customer_id"]
        self.notes_stamp.setText(notes_stamp(customer))
        self._version = loaded["version"]
        self._update_enabled()

    def _set_notes_text(self, text: str) -> None:
        self._notes_timer.stop()
        self._notes_held = False
        self._saved_notes = self._notes_seen = text
        self.notes.setPlainText(text)

    def _notes_dirty(self) -> bool:
        return self.customer is not None and self.notes.toPlainText() != self._saved_notes

    def _notes_edited(self) -> None:
        dirty = self._notes_dirty()
        self.save_notes_button.setEnabled(dirty)
        if dirty and not self._notes_held:
            self._notes_timer.start()

    def save_notes_if_edited(self) -> None:
        """Store the memo being typed, if it differs from the stored one (not while
        the user has yet to settle a conflict with another desktop's note)."""
        if self._notes_dirty() and not self._notes_held:
            self.save_notes()

    def _update_enabled(self) -> None:
        has = self.customer is not None
        for widget in (self.merge_button, self.split_button, self.notes, self.erase_button):
            widget.setEnabled(has)
        self.consent.set_enabled(has)
        self._notes_edited()
        self.undo_button.setEnabled(bool(self._undo))
        self.undo_button.setToolTip(f"取り消す操作: {self._undo[-1][1]}" if self._undo else "")

    # --- edits ----------------------------------------------------------------------

    def _edit(self, op, label_text: str, after: Callable[[int], None] | None = None,
              **callbacks) -> None:
        """Run an edit (``op`` returns its Change) on the worker, remember it for 元に戻す,
        then reload everything; ``after(created)`` for an edit that made something."""
        def done(change: Change):
            self._undo.append((change.operation, label_text))
            if after is not None:
                after(change.created)
            self._update_enabled()
        self.ctx.run(self, op, done, changes_data=True, **callbacks)

    def save_notes(self) -> None:
        """Store the memo; the engine refuses (ConflictError) when the stored one is no
        longer the one this editor started from."""
        self._notes_timer.stop()
        self._notes_held = False
        customer_id, text = self.customer["customer_id"], self.notes.toPlainText()
        seen, stored = self._notes_seen, self._saved_notes
        # What the engine will store: the button goes grey at once.
        self._saved_notes = self._notes_seen = text
        self._notes_edited()
        self._edit(lambda shop, p, c: shop.customers.set_notes(customer_id, text, seen=seen),
                   "メモの保存",
                   failure=lambda exc: self._notes_refused(exc, customer_id, seen, stored, text))

    def _notes_refused(self, exc: BaseException, customer_id: int, seen: str, stored: str,
                       mine: str) -> None:
        """Not stored: the user's text stays in the editor. Another desktop's note
        saved meanwhile (ConflictError): both are shown and nothing is saved by itself
        until the user chose. Otherwise the memo counts as edited again and is saved
        with the next reload (after a lost server, once it is back) — not by the
        typing pause's timer, which would try again and again meanwhile."""
        if isinstance(exc, ConflictError) and self._notes_customer == customer_id:
            self._notes_held = True
            self._saved_notes = self._notes_seen = exc.current or ""
            self._notes_edited()
            dialog = NotesConflictDialog(self, str(exc), exc.current or "", mine, seen)
            dialog.join_chosen.connect(self._join_notes)
            self.notes_dialog = dialog
            dialog.open()
            self.ctx.data_changed.emit()   # the 最終更新 line and the lists show the new state
            return
        if self._notes_customer == customer_id and self._saved_notes == mine:
            self._saved_notes, self._notes_seen = stored, seen
            self.save_notes_button.setEnabled(self._notes_dirty())
        if not isinstance(exc, ServerUnavailableError):
            show_error(self, exc)

    def _join_notes(self, text: str) -> None:
        self._notes_held = False
        self.notes.setPlainText(text)

    def _set_consent(self, channel: str, value: str) -> None:
        """Record the customer's answer for one channel (DM: also the DM lists' setting)."""
        customer_id = self.customer["customer_id"]
        def failed(exc: BaseException) -> None:
            show_error(self, exc)
            self.show_customer(customer_id)   # the choices show what is stored again
        self._edit(lambda shop, p, c: shop.consent.set(customer_id, **{channel: value}),
                   f"同意の変更（{CHANNEL_LABELS[channel]}）", failure=failed)

    def show_consent_history(self) -> None:
        customer_id = self.customer["customer_id"]
        name = self.customer.get("name") or "（氏名なし）"
        self.ctx.run(self, lambda shop, p, c: shop.consent.history(customer_id),
                     lambda history: ConsentHistoryDialog(self, name, history).open())

    def _set_opt_out(self, checked: bool) -> None:
        customer_id = self.customer["customer_id"]
        self._edit(lambda shop, p, c: shop.customers.set_opt_out(customer_id, checked),
                   "配信停止の変更")

    def merge(self) -> None:
        keep = self.customer
        other = pick_customer(self, self.ctx, exclude=keep["customer_id"])
        if other is None:
            return
        text = (f"「{other['name'] or '氏名なし'}」（顧客番号 {other['customer_id']}）を、"
                f"いま開いている「{keep.get('name') or '氏名なし'}」（顧客番号 {keep['customer_id']}）"
                "に統合します。\n\n注文履歴はすべてこのお客様にまとめられます。"
                "同じ人だと確かな場合だけ統合してください（あとで「元に戻す」で取り消せます）。")
        keep_id, other_id = keep["customer_id"], other["customer_id"]
        # Both as the user chose them: one merged away, split or erased meanwhile
        # (another desktop, an import) is refused rather than merged.
        seen = {keep_id: self._version}

        def chosen(version: str) -> None:
            seen[other_id] = version
            if confirm(self, text, "統合する"):
                self._edit(lambda shop, p, c: shop.customers.merge(keep_id, other_id, seen=seen),
                           "顧客の統合", failure=self._merge_refused)
        self.ctx.run(self, lambda shop, p, c: shop.customers.version(other_id), chosen)

    def _merge_refused(self, exc: BaseException) -> None:
        show_error(self, exc)
        if isinstance(exc, ConflictError):
            self.ctx.data_changed.emit()

    def erase(self) -> None:
        """Deletion on request: irreversible, so it asks plainly and clears the undo list."""
        customer = self.customer
        text = (f"「{customer.get('name') or '氏名なし'}」（顧客番号 {customer['customer_id']}）の"
                "個人情報（氏名・フリガナ・住所・電話番号・メールアドレス・メモ）をすべて削除します。\n\n"
                "注文の金額・日付・商品は匿名のまま残るので、売上や KPI は変わりません。\n"
                "保存しているバックアップからも削除され、以前のバックアップを復元しても戻りません。\n"
                "この操作は元に戻せません。お客様からのご依頼があった場合だけ実行してください。")
        if not confirm(self, text, "削除する"):
            return
        customer_id = customer["customer_id"]

        def done(report):
            self._undo.clear()
            self.show_customer(customer_id)
            tell(self, report.summary())

        self.ctx.run(self, lambda shop, p, c: shop.privacy.delete_customer(customer_id, p), done,
                     label="個人情報を削除しています…", changes_data=True)

    def selected_order_ids(self) -> list[int]:
        rows = sorted({index.row() for index in self.orders_view.selectionModel().selectedRows()})
        return [int(self.orders.value(row, "order_id")) for row in rows]

    def split(self) -> None:
        order_ids = self.selected_order_ids()
        if not order_ids:
            tell(self, "別の顧客に分ける注文を、注文履歴の表で選んでください"
                       "（Ctrl キーを押しながらクリックで複数選べます）。")
            return
        customer_id = self.customer["customer_id"]
        text = (f"選んだ {len(order_ids)}件の注文を、このお客様から切り離して新しい顧客にします。\n\n"
                "別の人の注文が混ざっているときに使います。今後の取込でも、"
                "この2人は同じ人としてまとめられません。")
        if not confirm(self, text, "分ける"):
            return

        self._edit(lambda shop, p, c: shop.customers.split(customer_id, order_ids), "顧客の分割",
                   self.customer_created.emit)

    def undo(self) -> None:
        op_id, label_text = self._undo[-1]
        if not confirm(self, f"直前の操作「{label_text}」を取り消します。", "取り消す"):
            return

        def done(_result):
            self._undo.pop()
            self._update_enabled()
        self.ctx.run(self, lambda shop, p, c: shop.journal.undo(op_id), done, changes_data=True)
