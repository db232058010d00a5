"""The month's follow-up tasks: generate the plan, then check each task off (消し込み)."""
from __future__ import annotations

from datetime import date

import pandas as pd
from PySide6.QtCore import QDate
from PySide6.QtWidgets import QAbstractItemView, QCheckBox, QComboBox, QDateEdit, QDialog, \
    QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox, \
    QVBoxLayout, QWidget

from engine.customers.touches import MEDIA, MEDIUM_LABELS
from engine.dates import add_months, month_of
from engine.errors import ConflictError
from engine.store.journal import Change
from gui.errors import show_error
from gui.widgets.confirm import confirm, ok_cancel, tell
from gui.widgets.table_dialog import TableDialog
from gui.widgets.table_model import Column, TableModel
from gui.widgets.table_view import table_view

TASK_COLUMNS = [
    Column("due_date", "予定日", "date", 6),
    Column("customer_id", "顧客番号", "int", 4),
    Column("name", "氏名", "text", 7),
    Column("cluster", "クラスター", "cluster", 6),
    Column("medium", "手段", "medium", 4),
    Column("action", "内容", "text", 0),
    Column("status", "状態", "task_status", 4),
    Column("done_on", "実施日", "date", 6),
    Column("done_by", "担当", "text", 6),
    Column("result", "結果", "text", 10),
]
HOLDOUT_COLUMNS = [
    Column("customer_id", "顧客番号", "int", 4),
    Column("name", "氏名", "text", 8),
    Column("cluster", "クラスター", "cluster", 6),
    Column("rule", "ルール", "text", 0),
]
MONTHS_SHOWN = 18
HOLDOUT_HINT = ("計画を作るとき、対象のお客様のうちこの割合を無作為に選び、"
                "その計画ではフォローしません"
                "（タスク・DMラベル・同梱物・メールのどれも出ません）。お休みしたお客様と比べることで、"
                "ダッシュボードの「施策の効果」でフォローの効果がわかります。0%にすると比較しません。"
                "割合は計画を初めて作るときに使われ、作り直してもお休みのお客様は変わりません。")
LEFT_OUT_COLUMNS = [
    Column("due_date", "予定日", "date", 6),
    Column("customer_id", "顧客番号", "int", 4),
    Column("name", "氏名", "text", 7),
    Column("cluster", "クラスター", "cluster", 6),
    Column("medium", "手段", "medium", 4),
    Column("action", "内容", "text", 14),
    Column("reason", "外した理由", "text", 0),
]
NO_LIMIT = "制限なし"
CAPACITY_MEDIA = {"phone": "電話", "dm": "DM"}


def left_out_label(count: int) -> str:
    return f"計画から外した顧客（{count:,}件）"


def plan_message(month_text: str, counts: dict) -> str:
    text = (f"{month_text}のフォロー計画: 新規 {counts['created']:,}件、"
            f"継続 {counts['kept']:,}件、削除 {counts['removed']:,}件")
    if counts.get("left_out"):
        text += (f"\n計画から外したタスク: {counts['left_out']:,}件（1週間にできる件数を超えた分、"
                 "連絡手段がないお客様など。「計画から外した顧客」で理由を確かめられます）")
    if counts.get("held_out"):
        text += (f"\n比較用にお休み {counts['held_out']:,}人"
                 "（この計画ではフォローせず、効果を測るために比べます）")
    return text


class LeftOutDialog(TableDialog):
    """What the month's plan left out, and why (TOP1% were kept first)."""

    def __init__(self, parent, month_text: str, frame: pd.DataFrame):
        super().__init__(parent, f"計画から外した顧客 — {month_text}",
                         "1週間にできる件数を超えた電話・DMは、優先度の低いお客様（TOP1%は最後）から"
                         "外しています。件数の設定を変えて計画を作り直すと、入れ直せます。",
                         LEFT_OUT_COLUMNS, frame, size=(1000, 520))


