"""Sizing a follow-up plan to what the shop can do in a week.

A shop of one to twenty people makes so many calls and sends so many DMs a week.
A plan that asks for more is not carried out: the calls the shop never got to
are the ones to the customers that mattered least, or worse, a random mix. So
the plan is fitted before it is stored: in each week (Monday to Sunday) a
medium with a capacity keeps its best customers' tasks (TOP1% first, then by
what the customer has bought); the others move to the next week with room,
as long as that is still before the customer's next touch and within the plan's
three months; what cannot move is left out, and the plan says so.
"""
from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import numpy as np
import pandas as pd

from engine.customers.touches import MEDIUM_LABELS

# Media whose work scales with people's time; e-mail and inserts do not.
LIMITED_MEDIA = ("phone", "dm")
SETTING = "followups.capacity_per_week"


def over_capacity_reason(medium: str, per_week: int) -> str:
    return f"{MEDIUM_LABELS[medium]}の対応可能件数（週{per_week:,}件）を超えるため"


def fit_capacity(tasks: pd.DataFrame, capacity: dict[str, int | None], load: pd.DataFrame,
                 last_day: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split ``tasks`` into (kept, left out) under ``capacity`` (medium → tasks a week,
    None for no limit).

    ``tasks`` needs customer_id, step, due_date ("YYYY-MM-DD"), planned_medium and
    priority (lower first); kept tasks may get a later due_date. ``load`` holds the
    work already planned in the same weeks (columns medium, day as datetime64).
    Left-out rows carry a ``reason``. One pass per week over numpy arrays of task
    positions: a plan spans ~13 weeks and can hold a hundred thousand DMs.
    """
    tasks = tasks.sort_values(["customer_id", "step"])
    # Days as day numbers (days since 1970-01-01), weeks as their Monday's number.
    due = _day_numbers(pd.to_datetime(tasks["due_date"]))
    beyond = _day_numbers(pd.Series([pd.Timestamp(last_day + timedelta(days=1))]))[0]
    customer = tasks["customer_id"].to_numpy()
    # Each task's next touch: the customer's next step, as planned (before any move).
    following = np.full(len(tasks), beyond)
    same = customer[1:] == customer[:-1]
    following[:-1][same] = due[1:][same]
    priority = tasks["priority"].to_numpy()
    media = tasks["planned_medium"].to_numpy()
    left: list[tuple[np.ndarray, str]] = []
    for medium, per_week in capacity.items():
        if per_week is None:
            continue
        per_week = max(0, int(per_week))
        used = Counter(_monday(_day_numbers(load.loc[load["medium"] == medium, "day"])).tolist())
        pending = np.flatnonzero(media == medium)
        weeks = _monday(due[pending])
        while len(pending):
            week = int(weeks.min())
            here = weeks == week
            # Best first; among equals, the order they joined the queue in.
            chosen = pending[here][np.argsort(priority[pending[here]], kind="stable")]
            pending, weeks = pending[~here], weeks[~here]
            room = max(0, per_week - used[week])
            used[week] += min(room, len(chosen))
            rest = chosen[room:]
            moved = week + 7
            fits = (moved < following[rest]) & (moved < beyond)
            due[rest[fits]] = moved
            pending = np.concatenate([pending, rest[fits]])
            weeks = np.concatenate([weeks, np.full(int(fits.sum()), moved)])
            if (~fits).any():
                left.append((rest[~fits], over_capacity_reason(medium, per_week)))
    dropped = np.concatenate([rows for rows, _ in left]) if left else np.empty(0, dtype="int64")
    reasons = [reason for rows, reason in left for _ in range(len(rows))]
    kept = np.ones(len(tasks), dtype=bool)
    kept[dropped] = False
    days = pd.Series(due[kept].astype("datetime64[D]"), index=tasks.index[kept])
    # A task left out is listed with the day it was planned for, not where it got to.
    return (tasks.iloc[kept].assign(due_date=days.dt.strftime("%Y-%m-%d")),
            tasks.iloc[dropped].assign(reason=reasons))


def _day_numbers(days: pd.Series) -> np.ndarray:
    return days.to_numpy(dtype="datetime64[D]").astype("int64")


def _monday(day_numbers: np.ndarray) -> np.ndarray:
    """The day number of each day's Monday (day 0, 1970-01-01, was a Thursday)."""
    return day_numbers - (day_numbers + 3) % 7
