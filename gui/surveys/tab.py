"""The アンケート tab: the list of surveys, and for the chosen one the pages
回答入力 (keyboard entry), 集計 (results by cluster) and 質問の編集."""
from __future__ import annotations

import pandas as pd
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QHBoxLayout, QInputDialog, QLabel,
                               QListView, QMessageBox, QPushButton, QSplitter, QTabWidget,
                               QVBoxLayout, QWidget)

from engine.errors import OtokuiError
from gui.surveys.editor import SurveyDialog, SurveyEditorPage, target_label
from gui.surveys.entry import SurveyEntryPage
from gui.surveys.results_page import SurveyResultsPage
from gui.widgets import cell_format
from gui.widgets.table_model import Column, TableModel

SURVEY_COLUMNS = [Column("summary", "アンケート", "text", 0)]


class SurveyListModel(TableModel):
    """Surveys, newest first, each shown as its title over its counts in a list view."""

    def __init__(self, parent=None):
        super().__init__(SURVEY_COLUMNS, parent)

    @property
    def rows(self) -> list[dict]:
        return self.records()

    def set_rows(self, rows: list[dict]) -> None:
        frame = pd.DataFrame(rows, columns=["id", "title", "responses", "questions"])
        frame["summary"] = [f"{r['title']}\n回答 {cell_format.text('int', r['responses'])}件・"
                            f"質問 {cell_format.text('int', r['questions'])}問" for r in rows]
        self.set_frame(frame)

    def index(self, row: int, column: int = 0, parent=QModelIndex()) -> QModelIndex:
        # Like a list model's: the list view and the tab ask for a row alone.
        return super().index(row, column, parent)

    def survey_id(self, index: QModelIndex) -> int | None:
        return self.value(index.row(), "id") if index.isValid() else None

    def row_of(self, survey_id: int | None) -> int:
        return next((i for i, r in enumerate(self.rows) if r["id"] == survey_id), -1)


class SurveysTab(QWidget):
    """Define surveys, enter answers per customer, see results by cluster, export."""

    def __init__(self, shop, parent=None):
        super().__init__(parent)
        self.shop = shop
        self.survey = None

        self.list_model = SurveyListModel(self)
        self.list_view = QListView()
        self.list_view.setModel(self.list_model)
        self.list_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list_view.setSpacing(2)
        self.list_view.selectionModel().currentChanged.connect(
            lambda current, _previous: self._select(self.list_model.survey_id(current)))
        left_buttons = QVBoxLayout()
        for text, slot in (("新しいアンケート…", self.new_survey),
                           ("テンプレートから作成…", self.new_from_template),
                           ("名前・対象を変更…", self.edit_survey),
                           ("アンケートを削除", self.delete_survey)):
            button = QPushButton(text)
            button.clicked.connect(slot)
            left_buttons.addWidget(button)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(QLabel("アンケート"))
        left_layout.addWidget(self.list_view, 1)
        left_layout.addLayout(left_buttons)

        self.heading = QLabel("")
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.entry = SurveyEntryPage(shop)
        self.results = SurveyResultsPage(shop)
        self.editor = SurveyEditorPage(shop)
        self.entry.saved.connect(self._after_answers)
        self.editor.changed.connect(self._reload_survey)
        self.pages = QTabWidget()
        self.pages.addTab(self.entry, "回答入力")
        self.pages.addTab(self.results, "集計（クラスター別）")
        self.pages.addTab(self.editor, "質問の編集")
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.heading)
        right_layout.addWidget(self.pages, 1)

        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([260, 900])
        layout = QHBoxLayout(self)
        layout.addWidget(splitter)
        self.refresh()

    def refresh(self) -> None:
        """Reload everything from the database (after an import, undo, another tab …)."""
        current = self.survey.id if self.survey else None
        self.list_model.set_rows(self.shop.surveys.list_surveys())
        row = self.list_model.row_of(current)
        if row < 0 and self.list_model.rowCount():
            row = 0
        if row >= 0:
            self.list_view.setCurrentIndex(self.list_model.index(row))
        self._select(self.list_model.rows[row]["id"] if row >= 0 else None, force=True)

    def select_survey(self, survey_id: int) -> None:
        row = self.list_model.row_of(survey_id)
        if row >= 0:
            self.list_view.setCurrentIndex(self.list_model.index(row))

    def _select(self, survey_id: int | None, force: bool = False) -> None:
        if not force and self.survey is not None and self.survey.id == survey_id:
            return
        try:
            self.survey = self.shop.surveys.get(survey_id) if survey_id else None
        except OtokuiError:
            self.survey = None
        self._show_survey()

    def _show_survey(self) -> None:
        survey = self.survey
        if survey is None:
            self.heading.setText("アンケートがありません。「テンプレートから作成」で始めると簡単です。")
        else:
            text = f"{survey.title}　（対象: {target_label(survey.target)}）"
            if survey.description:
                text += "\n" + survey.description
            self.heading.setText(text)
        self.entry.set_survey(survey)
        self.results.set_survey(survey)
        self.editor.set_survey(survey)

    def _reload_survey(self) -> None:
        self._select(self.survey.id if self.survey else None, force=True)
        self._refresh_counts()

    def _after_answers(self) -> None:
        self.results.refresh()
        self.editor.set_survey(self.survey)
        self._refresh_counts()

    def _refresh_counts(self) -> None:
        self.list_model.set_rows(self.shop.surveys.list_surveys())
        row = self.list_model.row_of(self.survey.id if self.survey else None)
        if row >= 0:
            self.list_view.selectionModel().blockSignals(True)
            self.list_view.setCurrentIndex(self.list_model.index(row))
            self.list_view.selectionModel().blockSignals(False)

    # -- survey-level actions ---------------------------------------------------

    def _created(self, action) -> None:
        try:
            survey_id = action()
        except OtokuiError as exc:
            QMessageBox.warning(self, "アンケート", str(exc))
            return
        self.refresh()
        self.select_survey(survey_id)

    def new_survey(self) -> None:
        dialog = SurveyDialog(self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self._created(lambda: self.shop.surveys.create(**dialog.values()))
            self.pages.setCurrentWidget(self.editor)

    def new_from_template(self) -> None:
        templates = self.shop.surveys.templates()
        title, ok = QInputDialog.getItem(self, "テンプレートから作成", "テンプレート",
                                         [t.title for t in templates], 0, False)
        if ok:
            key = next(t.key for t in templates if t.title == title)
            self._created(lambda: self.shop.surveys.create_from_template(key))

    def edit_survey(self) -> None:
        if self.survey is None:
            return
        dialog = SurveyDialog(self, self.survey.title, self.survey.target,
                              self.survey.description)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            try:
                self.shop.surveys.update(self.survey.id, **dialog.values())
            except OtokuiError as exc:
                QMessageBox.warning(self, "アンケート", str(exc))
            self.refresh()

    def delete_survey(self) -> None:
        if self.survey is None:
            return
        responses = self.list_model.rows[self.list_model.row_of(self.survey.id)]["responses"]
        if QMessageBox.question(
                self, "アンケート",
                f"「{self.survey.title}」と回答 {responses}件を削除しますか？"
                ) == QMessageBox.StandardButton.Yes:
            self.shop.surveys.delete(self.survey.id)
            self.survey = None
            self.refresh()
