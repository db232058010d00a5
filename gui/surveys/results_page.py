"""The 集計 page of the survey tab: one question's result table by cluster, and export."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QFileDialog, QHBoxLayout,
                               QHeaderView, QLabel, QMessageBox, QPushButton, QTableView,
                               QVBoxLayout, QWidget)

from engine.research.survey_model import KIND_LABELS, Survey
from engine.research.survey_results import QuestionResult
from gui.context import AppContext
from gui.widgets.result_table_model import ResultTableModel


class SurveyResultsPage(QWidget):
    def __init__(self, ctx: AppContext, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.survey: Survey | None = None
        self.results: list[QuestionResult] = []

        self.question_box = QComboBox()
        self.question_box.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.question_box.setMinimumContentsLength(30)
        self.question_box.currentIndexChanged.connect(self._show_question)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.export_button = QPushButton("全回答を書き出し（Excel・CSV）…")
        self.export_button.clicked.connect(self.export)

        self.model = ResultTableModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setWordWrap(True)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().hide()
        self.view.horizontalHeader().setMinimumSectionSize(64)

        top = QHBoxLayout()
        top.addWidget(QLabel("質問"))
        top.addWidget(self.question_box, 1)
        top.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.view, 1)

    def set_results(self, survey: Survey | None, results: list[QuestionResult]) -> None:
        """Show ``survey``'s results (clusters as of today), keeping the chosen question."""
        keep = self.question_box.currentIndex()
        self.survey, self.results = survey, results
        self.question_box.blockSignals(True)
        self.question_box.clear()
        for number, result in enumerate(self.results, start=1):
            q = result.question
            self.question_box.addItem(f"Q{number}. {q.text}（{KIND_LABELS[q.kind]}）")
        self.question_box.setCurrentIndex(min(max(keep, 0), len(self.results) - 1))
        self.question_box.blockSignals(False)
        self.export_button.setEnabled(self.survey is not None)
        self._show_question()

    def _show_question(self) -> None:
        index = self.question_box.currentIndex()
        if not (0 <= index < len(self.results)):
            self.model.set_frame(pd.DataFrame())
            self.summary.setText("質問がありません。「質問の編集」で追加してください。"
                                 if self.survey else "アンケートを選んでください。")
            return
        result = self.results[index]
        kind = result.question.kind
        self.model.set_frame(result.table, shares_of_last_row=(kind == "choice"))
        header = self.view.horizontalHeader()
        header.setStretchLastSection(kind == "text")
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        if kind == "text":
            header.setSectionResizeMode(len(result.table.columns) - 1,
                                        QHeaderView.ResizeMode.Stretch)
        self.view.resizeRowsToContents()
        self.summary.setText(_summary(result))

    def export(self) -> None:
        if self.survey is None:
            return
        path, _ = QFileDialog.getSaveFileName(
            self, "全回答を書き出し", f"{self.survey.title}_回答.xlsx",
            "Excel (*.xlsx);;CSV (*.csv)")
        if not path:
            return
        survey_id, target = self.survey.id, Path(path)

        def written(count: int) -> None:
            QMessageBox.information(self, "アンケート",
                                    f"{count}件の回答を書き出しました。\n{target.name}")
        self.ctx.run(self, lambda shop, progress, cancel: shop.surveys.export_answers(
            survey_id, target), written)


def _summary(result: QuestionResult) -> str:
    table = result.table
    if result.question.kind == "choice":
        return (f"回答 {table['合計'].iloc[-1]}件。数字は人数、（ ）内はクラスターごとの割合です。"
                "クラスターは今日時点の購入実績で分けています。")
    if result.question.kind == "scale":
        q = result.question
        return (f"回答 {table['回答数'].iloc[-1]}件。{q.scale_min}〜{q.scale_max}の平均と、"
                "各段階を選んだ人数です。")
    return f"回答 {len(table)}件。クラスター順に並べています。"
