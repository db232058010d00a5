"""Survey templates bundled as data (resources/surveys/templates.json)."""
from __future__ import annotations

from dataclasses import dataclass

from engine.research.survey_model import QuestionSpec
from engine.resources import read_json


@dataclass(frozen=True)
class Template:
    key: str
    title: str
    description: str
    target: str
    questions: tuple[QuestionSpec, ...]


def load_templates() -> list[Template]:
    """The survey templates bundled in resources/surveys/templates.json."""
    raw = read_json("surveys", "templates.json")
    return [Template(t["key"], t["title"], t.get("description", ""), t.get("target", ""),
                     tuple(QuestionSpec(q["kind"], q["text"], tuple(q.get("options", ())),
                                        q.get("min"), q.get("max"), q.get("min_label", ""),
                                        q.get("max_label", "")) for q in t["questions"]))
            for t in raw["templates"]]
