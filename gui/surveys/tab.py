"""The アンケート tab: the list of surveys, and for the chosen one the pages
回答入力 (keyboard entry), 集計 (results by cluster) and 質問の編集."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QHBoxLayout, QInputDialog, QLabel,
                               QListView, QMessageBox, QPushButton, QSplitter, QTabWidget,
                               QVBoxLayout, QWidget)

from engine.research.survey_model import Survey
from engine.research.survey_results import QuestionResult
from gui.context import AppContext, LatestLoad
from gui.surveys.editor import SurveyDialog, SurveyEditorPage, target_label
from gui.surveys.entry import SurveyEntryPage
from gui.surveys.results_page import SurveyResultsPage
from gui.widgets import cell_format
from gui.widgets.lazy_refresh import RefreshOnShow
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


@dataclass
class SurveyPages:
    """What the tab shows: every survey, and the chosen one with its counts and results."""
    surveys: list[dict]
    survey: Survey | None = None
    answer_counts: dict[int, int] = field(default_factory=dict)
    results: list[QuestionResult] = field(default_factory=list)


def load_survey_pages(shop, survey_id: int | None, as_of) -> SurveyPages:
    """On the engine thread: the list, and survey ``survey_id`` (the newest when it is
    gone) with its results by the respondents' clusters as of ``as_of``."""
    surveys = shop.surveys.list_surveys()
    ids = [row["id"] for row in surveys]
    if survey_id not in ids:
        survey_id = ids[0] if ids else None
    if survey_id is None:
        return SurveyPages(surveys)
    return SurveyPages(surveys, shop.surveys.get(survey_id),
                       shop.surveys.answer_counts(survey_id),
                       shop.surveys.results(survey_id, as_of))


class SurveysTab(RefreshOnShow, QWidget):
    """Define surveys, enter answers per customer, see results by cluster, export."""

    def __init__(self, ctx: AppContext, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.survey: Survey | None = None
        # The survey to show: the loaded one, or the one asked for and still loading.
        self._wanted: int | None = None
        self._loads = LatestLoad(ctx, self)

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
        self.entry = SurveyEntryPage(ctx)
        self.results = SurveyResultsPage(ctx)
        self.editor = SurveyEditorPage(ctx)
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
        self.watch(ctx, as_of=True)

    def refresh(self) -> None:
        """Reload everything on the engine thread (after an import, an answer, an edit …)."""
        self._load(self._wanted)

    def select_survey(self, survey_id: int) -> None:
        row = self.list_model.row_of(survey_id)
        if row >= 0:
            self.list_view.setCurrentIndex(self.list_model.index(row))

    def _select(self, survey_id: int | None) -> None:
        if survey_id is not None and survey_id != self._wanted:
            self._load(survey_id)

    def _load(self, survey_id: int | None) -> None:
        self._wanted = survey_id
        as_of = self.ctx.as_of
        self._loads.run(lambda shop: load_survey_pages(shop, survey_id, as_of), self._show)

    def _show(self, pages: SurveyPages) -> None:
        survey = self.survey = pages.survey
        self._wanted = survey.id if survey else None
        self.list_model.set_rows(pages.surveys)
        # After _wanted is set, so _select takes this for what it already shows.
        self.select_survey(self._wanted)
        if survey is None:
            self.heading.setText("アンケートがありません。「テンプレートから作成」で始めると簡単です。")
        else:
            text = f"{survey.title}　（対象: {target_label(survey.target)}）"
            if survey.description:
                text += "\n" + survey.description
            self.heading.setText(text)
        self.entry.set_survey(survey)
        self.results.set_results(survey, pages.results)
        self.editor.set_survey(survey, pages.answer_counts)

    # -- survey-level actions ---------------------------------------------------

    def _change(self, change, shows_new_survey: bool = False) -> None:
        """Run ``change(shop)`` on the engine thread; the ``data_changed`` after it reloads
        the tab, showing the survey whose id ``change`` returned if asked."""
        def changed(result) -> None:
            if shows_new_survey:
                self._wanted = result.created
        self.ctx.run(self, lambda shop, progress, cancel: change(shop), changed,
                     changes_data=True)

    def new_survey(self) -> None:
        dialog = SurveyDialog(self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            values = dialog.values()
            self._change(lambda shop: shop.surveys.create(**values), shows_new_survey=True)
            self.pages.setCurrentWidget(self.editor)

    def new_from_template(self) -> None:
        self.ctx.run(self, lambda shop, progress, cancel: shop.surveys.templates(),
                     self._choose_template)

    def _choose_template(self, templates) -> None:
        title, ok = QInputDialog.getItem(self, "テンプレートから作成", "テンプレート",
                                         [t.title for t in templates], 0, False)
        if ok:
            key = next(t.key for t in templates if t.title == title)
            self._change(lambda shop: shop.surveys.create_from_template(key),
                         shows_new_survey=True)

    def edit_survey(self) -> None:
        if self.survey is None:
            return
        dialog = SurveyDialog(self, self.survey.title, self.survey.target,
                              self.survey.description)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            survey_id, values = self.survey.id, dialog.values()
            self._change(lambda shop: shop.surveys.update(survey_id, **values))

    def delete_survey(self) -> None:
        if self.survey is None:
            return
        responses = self.list_model.rows[self.list_model.row_of(self.survey.id)]["responses"]
        if QMessageBox.question(
                self, "アンケート",
                f"「{self.survey.title}」と回答 {responses}件を削除しますか？"
                ) == QMessageBox.StandardButton.Yes:
            survey_id = self.survey.id
            self._change(lambda shop: shop.surveys.delete(survey_id))
