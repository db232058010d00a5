"""Who did it, in words: the staff member and the time recorded on a check-off, a
note or an operation (several desktops on one shop), for the screens and for the
ConflictError a desktop gets when someone else got there first.

Rows from before names were recorded have none: shown blank, or as ほかの方 in a
conflict.
"""
from __future__ import annotations

from datetime import date, datetime


def when_text(at: str | None, today: date | None = None) -> str:
    """``14:02`` for a stored time of today, ``12/07 14:02`` for another day's, ''
    when none."""
    if not at:
        return ""
    try:
        moment = datetime.fromisoformat(str(at))
    except ValueError:
        return str(at)
    if moment.date() == (today or date.today()):
        return f"{moment:%H:%M}"
    return f"{moment:%m/%d %H:%M}"


def stamp_text(by: str | None, at: str | None) -> str:
    """``山田 12/07 14:02``: who and when, for a list or a 最終更新 line ('' when
    neither was recorded)."""
    return " ".join(part for part in (by or "", when_text(at)) if part)


def _someone(by: str | None) -> str:
    return f"{by}さん" if by else "ほかの方"


def done_conflict(task: dict) -> str:
    """The message for checking off a task someone else checked off already
    (``task``: its done_by, done_at and done_on)."""
    when = when_text(task.get("done_at"))
    if not when and task.get("done_on"):
        when = str(task["done_on"])
    return (f"この対応は{_someone(task.get('done_by'))}が{when + 'に' if when else 'すでに'}"
            "完了にしています。二重に記録しないよう、一覧を更新してから確認してください。")


def notes_conflict(by: str | None, at: str | None) -> str:
    """The message for saving a note someone else changed since it was opened."""
    when = when_text(at)
    return (f"このメモは開いたあとで{_someone(by)}が{when + 'に' if when else ''}変更しています。"
            "保存していない入力は消していません。最新のメモを確認し、必要な内容を"
            "書き足してからもう一度保存してください。")
