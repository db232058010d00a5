"""The 集計 page of the survey tab: one question's result table by cluster, and export."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QHeaderView, QLabel,
                               QMessageBox, QPushButton, QVBoxLayout, QWidget)

from engine.research.survey_model import KIND_LABELS, Survey
from engine.research.survey_results import QuestionResult
from gui.context import AppContext
from gui.widgets.cell_format import Share
from gui.widgets.file_dialogs import save_path
from gui.widgets.table_model import Column, TableModel, columns_of
from gui.widgets.table_view import table_view


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

        self.model = TableModel([], self)
        self.view = table_view(self.model, sortable=False)
        self.view.setWordWrap(True)
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
        """Show ``survey``'s results (clusters as of the 基準日), keeping the chosen question."""
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
            self.model.set_frame(pd.DataFrame(), [])
            self.summary.setText("質問がありません。「質問の編集」で追加してください。"
                                 if self.survey else "アンケートを選んでください。")
            return
        result = self.results[index]
        kind = result.question.kind
        table, columns = result.table, columns_of(result.table)
        if kind == "choice":
            table, columns = _with_shares(table, columns)
        self.model.set_frame(table, columns)
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
        path = save_path(self, "全回答を書き出し", f"{self.survey.title}_回答.xlsx",
                         "Excel (*.xlsx);;CSV (*.csv)")
        if path is None:
            return
        survey_id, target = self.survey.id, Path(path)

        def written(count: int) -> None:
            QMessageBox.information(self, "アンケート",
                                    f"{count}件の回答を書き出しました。\n{target.name}")
        as_of = self.ctx.as_of
        self.ctx.run(self, lambda shop, progress, cancel: shop.surveys.export_answers(
            survey_id, target, as_of), written)


def _summary(result: QuestionResult) -> str:
    table = result.table
    if result.question.kind == "choice":
        return (f"回答 {table['合計'].iloc[-1]}件。数字は人数、（ ）内はクラスターごとの割合です。"
                "クラスターは基準日時点の購入実績で分けています。")
    if result.question.kind == "scale":
        q = result.question
        return (f"回答 {table['回答数'].iloc[-1]}件。{q.scale_min}〜{q.scale_max}の平均と、"
                "各段階を選んだ人数です。")
    return f"回答 {len(table)}件。クラスター順に並べています。"


def _with_shares(table: pd.DataFrame, columns: list[Column]):
    """A choice table whose counts also show their share of the column's last row
    (its 回答数), e.g. 3（60%）; the last row shows the bare count."""
    shared, counted = table.astype(object), [columns[0]]
    for column in columns[1:]:
        counts = [int(c) for c in table[column.key]]
        shared[column.key] = [Share(c, counts[-1]) for c in counts[:-1]] + counts[-1:]
        counted.append(replace(column, kind="share"))
    return shared, counted
