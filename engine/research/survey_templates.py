"""Survey templates bundled as data (resources/surveys/templates.json)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.resources import files

from engine.research.survey_model import QuestionSpec


@dataclass(frozen=True)
class Template:
    key: str
    title: str
    description: str
    target: str
    questions: tuple[QuestionSpec, ...]


def load_templates() -> list[Template]:
    """The survey templates bundled in resources/surveys/templates.json."""
    raw = json.loads((files("resources") / "surveys" / "templates.json").read_text("utf-8"))
    return [Template(t["key"], t["title"], t.get("description", ""), t.get("target", ""),
                     tuple(QuestionSpec(q["kind"], q["text"], tuple(q.get("options", ())),
                                        q.get("min"), q.get("max"), q.get("min_label", ""),
                                        q.get("max_label", "")) for q in t["questions"]))
            for t in raw["templates"]]
