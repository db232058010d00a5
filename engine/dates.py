"""Calendar months as "YYYY-MM" text, the unit of every monthly report."""
from __future__ import annotations

import re
from datetime import date

from engine.errors import OtokuiError

_MONTH = re.compile(r"(\d{4})-(\d{1,2})")


def parse_month(text: str) -> str:
    """Validate a month given by the user; returns it as "YYYY-MM"."""
    match = _MONTH.fullmatch(str(text).strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise OtokuiError(f"月「{text}」を読めません。YYYY-MM の形（例: 2025-07）で指定してください。")
    return f"{int(match.group(1)):04d}-{int(match.group(2)):02d}"


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


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
