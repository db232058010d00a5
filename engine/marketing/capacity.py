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

from datetime import date, timedelta

import pandas as pd

from engine.customers.touches import MEDIUM_LABELS

# Media whose work scales with people's time; e-mail and inserts do not.
LIMITED_MEDIA = ("phone", "dm")
SETTING = "followups.capacity_per_week"


def monday(days: pd.Series) -> pd.Series:
    """The Monday of each day's week (datetime64)."""
    return days - pd.to_timedelta(days.dt.day_of_week, unit="D")


def over_capacity_reason(medium: str, per_week: int) -> str:
    return f"{MEDIUM_LABELS[medium]}の対応可能件数（週{per_week:,}件）を超えるため"


def fit_capacity(tasks: pd.DataFrame, capacity: dict[str, int | None], load: pd.DataFrame,
                 last_day: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split ``tasks`` into (kept, left out) under ``capacity`` (medium → tasks a week,
    None for no limit).

    ``tasks`` needs customer_id, step, due_date ("YYYY-MM-DD"), planned_medium and
    priority (lower first); kept tasks may get a later due_date. ``load`` holds the
    work already planned in the same weeks (columns medium, day as datetime64).
    Left-out rows carry a ``reason``. Vectorised per week: a plan spans ~13 weeks.
    """
    tasks = tasks.sort_values(["customer_id", "step"]).copy()
    due = pd.to_datetime(tasks["due_date"])
    beyond = pd.Timestamp(last_day + timedelta(days=1))
    tasks["_next"] = due.groupby(tasks["customer_id"]).shift(-1).fillna(beyond)
    tasks["_due"] = due
    left = []
    for medium, per_week in capacity.items():
        if per_week is None:
            continue
        per_week = max(0, int(per_week))
        used = monday(load.loc[load["medium"] == medium, "day"]).value_counts().to_dict()
        pending = tasks.loc[tasks["planned_medium"] == medium, ["priority", "_due", "_next"]]
        pending = pending.assign(_week=monday(pending["_due"]))
        while len(pending):
            week = pending["_week"].min()
            here = pending.loc[pending["_week"] == week].sort_values("priority", kind="stable")
            pending = pending.loc[pending["_week"] != week]
            room = max(0, per_week - int(used.get(week, 0)))
            used[week] = used.get(week, 0) + min(room, len(here))
            rest = here.iloc[room:]
            moved = week + pd.Timedelta(days=7)
            fits = (moved < rest["_next"]) & (moved < beyond)
            tasks.loc[rest.index[fits.to_numpy()], "_due"] = moved
            pending = pd.concat([pending, rest.loc[fits].assign(_due=moved, _week=moved)])
            if (~fits).any():
                left.append(tasks.loc[rest.index[~fits.to_numpy()]].assign(
                    reason=over_capacity_reason(medium, per_week)))
    tasks["due_date"] = tasks["_due"].dt.strftime("%Y-%m-%d")
    dropped = pd.concat(left) if left else tasks.iloc[0:0].assign(reason="")
    kept = tasks.drop(index=dropped.index)
    helpers = ["_due", "_next"]
    return kept.drop(columns=helpers), dropped.drop(columns=helpers)
