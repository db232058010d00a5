"""What a survey is: its questions (choice, scale, free text) and a customer's
response. Plain values shared by the survey service, its results and templates."""
from __future__ import annotations

from dataclasses import dataclass, field

from engine.errors import InvalidInputError, NotFoundError, OtokuiError
from engine.text import user_text

KIND_LABELS = {"choice": "選択式", "scale": "段階評価", "text": "自由記述"}
# Answers are typed with single number keys, so scales stay within 0–10.
SCALE_LIMITS = (0, 10)


@dataclass(frozen=True)
class Option:
    id: int
    label: str


@dataclass(frozen=True)
class QuestionSpec:
    """What the user defines for a question (also the shape of a template question)."""
    kind: str
    text: str
    options: tuple[str, ...] = ()
    scale_min: int | None = None
    scale_max: int | None = None
    min_label: str = ""
    max_label: str = ""

    def checked(self) -> "QuestionSpec":
        """The spec with whitespace trimmed, or an OtokuiError saying what is wrong."""
        text = user_text(self.text)
        if self.kind not in KIND_LABELS:
            raise InvalidInputError(f"質問の種類「{self.kind}」は使えません。")
        if not text:
            raise InvalidInputError("質問文を入力してください。")
        if self.kind == "choice":
            options = tuple(o for o in map(user_text, self.options) if o)
            if len(options) < 2:
                raise InvalidInputError(f"「{text}」: 選択肢を2つ以上入力してください。")
            if len(set(options)) < len(options):
                raise InvalidInputError(f"「{text}」: 同じ選択肢が2回あります。")
            return QuestionSpec("choice", text, options)
        if self.kind == "scale":
            low, high = self.scale_min, self.scale_max
            if low is None or high is None or not (
                    SCALE_LIMITS[0] <= low < high <= SCALE_LIMITS[1]):
                raise OtokuiError(f"「{text}」: 段階は0〜10の範囲で、最小より最大を大きくしてください。")
            return QuestionSpec("scale", text, (), low, high,
                                user_text(self.min_label), user_text(self.max_label))
        return QuestionSpec("text", text)


@dataclass(frozen=True)
class Question:
    id: int
    position: int
    kind: str
    text: str
    options: tuple[Option, ...] = ()
    scale_min: int | None = None
    scale_max: int | None = None
    min_label: str = ""
    max_label: str = ""

    @property
    def scale_values(self) -> range:
        return range(self.scale_min, self.scale_max + 1) if self.kind == "scale" else range(0)

    def scale_label(self, value: int) -> str:
        """"1（不満）" for the ends of a scale, "3" in between."""
        end = {self.scale_min: self.min_label, self.scale_max: self.max_label}.get(value)
        return f"{value}（{end}）" if end else str(value)

    def spec(self) -> QuestionSpec:
        return QuestionSpec(self.kind, self.text, tuple(o.label for o in self.options),
                            self.scale_min, self.scale_max, self.min_label, self.max_label)


@dataclass(frozen=True)
class Survey:
    id: int
    title: str
    description: str
    target: str
    created_at: str
    questions: tuple[Question, ...] = ()

    def question(self, question_id: int) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise NotFoundError("この質問はもうありません。画面を更新してください。")


@dataclass
class Response:
    id: int
    customer_id: int
    answered_on: str
    # question id -> option id (choice), int (scale) or str (text)
    answers: dict[int, int | str] = field(default_factory=dict)
