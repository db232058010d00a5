"""今日の仕事: the follow-up tasks due up to the 基準日, each with what is needed to act
(the phone number, the address, the e-mail address, the parcel), checked off in bulk,
and the e-mail ones sent from here."""
from __future__ import annotations

from datetime import date

import pandas as pd
from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QBrush, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from engine.analysis.rfm import CLUSTER_LABELS
from engine.customers.consent import EMAIL_BLOCKS
from engine.customers.touches import MEDIUM_LABELS
from engine.marketing.mail import SendReport
from engine.marketing.mail_templates import base_action
from engine.marketing.worklist import MEDIUM_ORDER
from engine.errors import ConflictError
from engine.store.journal import Change
from gui.errors import show_error
from gui.today import sending
from gui.widgets import cell_format
from gui.widgets.confirm import confirm, ok_cancel, tell
from gui.widgets.lazy_refresh import RefreshOnShow
from gui.widgets.table_model import Column, TableModel
from gui.widgets.table_view import table_view

COLUMNS = [
    Column("due_date", "期限", "date", 6),
    Column("late", "遅れ", "text", 5),
    Column("medium", "手段", "medium", 4),
    Column("name", "顧客名", "text", 7),
    Column("action", "施策", "text", 0),
    Column("contact", "連絡先", "text", 22),
    Column("cluster", "クラスター", "cluster", 6),
    Column("note", "注意", "text", 10),
]
LATE_COLUMN = 1
NOTE_COLUMN = len(COLUMNS) - 1
RED = cell_format.TONES["error"]
EMPTY_TEXT = ("今日の仕事はありません。\n\n"
              "フォローの計画は「セグメント・フォロー」タブの「今月のフォロー」で作成します。\n"
              "計画を作ると、電話・DM・メール・同梱物の仕事が期日の日からここに並びます。")
NO_MATCH = "条件に合う仕事はありません"
HINT = ("Ctrl キーや Shift キーを押しながらクリックで複数選べます。"
        "ダブルクリックで顧客タブに移ります。")


def late_text(days: int) -> str:
    return f"{days:,}日遅れ" if days > 0 else "今日"


def note_text(row) -> str:
    """Why an e-mail task cannot go, or why the last send failed."""
    if row.medium != "email":
        return ""
    if row.last_error:
        return f"前回の送信失敗: {row.last_error}"
    if row.email_block:
        return f"送信不可: {EMAIL_BLOCKS.get(row.email_block, row.email_block)}"
    return ""


def prepare(frame: pd.DataFrame) -> pd.DataFrame:
    """The engine's worklist with the texts the table shows."""
    frame = frame.copy()
    frame["late"] = [late_text(int(d)) for d in frame["overdue_days"]]
    frame["note"] = [note_text(r) for r in frame.itertuples(index=False)]
    blocked = (frame["medium"] == "email") & (frame["email_block"] != "")
    # The reason is in 注意; 連絡先 keeps just the address.
    frame.loc[blocked, "contact"] = frame.loc[blocked, "email"].where(
        frame.loc[blocked, "email"].fillna("") != "", "メールアドレスなし")
    frame["rule"] = [base_action(a) for a in frame["action"]]
    return frame


def summary_text(frame: pd.DataFrame, as_of: date) -> str:
    """今日までの仕事: 電話 3件・DM 12件・メール 20件（うち遅れ 5件）"""
    head = "今日までの仕事" if as_of == date.today() else f"{as_of.isoformat()} までの仕事"
    if frame.empty:
        return f"{head}: ありません"
    counts = frame["medium"].value_counts()
    parts = [f"{MEDIUM_LABELS[m]} {int(counts[m]):,}件" for m in MEDIUM_ORDER if m in counts]
    late = int((frame["overdue_days"] > 0).sum())
    return f"{head}: " + "・".join(parts) + (f"（うち遅れ {late:,}件）" if late else "")


class WorklistModel(TableModel):
    """Late tasks and failed e-mails in red, so they catch the eye."""

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if index.isValid() and index.column() in (LATE_COLUMN, NOTE_COLUMN) and role in (
                Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.FontRole):
            if index.column() == LATE_COLUMN:
                flagged = int(self._frame.at[index.row(), "overdue_days"]) > 0
            else:
                flagged = bool(self._frame.at[index.row(), "last_error"])
            if not flagged:
                return None
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(RED)
            font = QFont()
            font.setBold(True)
            return font
        return super().data(index, role)


