"""The bar above the tabs: the window's one 基準日 and, when the data is old, a reminder
to import this month's orders."""
from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QDateEdit, QHBoxLayout, QLabel, QPushButton, QWidget

# Orders are imported once a month; newer than this the data may just be a month old.
IMPORT_OVERDUE_DAYS = 45


def overdue_notice(newest: date | None, today: date) -> str:
    """The reminder to show, or "" when the newest order is recent (or there is none:
    an empty shop is told what to do elsewhere)."""
    if newest is None or (today - newest).days <= IMPORT_OVERDUE_DAYS:
        return ""
    return (f"最新の注文は{(today - newest).days}日前です。"
            "今月分の注文データを取り込んでください。")


class AsOfBar(QWidget):
    """基準日 [date] [今日] — changing it makes ``ctx`` tell every tab to reload."""

    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.date_edit = QDateEdit()
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.date_edit.setToolTip("すべてのタブの数字（顧客の購入回数・クラスター・売上など）は"
                                  "この日の時点で集計します。")
        self.today_button = QPushButton("今日")
        self.today_button.setToolTip("基準日を今日に戻します。")
        self.note = QLabel("時点の集計")
        self.overdue = QLabel()
        self.overdue.setObjectName("overdueNotice")
        # Calm, not alarming: the shop owner only forgot a routine step.
        self.overdue.setStyleSheet("#overdueNotice { background: #FFF4D6; color: #5C4400;"
                                   " border: 1px solid #E8C77A; border-radius: 4px;"
                                   " padding: 2px 8px; }")
        self.overdue.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 0)
        layout.addWidget(QLabel("基準日"))
        layout.addWidget(self.date_edit)
        layout.addWidget(self.today_button)
        layout.addWidget(self.note)
        layout.addSpacing(16)
        layout.addWidget(self.overdue)
        layout.addStretch(1)
        self._show_as_of()
        self.date_edit.dateChanged.connect(lambda day: ctx.set_as_of(day.toPython()))
        self.today_button.clicked.connect(lambda: ctx.set_as_of(date.today()))
        ctx.as_of_changed.connect(self._show_as_of)

    def _show_as_of(self) -> None:
        day = self.ctx.as_of
        self.date_edit.blockSignals(True)
        self.date_edit.setDate(QDate(day.year, day.month, day.day))
        self.date_edit.blockSignals(False)
        self.today_button.setEnabled(day != date.today())

    def show_newest_order(self, newest: date | None) -> None:
        """Remind the user to import when the newest order is old (judged from today,
        not the 基準日: the data is old whatever day the figures are for)."""
        text = overdue_notice(newest, date.today())
        self.overdue.setText(text)
        self.overdue.setVisible(bool(text))
