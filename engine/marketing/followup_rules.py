"""Follow-up rules: who gets which 3-3-2 plan (SPEC §3).

A rule is one touch: (target, recency band min_days..max_days, medium, action,
offset_days). Rules sharing a target and band form a *plan*; every plan must
be exactly 3 touches over at least 2 media whose due dates (the month's first
day + offset_days) fall within 3 months, so any customer a plan targets gets
the 3-3-2 rule by construction. The first plan (in rule order) that matches a
customer is theirs.
"""
from __future__ import annotations

from dataclasses import dataclass

from engine.analysis.rfm import CLUSTER_LABELS
from engine.customers.touches import check_medium
from engine.errors import InvalidInputError, OtokuiError
from engine.resources import read_json
from engine.text import user_text

# A target is a cluster, a nested rank segment, or everyone.
TARGET_CLUSTERS = {
    **{name: (name,) for name in CLUSTER_LABELS},
    "segment_top10": ("top1", "top10"),
    "segment_top20": ("top1", "top10", "top20"),
    "all": tuple(CLUSTER_LABELS),
    "repeat4plus_late": ("repeat4plus",),
}
LATE_TARGETS = frozenset({"repeat4plus_late"})
# Late = R > 1.5 × the average interval, compared in integers: 2·R·(F − 1) > 3·tenure.
LATE_NUMERATOR, LATE_DENOMINATOR = 3, 2
TARGET_LABELS = {
    **CLUSTER_LABELS,
    "top10": "TOP10%（TOP1%を除く）",
    "top20": "TOP20%（TOP10%を除く）",
    "segment_top10": "TOP10%全体（TOP1%を含む）",
    "segment_top20": "TOP20%全体（TOP10%を含む）",
    "all": "全顧客",
    "repeat4plus_late": "4回以上購入・いつもの購入間隔の1.5倍を超えた顧客",
}
TOUCHES_PER_PLAN = 3
MIN_MEDIA = 2
# The shortest three calendar months (Feb–Apr of a common year) have 89 days.
MAX_OFFSET_DAYS = 88
RULE_KEYS = ("target", "min_days", "max_days", "medium", "action", "offset_days")


@dataclass(frozen=True)
class Plan:
    """Three touches for the customers of one target and recency band."""
    target: str
    min_days: int
    max_days: int | None
    steps: tuple[dict, ...]     # rules sorted by offset_days

    @property
    def clusters(self) -> tuple[str, ...]:
        return TARGET_CLUSTERS[self.target]

    @property
    def late_only(self) -> bool:
        return self.target in LATE_TARGETS

    @property
    def label(self) -> str:
        """The plan in words: its target and recency band (e.g. 1回購入・30〜60日)."""
        return f"{TARGET_LABELS[self.target]}・{self.min_days}〜{self.max_days or ''}日"


def default_rules() -> list[dict]:
    """The shipped rule set (resources/followups/default_rules.json), flattened."""
    return [{"target": plan["target"], "min_days": plan["min_days"],
             "max_days": plan["max_days"], **step}
            for plan in read_json("followups", "default_rules.json")["plans"] for step in plan["steps"]]


def _integer(value, number: int, label: str, *, optional: bool = False) -> int | None:
    if optional and (value is None or str(value).strip() == ""):
        return None
    try:
        number_value = float(str(value).strip())
        if isinstance(value, bool) or not number_value.is_integer():
            raise ValueError
        result = int(number_value)
    except (ValueError, OverflowError):
        raise InvalidInputError(f"ルール{number}件目: {label}「{value}」は整数で指定してください。") from None
    if result < 0:
        raise InvalidInputError(f"ルール{number}件目: {label}は0以上にしてください。")
    return result


def validate(rules: list[dict]) -> list[dict]:
    """Clean rules (keys RULE_KEYS) or an OtokuiError naming the rule or plan at fault."""
    cleaned = []
    for number, rule in enumerate(rules, start=1):
        target = str(rule.get("target", "")).strip()
        if target not in TARGET_CLUSTERS:
            raise InvalidInputError(f"ルール{number}件目: 対象「{target}」はありません。"
                              f"{'、'.join(TARGET_CLUSTERS)} から選んでください。")
        min_days = _integer(rule.get("min_days"), number, "最終購入からの日数（下限）")
        max_days = _integer(rule.get("max_days"), number, "最終購入からの日数（上限）",
                            optional=True)
        if max_days is not None and max_days < min_days:
            raise InvalidInputError(f"ルール{number}件目: 日数の上限（{max_days}）が下限（{min_days}）より小さいです。")
        try:
            medium = check_medium(str(rule.get("medium", "")).strip())
        except OtokuiError as exc:
            raise OtokuiError(f"ルール{number}件目: {exc}") from None
        action = user_text(rule.get("action"))
        if not action:
            raise InvalidInputError(f"ルール{number}件目: 施策（内容）を入力してください。")
        offset = _integer(rule.get("offset_days", 0), number, "実施日（月初から何日後）")
        if offset > MAX_OFFSET_DAYS:
            raise OtokuiError(f"ルール{number}件目: 実施日は月初から{MAX_OFFSET_DAYS}日後まで"
                              "（3か月以内）にしてください。")
        cleaned.append({"target": target, "min_days": min_days, "max_days": max_days,
                        "medium": medium, "action": action, "offset_days": offset})
    for plan in plans_of(cleaned):
        band = plan.label
        if len(plan.steps) != TOUCHES_PER_PLAN:
            raise InvalidInputError(f"{band}のプランは接触が{len(plan.steps)}件です。3-3-2ルールに従い"
                              f"ちょうど{TOUCHES_PER_PLAN}件にしてください。")
        if len({s["medium"] for s in plan.steps}) < MIN_MEDIA:
            raise InvalidInputError(f"{band}のプランは媒体が1種類だけです。3-3-2ルールに従い"
                              f"{MIN_MEDIA}種類以上の媒体を使ってください。")
    return cleaned


def plans_of(rules: list[dict]) -> list[Plan]:
    """Rules grouped into plans, in the order each plan's first rule appears."""
    groups: dict[tuple, list[dict]] = {}
    for rule in rules:
        groups.setdefault((rule["target"], rule["min_days"], rule["max_days"]), []).append(rule)
    return [Plan(target, low, high, tuple(sorted(steps, key=lambda s: s["offset_days"])))
            for (target, low, high), steps in groups.items()]


# The media a step falls back to when the customer cannot be reached by its own,
# in order of preference; an insert reaches anyone who orders again.
SUBSTITUTES = ("email", "dm", "insert", "phone")


def adapt_media(plan: Plan, allowed: frozenset[str]) -> list[str] | None:
    """The plan's step media for a customer reachable only by ``allowed`` (an
    insert always is): each medium they cannot get is replaced, the same way in
    every step, by the first allowed one the plan does not use yet, else by the
    first allowed one. ``None`` when fewer than two media would remain: such a
    customer cannot get the 3-3-2 rule (three inserts would all go into one parcel).
    """
    allowed = allowed | {"insert"}
    kept = {s["medium"] for s in plan.steps if s["medium"] in allowed}
    chosen: dict[str, str] = {}
    for step in plan.steps:
        medium = step["medium"]
        if medium in allowed or medium in chosen:
            continue
        fresh = [m for m in SUBSTITUTES
                 if m in allowed and m not in kept and m not in chosen.values()]
        chosen[medium] = (fresh or [m for m in SUBSTITUTES if m in allowed])[0]
    media = [chosen.get(s["medium"], s["medium"]) for s in plan.steps]
    return media if len(set(media)) >= MIN_MEDIA else None
