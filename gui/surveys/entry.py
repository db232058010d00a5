"""Entering survey answers from the keyboard, one customer after another.

Type an ID, name, kana or phone number, Enter picks the customer; a number key
answers a choice or scale question, Tab goes to the next question, Enter saves
and returns to the customer field for the next one.

The search brings each match's earlier answers along, so picking a customer shows
them at once; saving clears the form at once and stores the answers on the engine
thread meanwhile.
"""
from __future__ import annotations

import time
import unicodedata

import pandas as pd
from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDateEdit, QFormLayout, QHBoxLayout,
                               QLabel, QLineEdit, QMessageBox, QPushButton,
                               QScrollArea, QVBoxLayout, QWidget)

from engine.research.survey_model import Question, Survey
from gui.context import AppContext, LatestLoad
from gui.errors import show_error
from gui.widgets.table_model import Column, TableModel
from gui.widgets.table_view import table_view

# Two digits typed within this time make one number ("1", "0" -> 10).
DIGIT_PAIR_SECONDS = 0.8
NO_ANSWER = "—（未回答）"


class AnswerBox(QComboBox):
    """A choice or scale answer: number keys pick, Delete clears, Enter submits."""

    submitted = Signal()

    def __init__(self, question: Question, parent=None):
        super().__init__(parent)
        self.question = question
        self._values: list = [None]
        self._keys: dict[str, int] = {}
        self.addItem(NO_ANSWER)
        if question.kind == "choice":
            for number, option in enumerate(question.options, start=1):
                self.addItem(f"{number}  {option.label}")
                self._values.append(option.id)
                self._keys[str(number)] = len(self._values) - 1
        else:
            for value in question.scale_values:
                self.addItem(question.scale_label(value))
                self._values.append(value)
                self._keys[str(value)] = len(self._values) - 1
        self._last_digit = ("", 0.0)

    def value(self):
        return self._values[self.currentIndex()]

    def set_value(self, value) -> None:
        self.setCurrentIndex(self._values.index(value) if value in self._values else 0)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.submitted.emit()
            return
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.setCurrentIndex(0)
            return
        digit = unicodedata.normalize("NFKC", event.text())
        if digit.isdigit() and len(digit) == 1:
            previous, at = self._last_digit
            pair = previous + digit
            now = time.monotonic()
            if previous and now - at <= DIGIT_PAIR_SECONDS and pair in self._keys:
                self.setCurrentIndex(self._keys[pair])
                self._last_digit = ("", 0.0)
            else:
                if digit in self._keys:
                    self.setCurrentIndex(self._keys[digit])
                self._last_digit = (digit, now)
            return
        super().keyPressEvent(event)


# Customers matching what was typed (SurveyService.find_customers rows).
MATCH_COLUMNS = [
    Column("id", "顧客ID", "int", 4),
    Column("name", "氏名", "text", 7),
    Column("kana", "フリガナ", "text", 8),
    Column("phone", "電話番号", "phone", 8),
    Column("address1", "住所", "text", 0),
]


def find_customers(shop, survey_id: int, text: str) -> list[dict]:
    """On the engine thread: the customers matching ``text``, each with its
    ``response`` to the survey (None when they have not answered)."""
    rows = shop.surveys.find_customers(text)
    for row in rows:
        row["response"] = shop.surveys.response(survey_id, row["id"])
    return rows


