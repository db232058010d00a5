"""Survey results by customer cluster, and the export of every answer.

Respondents are grouped by their cluster as of a date, as the shop's segments
(``shop.segments``, with its TOP percentages) place them; customers
without a valid order by then are grouped as 未購入. Tables come back ready to
show or export, with Japanese headers.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from engine.analysis.rfm import CLUSTER_LABELS, CLUSTERS
from engine.export import write_table
from engine.research.survey_model import Question, Survey

NO_PURCHASE = "none"
GROUP_LABELS = {**CLUSTER_LABELS, NO_PURCHASE: "未購入"}
TOTAL = "合計"
ANSWER_COUNT = "回答数"


@dataclass(frozen=True)
class QuestionResult:
    """One question's result table.

    choice: one row per option plus a 回答数 row, one column per cluster plus 合計.
    scale:  one row per cluster plus 合計; columns 回答数, 平均, then a count per value.
    text:   one row per answer: 顧客ID, 氏名, クラスター, 回答日, 回答.
    """
    question: Question
    table: pd.DataFrame


def respondents(shop, survey_id: int, as_of: date | str | None = None) -> pd.DataFrame:
    """One row per response: response_id, customer_id, name, answered_on, cluster."""
    rows = shop.db.query(
        """SELECT r.id AS response_id, r.customer_id, c.name, r.answered_on
           FROM survey_responses r JOIN customers c ON c.id = r.customer_id
           WHERE r.survey_id = ? ORDER BY r.customer_id""", (survey_id,))
    frame = pd.DataFrame(rows, columns=["response_id", "customer_id", "name", "answered_on"])
    metrics = shop.segments.metrics(as_of)
    clusters = dict(zip(metrics["customer_id"], metrics["cluster"]))
    frame["cluster"] = [clusters.get(c, NO_PURCHASE) for c in frame["customer_id"]]
    return frame


def _answers(shop, survey_id: int) -> pd.DataFrame:
    rows = shop.db.query(
        """SELECT a.response_id, a.question_id, a.option_id, a.number, a.text
           FROM survey_answers a JOIN survey_responses r ON r.id = a.response_id
           WHERE r.survey_id = ?""", (survey_id,))
    return pd.DataFrame(rows, columns=["response_id", "question_id", "option_id", "number",
                                       "text"])


def _group_order(clusters) -> list[str]:
    present = set(clusters)
    return [g for g in (*CLUSTERS, NO_PURCHASE) if g in present]


def results(shop, survey: Survey, as_of: date | str | None = None) -> list[QuestionResult]:
    """Per question of the survey, its result table by cluster (see QuestionResult)."""
    people = respondents(shop, survey.id, as_of)
    answers = _answers(shop, survey.id).merge(people, on="response_id")
    groups = _group_order(people["cluster"])
    out = []
    for question in survey.questions:
        mine = answers[answers["question_id"] == question.id]
        if question.kind == "choice":
            table = _choice_table(question, mine, groups)
        elif question.kind == "scale":
            table = _scale_table(question, mine, groups)
        else:
            table = _text_table(mine)
        out.append(QuestionResult(question, table))
    return out


def _choice_table(question: Question, answers: pd.DataFrame, groups: list[str]) -> pd.DataFrame:
    counts = answers.groupby(["option_id", "cluster"]).size()
    rows = []
    for option in question.options:
        row = [int(counts.get((option.id, g), 0)) for g in groups]
        rows.append([option.label, *row, sum(row)])
    totals = [sum(r[i] for r in rows) for i in range(1, len(groups) + 2)]
    rows.append([ANSWER_COUNT, *totals])
    return pd.DataFrame(rows, columns=["選択肢", *(GROUP_LABELS[g] for g in groups), TOTAL])


def _scale_table(question: Question, answers: pd.DataFrame, groups: list[str]) -> pd.DataFrame:
    values = list(question.scale_values)
    rows = []
    for group, subset in [(GROUP_LABELS[g], answers[answers["cluster"] == g]) for g in groups] \
            + [(TOTAL, answers)]:
        numbers = subset["number"].astype("int64")
        mean = float(numbers.mean()) if len(numbers) else None
        rows.append([group, len(numbers), mean,
                     *(int((numbers == v).sum()) for v in values)])
    return pd.DataFrame(rows, columns=["クラスター", ANSWER_COUNT, "平均",
                                       *(question.scale_label(v) for v in values)])


def _text_table(answers: pd.DataFrame) -> pd.DataFrame:
    order = {g: i for i, g in enumerate((*CLUSTERS, NO_PURCHASE))}
    answers = answers.assign(rank=answers["cluster"].map(order)).sort_values(
        ["rank", "customer_id"], kind="mergesort")
    return pd.DataFrame({
        "顧客ID": answers["customer_id"].astype("int64").to_list(),
        "氏名": answers["name"].to_list(),
        "クラスター": [GROUP_LABELS[c] for c in answers["cluster"]],
        "回答日": answers["answered_on"].to_list(),
        "回答": answers["text"].to_list(),
    }, columns=["顧客ID", "氏名", "クラスター", "回答日", "回答"])


def answers_table(shop, survey: Survey, as_of: date | str | None = None) -> pd.DataFrame:
    """Every response as one row: 顧客ID, 氏名, クラスター, 回答日, then one column per
    question ("Q1 …") holding the option label, the scale number or the text."""
    people = respondents(shop, survey.id, as_of)
    answers = _answers(shop, survey.id)
    labels = {o.id: o.label for q in survey.questions for o in q.options}
    by_cell = {}
    for a in answers.itertuples(index=False):
        if pd.notna(a.option_id):
            value = labels[int(a.option_id)]
        elif pd.notna(a.number):
            value = int(a.number)
        else:
            value = a.text
        by_cell[(a.response_id, a.question_id)] = value
    frame = pd.DataFrame({
        "顧客ID": people["customer_id"].astype("int64"),
        "氏名": people["name"].astype(object),
        "クラスター": [GROUP_LABELS[c] for c in people["cluster"]],
        "回答日": people["answered_on"].astype(object),
    })
    for number, question in enumerate(survey.questions, start=1):
        frame[_column_title(number, question)] = pd.Series(
            [by_cell.get((r, question.id)) for r in people["response_id"]], dtype=object)
    return frame


def _column_title(number: int, question: Question) -> str:
    return f"Q{number} {question.text}"


def export_answers(shop, survey: Survey, path: Path, as_of: date | str | None = None) -> int:
    """Write every answer to CSV (UTF-8 BOM) or .xlsx; returns the number of responses."""
    frame = answers_table(shop, survey, as_of)
    write_table(frame, Path(path))
    return len(frame)