class CheckOffManyDialog(QDialog):
    """One confirmation for the chosen tasks: the day they were done and a note."""

    def __init__(self, parent, tasks: list[dict], today: date):
        super().__init__(parent)
        self.setWindowTitle("まとめて完了にする")
        counts = pd.Series([t["medium"] for t in tasks]).value_counts()
        parts = "・".join(f"{MEDIUM_LABELS[m]} {int(counts[m]):,}件"
                          for m in MEDIUM_ORDER if m in counts)
        self.done_on = QDateEdit(QDate(today.year, today.month, today.day))
        self.done_on.setCalendarPopup(True)
        self.done_on.setDisplayFormat("yyyy-MM-dd")
        self.result = QLineEdit()
        self.result.setPlaceholderText("例: 発送済み、留守番電話に伝言（空欄でもかまいません）")
        buttons = ok_cancel(self, "完了にする")
        intro = QLabel(f"選んだ {len(tasks):,}件（{parts}）を完了にします。"
                       "\nあとで「元に戻す」で取り消せます。")
        intro.setWordWrap(True)
        form = QFormLayout()
        form.addRow("実施日", self.done_on)
        form.addRow("結果（メモ）", self.result)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.resize(480, self.sizeHint().height())

    def values(self) -> tuple[str, str]:
        return self.done_on.date().toString("yyyy-MM-dd"), self.result.text().strip()


def ask_check_off_many(parent, tasks: list[dict]) -> tuple[str, str] | None:
    dialog = CheckOffManyDialog(parent, tasks, date.today())
    return dialog.values() if dialog.exec() == QDialog.DialogCode.Accepted else None


def _combo_keep(combo: QComboBox, items: list[tuple[str, object]]) -> None:
    """Refill ``combo`` keeping the chosen item when it is still there."""
    chosen = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    for text, data in items:
        combo.addItem(text, data)
    combo.setCurrentIndex(max(0, combo.findData(chosen)))
    combo.blockSignals(False)


