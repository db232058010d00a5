"""Writing a month's follow-up plan: only what changed since it was last generated.

A big shop's plan has hundreds of thousands of tasks, and a regeneration mostly
changes nothing. The new plan goes into a temporary table (one bound row per task)
and SQLite compares it with the stored plan and writes the difference in a few
set-based statements. Reading the stored plan back into pandas to compare it, or
inserting into the indexed tables row by row, took about three times as long
(1M-line shop, 229k tasks).

Every write happens inside the caller's journaled operation, so the undo journal
sees the same deletes, updates and inserts as before.
"""
from __future__ import annotations

import pandas as pd

# Columns that define a planned task; an open task whose values all still match is kept.
PLAN_COLUMNS = ["customer_id", "step", "cluster", "due_date", "planned_medium", "action"]
TARGET_COLUMNS = ["customer_id", "cluster", "rule", "media", "held_out"]
LEFT_OUT_COLUMNS = ["customer_id", "step", "cluster", "due_date", "planned_medium", "action",
                    "reason"]


_INTEGERS = frozenset({"customer_id", "step", "held_out", "variant"})
# What a task is, apart from whose and which step: a plan has few of these.
_VARIANT_COLUMNS = ["cluster", "due_date", "planned_medium", "action"]


def _stage(conn, name: str, frame: pd.DataFrame, columns: list[str]) -> None:
    """A temporary table ``name`` holding ``frame[columns]``, its rowid the frame's order.
    Its columns have the stored tables' types: a comparison with them can then use an
    index on the temporary table."""
    conn.execute(f"DROP TABLE IF EXISTS temp.{name}")
    conn.execute(f"CREATE TEMP TABLE {name} ("
                 + ", ".join(f"{c} {'INTEGER' if c in _INTEGERS else 'TEXT'}" for c in columns)
                 + ")")
    values = [frame[c].astype("int64").tolist() if c in _INTEGERS else frame[c].tolist()
              for c in columns]
    conn.executemany(f"INSERT INTO temp.{name} VALUES ({', '.join('?' * len(columns))})",
                     zip(*values))


def store_tasks(conn, month: str, desired: pd.DataFrame) -> dict:
    """Make the month's tasks ``desired`` (PLAN_COLUMNS): checked-off tasks stay as
    they are, open tasks that still match are kept, the other open tasks are removed
    and the missing ones created, in ``desired``'s order. Counts "created", "kept"
    (checked-off ones included) and "removed"."""
    # Staged as (customer, step, variant) numbers plus the few distinct variants:
    # binding two hundred thousand rows of text was most of the staging.
    variant = desired.groupby(_VARIANT_COLUMNS, sort=False, dropna=False).ngroup()
    variants = desired[_VARIANT_COLUMNS].drop_duplicates()   # in ngroup's order
    _stage(conn, "plan_variants", variants.assign(variant=range(len(variants))),
           ["variant", *_VARIANT_COLUMNS])
    conn.execute("CREATE UNIQUE INDEX temp.plan_variants_key ON plan_variants (variant)")
    _stage(conn, "plan_tasks", desired.assign(variant=variant),
           ["customer_id", "step", "variant"])
    conn.execute("CREATE INDEX temp.plan_tasks_step ON plan_tasks (customer_id, step)")
    planned = "temp.plan_tasks d JOIN temp.plan_variants v ON v.variant = d.variant"
    same = " AND ".join(f"{'d' if c in _INTEGERS else 'v'}.{c} = followup_tasks.{c}"
                        for c in PLAN_COLUMNS)
    removed = conn.execute(
        "DELETE FROM followup_tasks WHERE month = ? AND status = 'open' AND NOT EXISTS "
        f"(SELECT 1 FROM {planned} WHERE {same})", (month,)).rowcount
    kept = conn.execute("SELECT count(*) FROM followup_tasks WHERE month = ?",
                        (month,)).fetchone()[0]
    # What is left of the month is checked off or kept: every other desired task is new.
    created = conn.execute(
        "INSERT INTO followup_tasks (month, customer_id, step, cluster, due_date,"
        " planned_medium, medium, action) SELECT ?, d.customer_id, d.step, v.cluster,"
        f" v.due_date, v.planned_medium, v.planned_medium, v.action FROM {planned}"
        " WHERE NOT EXISTS (SELECT 1 FROM followup_tasks t WHERE t.month = ?"
        " AND t.customer_id = d.customer_id AND t.step = d.step) ORDER BY d.rowid",
        (month, month)).rowcount
    conn.execute("DROP TABLE temp.plan_tasks")
    conn.execute("DROP TABLE temp.plan_variants")
    return {"created": created, "kept": kept, "removed": removed}