def month_choices(today: date, count: int = MONTHS_SHOWN) -> list[str]:
    """Next month, this month and the months before it, newest first ("YYYY-MM")."""
    return [add_months(month_of(today), 1 - back) for back in range(count)]


class CheckOffDialog(QDialog):
    """消し込み: when, by which medium, and what came of it."""

    def __init__(self, parent, task: dict, today: date):
        super().__init__(parent)
        self.setWindowTitle("フォローの消し込み")
        self.done_on = QDateEdit(QDate(today.year, today.month, today.day))
        self.done_on.setCalendarPopup(True)
        self.done_on.setDisplayFormat("yyyy-MM-dd")
        self.medium = QComboBox()
        for code in MEDIA:
            self.medium.addItem(MEDIUM_LABELS[code], code)
        self.medium.setCurrentIndex(max(0, self.medium.findData(task.get("medium"))))
        self.result = QLineEdit(task.get("result") or "")
        self.result.setPlaceholderText("例: 電話で近況を伺った、クーポンを使って再購入")
        buttons = ok_cancel(self, "消し込む")
        form = QFormLayout()
        form.addRow("お客様", QLabel(f"{task.get('name') or '（氏名なし）'}（顧客番号 "
                                     f"{task['customer_id']}）"))
        form.addRow("予定の内容", QLabel(task.get("action") or ""))
        form.addRow("実施日", self.done_on)
        form.addRow("手段", self.medium)
        form.addRow("結果", self.result)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.resize(460, self.sizeHint().height())

    def values(self) -> tuple[str, str, str]:
        return (self.done_on.date().toString("yyyy-MM-dd"), self.medium.currentData(),
                self.result.text().strip())


class HoldoutsDialog(TableDialog):
    """比較用にお休み: the customers the month's plan leaves alone, for comparison."""

    def __init__(self, parent, month_text: str, held: pd.DataFrame):
        super().__init__(parent, f"{month_text}の計画で比較用にお休みのお客様",
                         f"{len(held):,}人。この計画ではフォローしません（タスク・DMラベル・同梱物・"
                         "メールのどれにも出ません）。ほかのお客様と比べて、フォローの効果を測ります。",
                         HOLDOUT_COLUMNS, held)


def ask_check_off(parent, task: dict) -> tuple[str, str, str] | None:
    dialog = CheckOffDialog(parent, task, date.today())
    return dialog.values() if dialog.exec() == QDialog.DialogCode.Accepted else None


