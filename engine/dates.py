"""Days and months as the user gives them, and calendar months as "YYYY-MM" text,
the unit of every monthly report. Every date the user types goes through here."""
from __future__ import annotations

import re
from datetime import date, timedelta

from engine.errors import InvalidInputError

_MONTH = re.compile(r"(\d{4})-(\d{1,2})")


def parse_day(value: date | str | None, what: str = "基準日") -> date:
    """A day given as a date or an ISO text (YYYY-MM-DD); ``None`` means today.

    ``what`` names the value in the error message (基準日, 実施日 …).
    """
    if value is None:
        return date.today()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInputError(
            f"{what}「{value}」を読めません。YYYY-MM-DD の形で指定してください。") from None


def parse_month(text: str) -> str:
    """Validate a month given by the user; returns it as "YYYY-MM"."""
    match = _MONTH.fullmatch(str(text).strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise InvalidInputError(
            f"月「{text}」を読めません。YYYY-MM の形（例: 2025-07）で指定してください。")
    return f"{int(match.group(1)):04d}-{int(match.group(2)):02d}"


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def first_day(month: str) -> date:
    """The first day of a "YYYY-MM" month."""
    return date(int(month[:4]), int(month[5:7]), 1)


def month_complete(month: str, as_of: date) -> bool:
    """Whether the "YYYY-MM" month is over by the end of ``as_of``: its figures are final.

    A month still running (the as-of month before its last day, or a later one) has
    only part of its orders, and would read as a collapse next to whole months.
    """
    return month_index(month) < month_index(month_of(as_of + timedelta(days=1)))


def month_index(month: str) -> int:
    """Months since year 0, so that differences of indexes count months."""
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def month_from_index(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def add_months(month: str, count: int) -> str:
    return month_from_index(month_index(month) + count)


def month_span(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last`` inclusive (empty when last < first)."""
    return [month_from_index(i) for i in range(month_index(first), month_index(last) + 1)]