class TodayTab(RefreshOnShow, QWidget):
    """The first tab: what to do today. ``customer_requested(id)`` asks the window to
    show a customer (double-click), ``mail_settings_requested`` to open the mail
    settings."""

    customer_requested = Signal(int)
    # The user asked for the mail settings (the window opens them, when it has them).
    mail_settings_requested = Signal()

    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self._all = prepare(_empty_worklist())
        self._undo: list[tuple[int, str]] = []
        self._loaded_for: date | None = None
        self.send_op = None

        self.summary = QLabel()
        self.summary.setObjectName("todaySummary")
        self.summary.setStyleSheet("#todaySummary { font-size: 14pt; font-weight: bold; }")
        self.medium = QComboBox()
        self.cluster = QComboBox()
        self.rule = QComboBox()
        self.rule.setMinimumContentsLength(16)
        self.rule.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.late_only = QCheckBox("遅れのみ")
        for combo in (self.medium, self.cluster):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        for combo in (self.medium, self.cluster, self.rule):
            combo.currentIndexChanged.connect(self.apply_filters)
        self.late_only.toggled.connect(self.apply_filters)
        self.shown_count = QLabel()

        self.model = WorklistModel(COLUMNS, self)
        self.view = table_view(self.model)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.doubleClicked.connect(self._open_customer)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.empty = QLabel(EMPTY_TEXT)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.empty)

        self.check_button = QPushButton("完了にする")
        self.check_button.clicked.connect(self.check_off)
        self.undo_button = QPushButton("元に戻す")
        self.undo_button.clicked.connect(self.undo)
        self.mail_button = QPushButton("メールを送る")
        self.mail_button.clicked.connect(self.send_mail)
        hint = QLabel(HINT)
        hint.setWordWrap(True)

        filters = QHBoxLayout()
        filters.addWidget(QLabel("手段"))
        filters.addWidget(self.medium)
        filters.addSpacing(8)
        filters.addWidget(QLabel("クラスター"))
        filters.addWidget(self.cluster)
        filters.addSpacing(8)
        filters.addWidget(QLabel("施策"))
        filters.addWidget(self.rule, 1)
        filters.addSpacing(8)
        filters.addWidget(self.late_only)
        filters.addSpacing(8)
        filters.addWidget(self.shown_count)
        buttons = QHBoxLayout()
        buttons.addWidget(hint, 1)
        buttons.addWidget(self.undo_button)
        buttons.addWidget(self.mail_button)
        buttons.addWidget(self.check_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(filters)
        layout.addWidget(self.stack, 1)
        layout.addLayout(buttons)
        self._fill_filters()
        self.apply_filters()
        self.watch(ctx, as_of=True)

    # --- loading --------------------------------------------------------------------

    def refresh(self) -> None:
        as_of = self.ctx.as_of
        self.ctx.run(self, lambda shop, p, c: shop.followups.worklist(as_of),
                     lambda frame: self._on_loaded(as_of, frame))

    def _on_loaded(self, as_of: date, frame: pd.DataFrame) -> None:
        if as_of != self.ctx.as_of:
            return
        self._loaded_for = as_of
        self._all = prepare(frame)
        self.summary.setText(summary_text(self._all, as_of))
        self._fill_filters()
        self.apply_filters()

    def _fill_filters(self) -> None:
        frame = self._all
        counts = frame["medium"].value_counts()
        _combo_keep(self.medium, [(f"すべて（{len(frame):,}件）", None)] + [
            (f"{MEDIUM_LABELS[m]} {int(counts.get(m, 0)):,}件", m) for m in MEDIUM_ORDER])
        present = set(frame["cluster"].dropna())
        _combo_keep(self.cluster, [("すべて", None)] + [
            (label, code) for code, label in CLUSTER_LABELS.items() if code in present])
        rules = list(dict.fromkeys(frame["rule"]))
        _combo_keep(self.rule, [("すべて", None)] + [(r, r) for r in rules])

    def rows(self) -> pd.DataFrame:
        """The tasks the filters let through."""
        frame = self._all
        keep = pd.Series(True, index=frame.index)
        if self.medium.currentData() is not None:
            keep &= frame["medium"] == self.medium.currentData()
        if self.cluster.currentData() is not None:
            keep &= frame["cluster"] == self.cluster.currentData()
        if self.rule.currentData() is not None:
            keep &= frame["rule"] == self.rule.currentData()
        if self.late_only.isChecked():
            keep &= frame["overdue_days"] > 0
        return frame.loc[keep]

    def apply_filters(self) -> None:
        rows = self.rows()
        self.model.set_frame(rows)
        # A day's work is hundreds of rows, not the customer list's thousands: all of
        # them in the view, so Ctrl+A selects every one.
        self.model.show_all()
        self.stack.setCurrentWidget(self.empty if self._all.empty else self.view)
        if self._all.empty:
            self.shown_count.setText("")
        elif rows.empty:
            self.shown_count.setText(NO_MATCH)
        else:
            self.shown_count.setText(f"表示 {len(rows):,}件")
        self._update_buttons()

    # --- selection ------------------------------------------------------------------

    def selected_tasks(self) -> list[dict]:
        rows = sorted({index.row() for index in self.view.selectionModel().selectedRows()})
        return self.model.frame.iloc[rows].to_dict("records")

    def mail_tasks(self) -> list[dict]:
        """The e-mail tasks a send is for: the chosen ones, or (no e-mail task chosen)
        all those shown. The count is asked before anything goes."""
        chosen = [t for t in self.selected_tasks() if t["medium"] == "email"]
        if chosen:
            return chosen
        shown = self.model.frame
        return shown.loc[shown["medium"] == "email"].to_dict("records")

    def _update_buttons(self) -> None:
        chosen = self.selected_tasks()
        self.check_button.setText(f"完了にする（{len(chosen):,}件）" if chosen else "完了にする")
        self.check_button.setEnabled(bool(chosen))
        sendable = [t for t in self.mail_tasks() if not t["email_block"]]
        self.mail_button.setText(f"メールを送る（{len(sendable):,}件）")
        self.mail_button.setEnabled(bool(sendable))
        self.mail_button.setToolTip("選んだメールの仕事を送ります"
                                    "（メールを選んでいなければ、表示中のメールすべて）。")
        self.undo_button.setEnabled(bool(self._undo))
        self.undo_button.setToolTip(f"取り消す操作: {self._undo[-1][1]}" if self._undo else "")

    def _open_customer(self, index) -> None:
        if index.isValid():
            self.customer_requested.emit(int(self.model.value(index.row(), "customer_id")))

    # --- checking off ---------------------------------------------------------------

    def check_off(self) -> None:
        tasks = self.selected_tasks()
        if not tasks:
            return
        values = ask_check_off_many(self, tasks)
        if values is None:
            return
        done_on, result = values
        ids = [int(t["task_id"]) for t in tasks]

        def done(change: Change) -> None:
            counts = change.counts
            if change.operation is not None:
                self._undo.append((change.operation, f"完了 {counts['done']:,}件"))
                self._update_buttons()
            notes = []
            if counts.get("already_done"):
                notes.append(f"すでに完了していたもの {counts['already_done']:,}件")
            if counts.get("no_dm"):
                notes.append(f"DM不可（配信停止・Amazonのみの購入など）のため記録しなかったもの "
                             f"{counts['no_dm']:,}件")
            if notes:
                tell(self, f"{counts['done']:,}件を完了にしました。\n" + "\n".join(notes))
        # The rows were shown open: one another desktop checked off meanwhile is
        # refused (who, when) and the list is read again.
        self.ctx.run(self, lambda shop, p, c: shop.followups.check_off_many(
            ids, done_on, result=result, seen_open=True), done, changes_data=True,
            failure=self._check_off_refused)

    def _check_off_refused(self, exc: BaseException) -> None:
        show_error(self, exc)
        if isinstance(exc, ConflictError):
            self.ctx.data_changed.emit()

    def undo(self) -> None:
        if not self._undo:
            return
        op_id, label = self._undo[-1]
        if not confirm(self, f"直前の操作「{label}」を取り消して、未完了に戻します。", "取り消す"):
            return

        def done(_result) -> None:
            self._undo.pop()
            self._update_buttons()
        self.ctx.run(self, lambda shop, p, c: shop.journal.undo(op_id), done, changes_data=True)

    # --- e-mail ---------------------------------------------------------------------

    def send_mail(self) -> None:
        """Dry run, one question, then the real send with a progress dialog."""
        tasks = self.mail_tasks()
        if not tasks:
            return
        months = sending.by_month(tasks)
        until = self.ctx.as_of

        def dry_run(shop, progress, cancel):
            missing = sending.missing_settings(shop)
            if missing:
                return missing, None
            return [], sending.send_tasks(shop, months, until, dry_run=True)

        def checked(result) -> None:
            missing, report = result
            if missing:
                if confirm(self, "メールを送るには、先にメールの設定が必要です。\n"
                                 f"{sending.MAIL_MENU}で、" + "・".join(missing)
                                 + "を入力してください。", "メールの設定を開く"):
                    self.mail_settings_requested.emit()
                return
            if not report.sent:
                tell(self, "送れるメールはありません。\n" + report.summary() + "。")
                return
            if confirm(self, sending.confirm_text(report), f"{len(report.sent):,}通 送る"):
                self._send(months, until)
        self.ctx.run(self, dry_run, checked)

    def _send(self, months: dict[str, list[int]], until: date) -> None:
        def done(report: SendReport) -> None:
            self.send_op = None
            tell(self, sending.result_text(report))

        def failed(exc: BaseException) -> None:
            self.send_op = None
            show_error(self, exc)
            # Some messages may have gone before the failure: show what the log says.
            self.ctx.data_changed.emit()
        self.send_op = self.ctx.run(
            self, lambda shop, progress, cancel: sending.send_tasks(
                shop, months, until, dry_run=False, progress=progress, cancel=cancel),
            done, label="メールを送っています…", changes_data=True, failure=failed)


def _empty_worklist() -> pd.DataFrame:
    from engine.marketing.worklist import COLUMNS as ENGINE_COLUMNS
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in ENGINE_COLUMNS})
    frame["overdue_days"] = pd.Series(dtype="int64")
    return frame
