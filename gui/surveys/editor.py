"""Defining a survey: its name and target, and its questions (the 質問の編集 page)."""
from __future__ import annotations

import pandas as pd
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDialog, QDialogButtonBox,
                               QFormLayout, QHBoxLayout, QLabel, QLineEdit, QMessageBox,
                               QPlainTextEdit, QPushButton, QSpinBox, QStackedWidget,
                               QVBoxLayout, QWidget)

from engine.analysis.rfm import CLUSTER_LABELS
from engine.errors import OtokuiError
from engine.research.survey_model import KIND_LABELS, SCALE_LIMITS, QuestionSpec, Survey
from gui.context import AppContext
from gui.widgets.table_model import Column, TableModel
from gui.widgets.table_view import table_view

TARGETS = {"": "指定なし", **CLUSTER_LABELS}


def target_label(target: str) -> str:
    return TARGETS.get(target, target)


QUESTION_COLUMNS = [
    Column("number", "No.", "int", 2),
    Column("kind", "種類", "question_kind", 4),
    Column("text", "質問", "text", 0),
    Column("detail", "選択肢・段階", "text", 0),
    Column("answers", "回答数", "int", 3),
]


def question_frame(survey: Survey | None, answer_counts: dict[int, int]) -> pd.DataFrame:
    """One row per question of ``survey`` (its id under "id"), in order."""
    rows = []
    for number, q in enumerate(survey.questions if survey else (), start=1):
        if q.kind == "choice":
            detail = " / ".join(o.label for o in q.options)
        elif q.kind == "scale":
            detail = f"{q.scale_label(q.scale_min)} 〜 {q.scale_label(q.scale_max)}"
        else:
            detail = ""
        rows.append({"id": q.id, "number": number, "kind": q.kind, "text": q.text,
                     "detail": detail, "answers": answer_counts.get(q.id, 0)})
    return pd.DataFrame(rows, columns=["id", *(c.key for c in QUESTION_COLUMNS)])


class SurveyDialog(QDialog):
    """Name, target cluster and description of a survey."""

    def __init__(self, parent=None, title="", target="", description=""):
        super().__init__(parent)
        self.setWindowTitle("アンケート")
        self.title = QLineEdit(title)
        self.target = QComboBox()
        for key, label in TARGETS.items():
            self.target.addItem(label, key)
        self.target.setCurrentIndex(max(self.target.findData(target), 0))
        self.description = QPlainTextEdit(description)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("名前", self.title)
        form.addRow("対象", self.target)
        form.addRow("説明・使い方", self.description)
        form.addRow(buttons)
        self.resize(520, 300)

    def values(self) -> dict:
        return {"title": self.title.text(), "target": self.target.currentData(),
                "description": self.description.toPlainText()}


class QuestionDialog(QDialog):
    """One question: kind, text, and its options (choice) or range (scale)."""

    def __init__(self, parent=None, spec: QuestionSpec | None = None):
        super().__init__(parent)
        self.setWindowTitle("質問")
        spec = spec or QuestionSpec("choice", "")
        self.kind = QComboBox()
        for key, label in KIND_LABELS.items():
            self.kind.addItem(label, key)
        self.text = QLineEdit(spec.text)
        self.options = QPlainTextEdit("\n".join(spec.options))
        self.options.setPlaceholderText("1行に1つずつ（番号キー 1, 2, 3 … で選べます）")
        self.scale_min, self.scale_max = QSpinBox(), QSpinBox()
        for box, value in ((self.scale_min, spec.scale_min or 1),
                           (self.scale_max, spec.scale_max or 5)):
            box.setRange(*SCALE_LIMITS)
            box.setValue(value)
        self.min_label = QLineEdit(spec.min_label or "")
        self.max_label = QLineEdit(spec.max_label or "")
        self.min_label.setPlaceholderText("例: 不満")
        self.max_label.setPlaceholderText("例: 満足")

        scale_page = QWidget()
        scale_form = QFormLayout(scale_page)
        scale_form.addRow("最小", self.scale_min)
        scale_form.addRow("最小の意味", self.min_label)
        scale_form.addRow("最大", self.scale_max)
        scale_form.addRow("最大の意味", self.max_label)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.options)
        self.pages.addWidget(scale_page)
        self.pages.addWidget(QLabel("お客様が自由に書いた文章をそのまま入力します。"))
        self.kind.currentIndexChanged.connect(self.pages.setCurrentIndex)
        self.kind.setCurrentIndex(max(self.kind.findData(spec.kind), 0))

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("種類", self.kind)
        form.addRow("質問文", self.text)
        form.addRow("選択肢・段階", self.pages)
        form.addRow(buttons)
        self.resize(560, 360)

    def spec(self) -> QuestionSpec:
        return QuestionSpec(
            self.kind.currentData(), self.text.text(),
            tuple(self.options.toPlainText().splitlines()),
            self.scale_min.value(), self.scale_max.value(),
            self.min_label.text(), self.max_label.text())

    def _accept(self) -> None:
        try:
            self.spec().checked()
        except OtokuiError as exc:
            QMessageBox.warning(self, "質問", str(exc))
            return
        self.accept()


