"""Surveys: questions (choice, scale, free text) and one editable response per customer.

Every change runs as one journaled operation, so the user can undo it. Results
by cluster and the answer export live in ``survey_results.py``.
"""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from engine.dates import parse_day
from engine.errors import InvalidInputError, NotFoundError
from engine.research import positions, survey_results
from engine.research.survey_model import Option, Question, QuestionSpec, Response, Survey
from engine.research.survey_templates import Template, load_templates
from engine.store.database import now_text
from engine.store.journal import Change
from engine.text import user_text

if TYPE_CHECKING:
    from engine.shop import Shop

class SurveyService:
    """``shop.surveys``: define surveys, record answers (see also survey_results)."""

    def __init__(self, shop: "Shop"):
        self.shop = shop
        self.db = shop.db

    # -- definitions -------------------------------------------------------

    def templates(self) -> list[Template]:
        """The bundled survey templates the user can start from."""
        return load_templates()

    def list_surveys(self) -> list[dict]:
        """All surveys, newest first, with question and response counts."""
        return self.db.query(
            """
            SELECT s.id, s.title, s.target, s.created_at,
                   (SELECT count(*) FROM survey_questions q WHERE q.survey_id = s.id) AS questions,
                   (SELECT count(*) FROM survey_responses r WHERE r.survey_id = s.id) AS responses
            FROM surveys s ORDER BY s.id DESC
            """)

    def get(self, survey_id: int) -> Survey:
        rows = self.db.query("SELECT * FROM surveys WHERE id = ?", (survey_id,))
        if not rows:
            raise NotFoundError("このアンケートはもうありません。画面を更新してください。")
        s = rows[0]
        options: dict[int, list[Option]] = {}
        for o in self.db.query(
                """SELECT o.id, o.question_id, o.label FROM survey_options o
                   JOIN survey_questions q ON q.id = o.question_id
                   WHERE q.survey_id = ? ORDER BY o.position, o.id""", (survey_id,)):
            options.setdefault(o["question_id"], []).append(Option(o["id"], o["label"]))
        questions = tuple(
            Question(q["id"], q["position"], q["kind"], q["text"], tuple(options.get(q["id"], ())),
                     q["scale_min"], q["scale_max"], q["min_label"], q["max_label"])
            for q in self.db.query(
                "SELECT * FROM survey_questions WHERE survey_id = ? ORDER BY position, id",
                (survey_id,)))
        return Survey(s["id"], s["title"], s["description"], s["target"], s["created_at"],
                      questions)

    def create(self, title: str, description: str = "", target: str = "",
               questions: tuple[QuestionSpec, ...] | list[QuestionSpec] = ()) -> Change:
        """A new survey (``created``) with its questions."""
        title = user_text(title)
        if not title:
            raise InvalidInputError("アンケートの名前を入力してください。")
        specs = [q.checked() for q in questions]
        with self.shop.journal.operation("survey", f"アンケート作成（{title}）") as op:
            survey_id = self.db.conn.execute(
                "INSERT INTO surveys (title, description, target, created_at) VALUES (?,?,?,?)",
                (title, user_text(description), target, now_text())).lastrowid
            for spec in specs:
                self._insert_question(survey_id, spec, None)
        return Change(op.id, survey_id)

    def create_from_template(self, key: str) -> Change:
        """A new survey copied from the bundled template ``key``."""
        for t in self.templates():
            if t.key == key:
                return self.create(t.title, t.description, t.target, t.questions)
        raise NotFoundError(f"テンプレート「{key}」が見つかりません。")

    def update(self, survey_id: int, *, title: str | None = None,
               description: str | None = None, target: str | None = None) -> Change:
        survey = self.get(survey_id)
        title = survey.title if title is None else user_text(title)
        if not title:
            raise InvalidInputError("アンケートの名前を入力してください。")
        with self.shop.journal.operation("survey", f"アンケート変更（{title}）") as op:
            self.db.conn.execute(
                "UPDATE surveys SET title = ?, description = ?, target = ? WHERE id = ?",
                (title, survey.description if description is None else user_text(description),
                 survey.target if target is None else target, survey_id))
        return Change(op.id)

    def delete(self, survey_id: int) -> Change:
        """Delete a survey with its questions and every answer (undoable)."""
        survey = self.get(survey_id)
        with self.shop.journal.operation("survey", f"アンケート削除（{survey.title}）") as op:
            conn = self.db.conn
            conn.execute("""DELETE FROM survey_answers WHERE response_id IN
                            (SELECT id FROM survey_responses WHERE survey_id = ?)""", (survey_id,))
            conn.execute("DELETE FROM survey_responses WHERE survey_id = ?", (survey_id,))
            for q in survey.questions:
                conn.execute("DELETE FROM survey_options WHERE question_id = ?", (q.id,))
            conn.execute("DELETE FROM survey_questions WHERE survey_id = ?", (survey_id,))
            conn.execute("DELETE FROM surveys WHERE id = ?", (survey_id,))
        return Change(op.id)

    # -- questions ---------------------------------------------------------

    def _insert_question(self, survey_id: int, spec: QuestionSpec, index: int | None) -> int:
        conn = self.db.conn
        position = positions.insert_slot(conn, "survey_questions", "survey_id", survey_id, index)
        question_id = conn.execute(
            """INSERT INTO survey_questions (survey_id, position, kind, text, scale_min,
               scale_max, min_label, max_label) VALUES (?,?,?,?,?,?,?,?)""",
            (survey_id, position, spec.kind, spec.text, spec.scale_min, spec.scale_max,
             spec.min_label, spec.max_label)).lastrowid
        conn.executemany(
            "INSERT INTO survey_options (question_id, position, label) VALUES (?,?,?)",
            [(question_id, i, label) for i, label in enumerate(spec.options)])
        return question_id

    def add_question(self, survey_id: int, spec: QuestionSpec,
                     index: int | None = None) -> Change:
        """Add a question (``created``) at ``index`` (None = last)."""
        spec = spec.checked()
        survey = self.get(survey_id)
        with self.shop.journal.operation("survey", f"質問追加（{survey.title}）") as op:
            question_id = self._insert_question(survey_id, spec, index)
        return Change(op.id, question_id)

    def _question_row(self, question_id: int) -> dict:
        rows = self.db.query("SELECT * FROM survey_questions WHERE id = ?", (question_id,))
        if not rows:
            raise NotFoundError("この質問はもうありません。画面を更新してください。")
        return rows[0]

    def answer_count(self, question_id: int) -> int:
        return self.db.scalar(
            "SELECT count(*) FROM survey_answers WHERE question_id = ?", (question_id,))

    def answer_counts(self, survey_id: int) -> dict[int, int]:
        """Question id -> number of answers, for the survey's answered questions."""
        return {r["question_id"]: r["n"] for r in self.db.query(
            """SELECT a.question_id, count(*) AS n FROM survey_answers a
               JOIN survey_questions q ON q.id = a.question_id
               WHERE q.survey_id = ? GROUP BY a.question_id""", (survey_id,))}

    def update_question(self, question_id: int, spec: QuestionSpec) -> Change:
        """Change a question. Options are matched by position: the 2nd option keeps its
        answers when renamed; answers to options that are removed are deleted, and so are
        scale answers outside a narrowed range (all undoable)."""
        spec = spec.checked()
        row = self._question_row(question_id)
        if spec.kind != row["kind"] and self.answer_count(question_id):
            raise InvalidInputError("回答がある質問の種類は変えられません。新しい質問を追加してください。")
        conn = self.db.conn
        with self.shop.journal.operation("survey", f"質問変更（{spec.text[:20]}）") as op:
            conn.execute(
                """UPDATE survey_questions SET kind = ?, text = ?, scale_min = ?, scale_max = ?,
                   min_label = ?, max_label = ? WHERE id = ?""",
                (spec.kind, spec.text, spec.scale_min, spec.scale_max, spec.min_label,
                 spec.max_label, question_id))
            old = [r[0] for r in conn.execute(
                "SELECT id FROM survey_options WHERE question_id = ? ORDER BY position, id",
                (question_id,))]
            for index, label in enumerate(spec.options):
                if index < len(old):
                    conn.execute("UPDATE survey_options SET label = ?, position = ? "
                                 "WHERE id = ? AND (label != ? OR position != ?)",
                                 (label, index, old[index], label, index))
                else:
                    conn.execute("INSERT INTO survey_options (question_id, position, label) "
                                 "VALUES (?,?,?)", (question_id, index, label))
            for option_id in old[len(spec.options):]:
                conn.execute("DELETE FROM survey_answers WHERE option_id = ?", (option_id,))
                conn.execute("DELETE FROM survey_options WHERE id = ?", (option_id,))
            if spec.kind == "scale":
                conn.execute("DELETE FROM survey_answers WHERE question_id = ? "
                             "AND number NOT BETWEEN ? AND ?",
                             (question_id, spec.scale_min, spec.scale_max))
        return Change(op.id)

    def move_question(self, question_id: int, index: int) -> Change:
        row = self._question_row(question_id)
        with self.shop.journal.operation("survey", "質問の並べ替え") as op:
            positions.move(self.db.conn, "survey_questions", "survey_id", row["survey_id"],
                           question_id, index)
        return Change(op.id)

    def delete_question(self, question_id: int) -> Change:
        """Delete a question with its options and answers (undoable)."""
        row = self._question_row(question_id)
        conn = self.db.conn
        with self.shop.journal.operation("survey", f"質問削除（{row['text'][:20]}）") as op:
            conn.execute("DELETE FROM survey_answers WHERE question_id = ?", (question_id,))
            conn.execute("DELETE FROM survey_options WHERE question_id = ?", (question_id,))
            conn.execute("DELETE FROM survey_questions WHERE id = ?", (question_id,))
            positions.renumber(conn, "survey_questions", positions.ordered_ids(
                conn, "survey_questions", "survey_id", row["survey_id"]))
        return Change(op.id)

    # -- responses ---------------------------------------------------------

    def response(self, survey_id: int, customer_id: int) -> Response | None:
        """The customer's response to the survey, or None if they have not answered."""
        rows = self.db.query(
            "SELECT id, answered_on FROM survey_responses WHERE survey_id = ? AND customer_id = ?",
            (survey_id, customer_id))
        if not rows:
            return None
        response = Response(rows[0]["id"], customer_id, rows[0]["answered_on"])
        for a in self.db.query("SELECT * FROM survey_answers WHERE response_id = ?",
                               (response.id,)):
            value = next(v for v in (a["option_id"], a["number"], a["text"]) if v is not None)
            response.answers[a["question_id"]] = value
        return response

    def _answer_columns(self, question: Question, value) -> tuple | None:
        """(option_id, number, text) for a stored answer, None for "no answer"."""
        if value is None or (isinstance(value, str) and not user_text(value)):
            return None
        if question.kind == "text":
            return (None, None, user_text(value))
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidInputError(f"「{question.text}」: 回答を読めません（{value!r}）。")
        if question.kind == "choice":
            if value not in {o.id for o in question.options}:
                raise InvalidInputError(f"「{question.text}」: この選択肢はありません。")
            return (value, None, None)
        if value not in question.scale_values:
            raise InvalidInputError(f"「{question.text}」: {question.scale_min}〜{question.scale_max}"
                              "の数字で答えてください。")
        return (None, value, None)

    def save_response(self, survey_id: int, customer_id: int, answers: dict[int, object],
                      answered_on: date | str | None = None) -> Change:
        """Record (or replace) the customer's answers (the response is ``created``).

        ``answers`` maps question id to an option id (choice), an int (scale) or a
        text; questions missing from it, or None / empty text, count as unanswered.
        """
        survey = self.get(survey_id)
        if not self.db.scalar(
                "SELECT count(*) FROM customers WHERE id = ? AND deleted_at IS NULL", (customer_id,)):
            raise NotFoundError(f"顧客ID {customer_id} のお客様が見つかりません。")
        unknown = set(answers) - {q.id for q in survey.questions}
        if unknown:
            raise NotFoundError("この質問はもうありません。画面を更新してください。")
        wanted = {q.id: self._answer_columns(q, answers.get(q.id)) for q in survey.questions}
        day = parse_day(answered_on, "回答日").isoformat()
        conn = self.db.conn
        # The label names the customer by id: undo history is no place for names.
        with self.shop.journal.operation("survey_answer",
                                         f"アンケート回答（{survey.title}・顧客ID {customer_id}）") as op:
            row = conn.execute("SELECT id FROM survey_responses WHERE survey_id = ? "
                               "AND customer_id = ?", (survey_id, customer_id)).fetchone()
            if row is None:
                response_id = conn.execute(
                    "INSERT INTO survey_responses (survey_id, customer_id, answered_on, "
                    "updated_at) VALUES (?,?,?,?)",
                    (survey_id, customer_id, day, now_text())).lastrowid
            else:
                response_id = row[0]
                conn.execute("UPDATE survey_responses SET answered_on = ?, updated_at = ? "
                             "WHERE id = ?", (day, now_text(), response_id))
            stored = {r[0]: (r[1], tuple(r[2:])) for r in conn.execute(
                "SELECT question_id, id, option_id, number, text FROM survey_answers "
                "WHERE response_id = ?", (response_id,))}
            for question_id, columns in wanted.items():
                old = stored.get(question_id)
                if columns is None:
                    if old:
                        conn.execute("DELETE FROM survey_answers WHERE id = ?", (old[0],))
                elif old is None:
                    conn.execute("INSERT INTO survey_answers (response_id, question_id, "
                                 "option_id, number, text) VALUES (?,?,?,?,?)",
                                 (response_id, question_id, *columns))
                elif old[1] != columns:
                    conn.execute("UPDATE survey_answers SET option_id = ?, number = ?, text = ? "
                                 "WHERE id = ?", (*columns, old[0]))
        return Change(op.id, response_id)

    def delete_response(self, survey_id: int, customer_id: int) -> Change:
        response = self.response(survey_id, customer_id)
        if response is None:
            return Change()
        with self.shop.journal.operation("survey_answer", "アンケート回答の削除") as op:
            self.db.conn.execute("DELETE FROM survey_answers WHERE response_id = ?",
                                 (response.id,))
            self.db.conn.execute("DELETE FROM survey_responses WHERE id = ?", (response.id,))
        return Change(op.id)

    # -- results (engine/research/survey_results.py) --------------------------------

    def results(self, survey_id: int, as_of: date | str | None = None):
        """Per question, its result table by cluster as of ``as_of`` (default today)."""
        return survey_results.results(self.shop, self.get(survey_id), as_of)

    def answers_table(self, survey_id: int, as_of: date | str | None = None):
        """Every response as one row, one column per question."""
        return survey_results.answers_table(self.shop, self.get(survey_id), as_of)

    def export_answers(self, survey_id: int, path, as_of: date | str | None = None) -> int:
        """Write every answer to .csv or .xlsx; returns the number of responses."""
        return survey_results.export_answers(self.shop, self.get(survey_id), path, as_of)

    def find_customers(self, text: str, limit: int = 20) -> list[dict]:
        """Customers matching a typed ID, name, kana or phone number, best first."""
        found = self.shop.customers.search(text, limit) if str(text).strip() else None
        if found is None:
            return []
        return found.rename(columns={"customer_id": "id", "address": "address1"}).to_dict("records")