class SurveyEntryPage(QWidget):
    """The 回答入力 page of the survey tab."""

    def __init__(self, ctx: AppContext, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.survey: Survey | None = None
        self.customer: dict | None = None
        self.editors: dict[int, AnswerBox | QLineEdit] = {}
        self._searches = LatestLoad(ctx, self)
        # The text the shown matches were found for; Enter waits for the matches of what
        # is in the field now.
        self._matched_text = ""
        self._pick_when_found = False

        self.search = QLineEdit()
        self.search.setPlaceholderText("顧客ID・氏名・フリガナ・電話番号を入力して Enter")
        self.search.textEdited.connect(self._typed)
        self.search.returnPressed.connect(self.pick_current)
        self.search.installEventFilter(self)
        self._search_timer = QTimer(self, singleShot=True, interval=200)
        self._search_timer.timeout.connect(self._run_search)

        self.matches = TableModel(MATCH_COLUMNS, self)
        self.match_view = table_view(self.matches, sortable=False)
        self.match_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.match_view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.match_view.setMaximumHeight(150)
        self.match_view.doubleClicked.connect(lambda _index: self.pick_current())
        self.match_view.hide()

        self.customer_label = QLabel("お客様を選んでください")
        self.customer_label.setWordWrap(True)
        self.answered_on = QDateEdit(QDate.currentDate())
        self.answered_on.setCalendarPopup(True)
        self.answered_on.setDisplayFormat("yyyy-MM-dd")
        # Kept out of the Tab chain: entry goes customer -> questions -> save.
        self.answered_on.setFocusPolicy(Qt.FocusPolicy.ClickFocus)

        self.form_holder = QWidget()
        self.form = QFormLayout(self.form_holder)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form_holder)

        self.save_button = QPushButton("保存（Enter）")
        self.save_button.clicked.connect(self.save)
        self.clear_button = QPushButton("入力をやめる（Esc）")
        self.clear_button.clicked.connect(self.next_customer)
        self.delete_button = QPushButton("この方の回答を削除")
        self.delete_button.clicked.connect(self._delete_response)
        self.status = QLabel("")
        keys = QLabel("数字キーで選ぶ → Tabで次の質問へ → Enterで保存して次のお客様へ。"
                      "Deleteで未回答に戻します。")
        keys.setStyleSheet("color: #555;")

        top = QHBoxLayout()
        top.addWidget(QLabel("お客様"))
        top.addWidget(self.search, 1)
        top.addWidget(QLabel("回答日"))
        top.addWidget(self.answered_on)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        buttons.addWidget(self.delete_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.match_view)
        layout.addWidget(self.customer_label)
        layout.addWidget(keys)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        self._update_enabled()

    # -- survey and customer -------------------------------------------------

    def set_survey(self, survey: Survey | None) -> None:
        """Show the questions of ``survey`` (None: nothing to enter). The form is only
        rebuilt when the questions changed, so a reload never disturbs typing."""
        if survey == self.survey:
            return
        if survey is None or self.survey is None or survey.id != self.survey.id:
            self._forget_customer()  # matches and answers belong to the survey they came with
        self.survey = survey
        while self.form.rowCount():
            self.form.removeRow(0)
        self.editors = {}
        for number, question in enumerate(survey.questions if survey else (), start=1):
            if question.kind == "text":
                editor = QLineEdit()
                editor.setPlaceholderText("自由記述（Enterで保存）")
                editor.returnPressed.connect(self.save)
            else:
                editor = AnswerBox(question)
                editor.submitted.connect(self.save)
            label = QLabel(f"Q{number}. {question.text}")
            label.setWordWrap(True)
            self.form.addRow(label, editor)
            self.editors[question.id] = editor
        chain = [self.search, *self.editors.values(), self.save_button]
        for first, second in zip(chain, chain[1:]):
            QWidget.setTabOrder(first, second)
        if self.customer is not None:
            self._show_answers()
        self._update_enabled()

    def eventFilter(self, watched, event) -> bool:
        if watched is self.search and event.type() == event.Type.KeyPress:
            step = {Qt.Key.Key_Down: 1, Qt.Key.Key_Up: -1}.get(event.key())
            if step and self.matches.rowCount():
                row = self.match_view.currentIndex().row() + step
                row = min(max(row, 0), self.matches.rowCount() - 1)
                self.match_view.selectRow(row)
                return True
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.next_customer()
            return
        super().keyPressEvent(event)

    def _show_matches(self, rows: list[dict], text: str = "") -> None:
        self.matches.set_frame(pd.DataFrame(rows, dtype=object))
        self._matched_text = text
        self.match_view.setVisible(bool(rows))
        if rows:
            self.match_view.selectRow(0)

    def _typed(self, _text: str) -> None:
        self._pick_when_found = False
        self._search_timer.start()

    def _run_search(self) -> None:
        """Search on the engine thread; matches that newer typing overtook are dropped."""
        self._search_timer.stop()
        if self.survey is None:
            return
        text, survey_id = self.search.text(), self.survey.id

        def found(rows: list[dict]) -> None:
            if self.survey is None or self.survey.id != survey_id:
                return
            self._show_matches(rows, text)
            if self._pick_when_found:
                self.pick_current()
        self._searches.run(lambda shop: find_customers(shop, survey_id, text), found)

    def pick_current(self) -> None:
        """Enter in the customer field: choose the highlighted match, once the matches
        for what is typed are in."""
        if self._search_timer.isActive() or self._matched_text != self.search.text():
            self._pick_when_found = True
            self._run_search()
            return
        self._pick_when_found = False
        if not self.matches.rowCount():
            self.status.setText(f"「{self.search.text()}」に当てはまるお客様はいません。")
            return
        row = max(self.match_view.currentIndex().row(), 0)
        self.choose_customer(self.matches.row(row))

    def choose_customer(self, customer: dict) -> None:
        """``customer``: a row of find_customers, with its ``response``."""
        self.customer = customer
        self.search.setText(f"{customer['id']}  {customer['name']}")
        self._show_matches([])
        self._show_answers()
        self._update_enabled()
        first = next(iter(self.editors.values()), None)
        if first is not None:
            first.setFocus()

    def _fill(self, answers: dict[int, object]) -> None:
        """Each question's editor shows ``answers``' value (blank when none)."""
        for question_id, editor in self.editors.items():
            value = answers.get(question_id)
            if isinstance(editor, AnswerBox):
                editor.set_value(value)
            else:
                editor.setText(value or "")

    def _show_answers(self) -> None:
        response = self.customer["response"]
        self._fill(response.answers if response else {})
        name = f"顧客ID {self.customer['id']}　{self.customer['name'] or '（氏名なし）'} 様"
        if response:
            self.answered_on.setDate(QDate.fromString(response.answered_on, "yyyy-MM-dd"))
            self.customer_label.setText(f"{name}　— 回答済み（{response.answered_on}）。"
                                        "保存すると上書きします。")
        else:
            self.customer_label.setText(f"{name}　— 未回答")

    def _update_enabled(self) -> None:
        ready = self.survey is not None and self.customer is not None
        self.form_holder.setEnabled(ready)
        self.save_button.setEnabled(ready)
        self.delete_button.setEnabled(ready)
        self.search.setEnabled(self.survey is not None and bool(self.survey.questions))

    # -- saving ----------------------------------------------------------------

    def answers(self) -> dict[int, object]:
        return {qid: (e.value() if isinstance(e, AnswerBox) else e.text())
                for qid, e in self.editors.items()}

    def save(self) -> None:
        """Store the answers on the engine thread; the form is ready for the next customer
        at once."""
        if self.survey is None or self.customer is None:
            return
        customer = self.customer
        survey_id, customer_id, name = self.survey.id, customer["id"], customer["name"]
        answers = self.answers()
        answered_on = self.answered_on.date()
        answered = sum(1 for v in answers.values() if v not in (None, ""))

        def saved(_response_id) -> None:
            self.status.setText(f"保存しました: {name} 様（{answered}問回答）。次のお客様をどうぞ。")

        def failed(exc: BaseException) -> None:
            self.status.setText(f"{name} 様の回答は保存できませんでした。")
            # Unless the next customer was begun, the answers are back in the form, to
            # save again (e.g. once a lost server is back).
            if (self.customer is None and not self.search.text() and self.survey is not None
                    and self.survey.id == survey_id):
                self._show_unsaved(customer, answers, answered_on)
            show_error(self, exc)
        self.ctx.run(self, lambda shop, progress, cancel: shop.surveys.save_response(
            survey_id, customer_id, answers, answered_on=answered_on.toString("yyyy-MM-dd")),
            saved, failure=failed, changes_data=True)
        self.status.setText(f"{name} 様の回答を保存しています…")
        self.next_customer()

    def _show_unsaved(self, customer: dict, answers: dict[int, object], answered_on) -> None:
        self.choose_customer(customer)
        self._fill(answers)
        self.answered_on.setDate(answered_on)

    def next_customer(self) -> None:
        """Clear the form and put the cursor back in the customer field."""
        self._forget_customer()
        self.search.setFocus()

    def _forget_customer(self) -> None:
        self.customer = None
        for editor in self.editors.values():
            if isinstance(editor, AnswerBox):
                editor.set_value(None)
            else:
                editor.clear()
        self.search.clear()
        self._show_matches([])
        self._pick_when_found = False
        self.customer_label.setText("お客様を選んでください")
        self._update_enabled()

    def _delete_response(self) -> None:
        if self.survey is None or self.customer is None:
            return
        if QMessageBox.question(self, "アンケート", f"{self.customer['name']} 様の回答を削除しますか？"
                                ) != QMessageBox.StandardButton.Yes:
            return
        survey_id, customer_id, name = self.survey.id, self.customer["id"], self.customer["name"]
        self.ctx.run(self, lambda shop, progress, cancel: shop.surveys.delete_response(
            survey_id, customer_id),
            lambda _result: self.status.setText(f"{name} 様の回答を削除しました。"),
            changes_data=True)
        self.next_customer()