class SurveyEditorPage(QWidget):
    """Questions of the current survey with add / edit / move / delete."""

    def __init__(self, ctx: AppContext, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.survey: Survey | None = None
        self.answer_counts: dict[int, int] = {}
        self.model = TableModel(QUESTION_COLUMNS, self)
        self.view = table_view(self.model, sortable=False)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setWordWrap(True)
        self.view.doubleClicked.connect(lambda _index: self.edit_question())

        buttons = QHBoxLayout()
        for text, slot in (("質問を追加…", self.add_question), ("編集…", self.edit_question),
                           ("上へ", lambda: self.move_question(-1)),
                           ("下へ", lambda: self.move_question(1)),
                           ("削除", self.delete_question)):
            button = QPushButton(text)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)

    def set_survey(self, survey: Survey | None, answer_counts: dict[int, int]) -> None:
        """Show ``survey``'s questions, keeping the chosen one chosen (also where it moved)."""
        if survey == self.survey and answer_counts == self.answer_counts:
            return
        chosen = self._current_id()
        self.survey, self.answer_counts = survey, answer_counts
        self.model.set_frame(question_frame(survey, answer_counts))
        self.view.resizeRowsToContents()
        row = next((r for r in range(self.model.total_rows())
                    if self.model.value(r, "id") == chosen), -1)
        if row >= 0:
            self.view.selectRow(row)

    def _current_id(self) -> int | None:
        index = self.view.currentIndex()
        return self.model.value(index.row(), "id") if index.isValid() else None

    def _change(self, change) -> None:
        """``change(shop)`` on the engine thread; the tab reloads on ``data_changed``."""
        self.ctx.run(self, lambda shop, progress, cancel: change(shop), changes_data=True)

    def add_question(self) -> None:
        if self.survey is None:
            return
        dialog = QuestionDialog(self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            survey_id, spec = self.survey.id, dialog.spec()
            self._change(lambda shop: shop.surveys.add_question(survey_id, spec))

    def edit_question(self) -> None:
        question_id = self._current_id()
        if self.survey is None or question_id is None:
            return
        question = self.survey.question(question_id)
        dialog = QuestionDialog(self, question.spec())
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        spec = dialog.spec().checked()
        if (self.answer_counts.get(question_id)
                and len(spec.options) < len(question.options)
                and QMessageBox.question(
                    self, "質問", "選択肢を減らすと、消した選択肢への回答も削除されます。よろしいですか？"
                ) != QMessageBox.StandardButton.Yes):
            return
        self._change(lambda shop: shop.surveys.update_question(question_id, spec))

    def move_question(self, step: int) -> None:
        question_id = self._current_id()
        if question_id is None:
            return
        row = self.view.currentIndex().row()
        self._change(lambda shop: shop.surveys.move_question(question_id, row + step))

    def delete_question(self) -> None:
        question_id = self._current_id()
        if question_id is None:
            return
        answers = self.answer_counts.get(question_id, 0)
        note = f"この質問への回答 {answers}件も削除されます。" if answers else ""
        if QMessageBox.question(self, "質問", f"この質問を削除しますか？{note}"
                                ) == QMessageBox.StandardButton.Yes:
            self._change(lambda shop: shop.surveys.delete_question(question_id))