def store_targets(conn, month: str, targets: pd.DataFrame) -> None:
    """Make the month's targeted customers ``targets`` (TARGET_COLUMNS), writing only
    what changed; a customer no longer targeted stays if the plan already reached
    them (a task of the month checked off)."""
    _stage(conn, "plan_targets", targets, TARGET_COLUMNS)
    conn.execute("CREATE UNIQUE INDEX temp.plan_targets_customer ON plan_targets (customer_id)")
    conn.execute(
        "DELETE FROM followup_targets WHERE month = ?"
        " AND customer_id NOT IN (SELECT customer_id FROM temp.plan_targets)"
        " AND customer_id NOT IN (SELECT customer_id FROM followup_tasks"
        " WHERE month = ? AND status = 'done')", (month, month))
    conn.execute(
        "UPDATE followup_targets SET cluster = n.cluster, rule = n.rule, media = n.media,"
        " held_out = n.held_out FROM temp.plan_targets n WHERE followup_targets.month = ?"
        " AND followup_targets.customer_id = n.customer_id AND ("
        + " OR ".join(f"followup_targets.{c} != n.{c}" for c in TARGET_COLUMNS[1:]) + ")",
        (month,))
    conn.execute(
        "INSERT INTO followup_targets (month, customer_id, cluster, rule, media, held_out)"
        " SELECT ?, n.customer_id, n.cluster, n.rule, n.media, n.held_out"
        " FROM temp.plan_targets n WHERE NOT EXISTS (SELECT 1 FROM followup_targets g"
        " WHERE g.month = ? AND g.customer_id = n.customer_id) ORDER BY n.customer_id",
        (month, month))
    conn.execute("DROP TABLE temp.plan_targets")


def store_left_out(conn, month: str, left_out: pd.DataFrame) -> None:
    """Make the month's left-out tasks ``left_out`` (LEFT_OUT_COLUMNS): rows that are
    still left out for the same reason stay (a regeneration under a weekly capacity
    leaves out the same hundred thousand tasks again), the others are replaced."""
    _stage(conn, "plan_left_out", left_out, LEFT_OUT_COLUMNS)
    conn.execute("CREATE INDEX temp.plan_left_out_step ON plan_left_out (customer_id, step)")
    same = " AND ".join(f"d.{c} = l.{'medium' if c == 'planned_medium' else c}"
                        for c in LEFT_OUT_COLUMNS)
    # The stored rows drive (CROSS JOIN keeps them outside): the table has no index
    # on customer and step to look them up by, the staged rows do.
    conn.execute("CREATE TEMP TABLE plan_left_kept AS SELECT d.rowid AS row FROM"
                 f" followup_left_out l CROSS JOIN temp.plan_left_out d ON {same}"
                 " WHERE l.month = ?", (month,))
    conn.execute(
        "DELETE FROM followup_left_out AS l WHERE month = ? AND NOT EXISTS "
        f"(SELECT 1 FROM temp.plan_left_out d WHERE {same})", (month,))
    conn.execute(
        "INSERT INTO followup_left_out (month, customer_id, step, cluster, due_date, medium,"
        " action, reason) SELECT ?, customer_id, step, cluster, due_date, planned_medium,"
        " action, reason FROM temp.plan_left_out"
        " WHERE rowid NOT IN (SELECT row FROM temp.plan_left_kept) ORDER BY rowid", (month,))
    conn.execute("DROP TABLE temp.plan_left_out")
    conn.execute("DROP TABLE temp.plan_left_kept")