class TasksPage(QWidget):
    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self._tasks = pd.DataFrame(columns=[c.key for c in TASK_COLUMNS] + ["task_id"])
        self.month = QComboBox()
        for month in month_choices(date.today()):
            self.month.addItem(f"{month[:4]}年{int(month[5:])}月", month)
        self.month.setCurrentIndex(1)  # this month
        self.month.currentIndexChanged.connect(self.refresh)
        self.generate_button = QPushButton("フォロー計画を作成")
        self.generate_button.clicked.connect(self.generate)
        self.open_only = QCheckBox("未対応のみ")
        self.open_only.toggled.connect(self._show_tasks)
        self.summary = QLabel()
        self._held = pd.DataFrame(columns=[c.key for c in HOLDOUT_COLUMNS])
        self.holdout_share = QSpinBox()
        self.holdout_share.setRange(0, 50)
        self.holdout_share.setSuffix(" %")
        self.holdout_share.setKeyboardTracking(False)
        self.holdout_share.setToolTip(HOLDOUT_HINT)
        self.holdout_share.valueChanged.connect(self.save_holdout_share)
        self.holdout_top1 = QCheckBox("TOP1%もお休みの対象にする")
        self.holdout_top1.setToolTip("TOP1%のお客様は一人ひとりに対応するため、"
                                     "既定ではお休みにしません。")
        self.holdout_top1.clicked.connect(self.save_holdout_top1)
        self.holdouts_button = QPushButton("お休みのお客様を見る…")
        self.holdouts_button.clicked.connect(self.show_holdouts)
        self.capacity: dict[str, QSpinBox] = {}
        for medium in CAPACITY_MEDIA:
            spin = QSpinBox()
            spin.setRange(0, 9999)
            spin.setSpecialValueText(NO_LIMIT)
            spin.setSuffix(" 件")
            spin.setToolTip("0 にすると制限なし")
            self.capacity[medium] = spin
        self.capacity_button = QPushButton("件数を保存")
        self.capacity_button.setToolTip("次に計画を作る（作り直す）ときから使います。")
        self.capacity_button.clicked.connect(self.save_capacity)
        self._left_out = pd.DataFrame()
        self.left_out_button = QPushButton(left_out_label(0))
        self.left_out_button.clicked.connect(self.show_left_out)
        self.model = TableModel(TASK_COLUMNS, self)
        self.view = table_view(self.model)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.doubleClicked.connect(lambda _index: self.check_off())
        self.check_button = QPushButton("消し込み…")
        self.check_button.clicked.connect(self.check_off)
        self.reopen_button = QPushButton("未対応に戻す")
        self.reopen_button.clicked.connect(self.reopen)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())

        top = QHBoxLayout()
        top.addWidget(QLabel("対象月"))
        top.addWidget(self.month)
        top.addWidget(self.generate_button)
        top.addSpacing(16)
        top.addWidget(self.open_only)
        top.addStretch(1)
        top.addWidget(self.summary)
        holdout = QHBoxLayout()
        holdout_label = QLabel("比較用にお休み:")
        holdout_label.setToolTip(HOLDOUT_HINT)
        holdout.addWidget(holdout_label)
        holdout.addWidget(self.holdout_share)
        holdout.addWidget(QLabel("のお客様（新しく作る計画から）"))
        holdout.addSpacing(12)
        holdout.addWidget(self.holdout_top1)
        holdout.addStretch(1)
        holdout.addWidget(self.holdouts_button)
        capacity = QHBoxLayout()
        capacity.addWidget(QLabel("1週間にできる件数:"))
        for medium, label in CAPACITY_MEDIA.items():
            capacity.addWidget(QLabel(label))
            capacity.addWidget(self.capacity[medium])
        capacity.addWidget(self.capacity_button)
        capacity.addWidget(QLabel("超えた分は優先度の高いお客様（TOP1%から）を残して外します。"))
        capacity.addStretch(1)
        capacity.addWidget(self.left_out_button)
        bottom = QHBoxLayout()
        bottom.addWidget(QLabel("3か月で3回・2種類以上の手段でフォローします（3-3-2ルール）。"
                                "ダブルクリックで消し込み。"))
        bottom.addStretch(1)
        bottom.addWidget(self.reopen_button)
        bottom.addWidget(self.check_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(holdout)
        layout.addLayout(capacity)
        layout.addWidget(self.view, 1)
        layout.addLayout(bottom)
        self._update_buttons()

    def selected_month(self) -> str:
        return self.month.currentData()

    def refresh(self) -> None:
        month = self.selected_month()
        self.ctx.run(self, lambda shop, p, c: (shop.followups.tasks(month),
                                               shop.followups.holdouts(month),
                                               shop.followups.holdout_settings(),
                                               shop.followups.left_out(month),
                                               shop.followups.capacity()),
                     lambda loaded: self._on_tasks(month, *loaded))

    def _on_tasks(self, month: str, tasks: pd.DataFrame, held: pd.DataFrame,
                  settings: dict, left_out: pd.DataFrame, capacity: dict) -> None:
        self._show_settings(settings)
        for medium, spin in self.capacity.items():
            spin.setValue(capacity.get(medium) or 0)
        if month != self.selected_month():
            return
        self._tasks, self._held, self._left_out = tasks, held, left_out
        self.holdouts_button.setText(f"お休みのお客様を見る（{len(self._held):,}人）…")
        self.holdouts_button.setEnabled(len(self._held) > 0)
        self.left_out_button.setText(left_out_label(len(left_out)))
        self.left_out_button.setEnabled(len(left_out) > 0)
        self.generate_button.setText("フォロー計画を再作成" if len(tasks) else "フォロー計画を作成")
        self._show_tasks()

    def _show_tasks(self) -> None:
        tasks = self._tasks
        shown = tasks[tasks["status"] == "open"] if self.open_only.isChecked() else tasks
        self.model.set_frame(shown)
        done = int((tasks["status"] == "done").sum())
        text = (f"{len(tasks):,}件中 {done:,}件 済" if len(tasks)
                else "この月のフォロー計画はまだありません")
        if len(self._held):
            text += f"・比較用にお休み {len(self._held):,}人"
        self.summary.setText(text)
        self._update_buttons()

    def generate(self) -> None:
        month = self.selected_month()
        if len(self._tasks) and not confirm(
                self, f"{self.month.currentText()}のフォロー計画を作り直します。"
                      "消し込み済みのタスクはそのまま残ります。", "再作成する"):
            return

        def done(change: Change) -> None:
            tell(self, plan_message(self.month.currentText(), change.counts))
        self.ctx.run(self, lambda shop, progress, cancel: shop.followups.generate(
            month, progress=progress, cancel=cancel), done, label="フォロー計画を作成中…",
            changes_data=True)

    # --- 比較用にお休み -------------------------------------------------------------

    def _show_settings(self, settings: dict) -> None:
        self.holdout_share.blockSignals(True)
        self.holdout_share.setValue(round(float(settings["share"]) * 100))
        self.holdout_share.blockSignals(False)
        self.holdout_top1.setChecked(bool(settings["top1"]))

    def save_holdout_share(self, percent: int) -> None:
        share = percent / 100
        self.ctx.run(self, lambda shop, p, c: shop.followups.set_holdout(share=share))

    def save_holdout_top1(self, checked: bool) -> None:
        self.ctx.run(self, lambda shop, p, c: shop.followups.set_holdout(top1=checked))

    def show_holdouts(self) -> None:
        HoldoutsDialog(self, self.month.currentText(), self._held).exec()

    def save_capacity(self) -> None:
        """0 is 制限なし (None for the engine)."""
        values = {medium: spin.value() or None for medium, spin in self.capacity.items()}
        self.ctx.run(self, lambda shop, p, c: shop.followups.set_capacity(**values),
                     lambda _r: tell(self, "1週間にできる件数を保存しました。"
                                           "計画を作り直すと反映されます。"))

    def show_left_out(self) -> None:
        LeftOutDialog(self, self.month.currentText(), self._left_out).open()

    def current_task(self) -> dict | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.row(rows[0].row()) if rows else None

    def _update_buttons(self) -> None:
        task = self.current_task()
        self.check_button.setEnabled(task is not None)
        self.reopen_button.setEnabled(task is not None and task["status"] == "done")

    def check_off(self) -> None:
        task = self.current_task()
        if task is None:
            return
        values = ask_check_off(self, task)
        if values is None:
            return
        done_on, medium, result = values
        task_id = int(task["task_id"])
        self.ctx.run(self, lambda shop, p, c: shop.followups.check_off(
            task_id, done_on, medium, result), changes_data=True, failure=self._refused)

    def reopen(self) -> None:
        task = self.current_task()
        if task is None:
            return
        task_id = int(task["task_id"])
        self.ctx.run(self, lambda shop, p, c: shop.followups.reopen(task_id), changes_data=True,
                     failure=self._refused)

    def _refused(self, exc: BaseException) -> None:
        """Another desktop got there first: say who, and show the task as it is now."""
        show_error(self, exc)
        if isinstance(exc, ConflictError):
            self.ctx.data_changed.emit()
