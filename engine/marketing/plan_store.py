"""Writing a month's follow-up plan: only what changed since it was last generated.

A big shop's plan has hundreds of thousands of tasks, and a regeneration mostly
changes nothing. The new plan goes into temporary tables and SQLite compares it
with the stored plan and writes the difference in a few set-based statements; a
month's first plan has nothing to compare with and is inserted whole. Reading the
stored plan back into pandas to compare it, or inserting into the indexed tables
row by row, took about three times as long (1M-line shop, 229k tasks). The staged
rows are numbers (customer, step, which of the plan's few distinct texts) sent as
one JSON array, and the distinct texts as a small table of their own.

Every write happens inside the caller's journaled operation, so the undo journal
sees the same deletes, updates and inserts as before.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from engine.store import dialects

# Columns that define a planned task; an open task whose values all still match is kept.
PLAN_COLUMNS = ["customer_id", "step", "cluster", "due_date", "planned_medium", "action"]
TARGET_COLUMNS = ["customer_id", "cluster", "rule", "media", "held_out"]
LEFT_OUT_COLUMNS = ["customer_id", "step", "cluster", "due_date", "planned_medium", "action",
                    "reason"]


_INTEGERS = frozenset({"customer_id", "step", "held_out", "variant"})
# What a task is, apart from whose and which step: a plan has few of these.
_VARIANT_COLUMNS = ["cluster", "due_date", "planned_medium", "action"]
_TARGET_VARIANT_COLUMNS = ["cluster", "rule", "media"]
_LEFT_OUT_VARIANT_COLUMNS = ["cluster", "due_date", "planned_medium", "action", "reason"]


def _stage(conn, name: str, frame: pd.DataFrame, columns: list[str]) -> None:
    """A temporary table ``name`` holding ``frame[columns]``. Its columns have the
    stored tables' types: a comparison with them can then use an index on the
    temporary table."""
    dialect = dialects.of(conn)
    conn.execute(f"DROP TABLE IF EXISTS {dialect.temp(name)}")
    conn.execute(dialect.create_temp_table(
        name, {c: "INTEGER" if c in _INTEGERS else "TEXT" for c in columns}))
    values = [frame[c].astype("int64").tolist() if c in _INTEGERS else frame[c].tolist()
              for c in columns]
    conn.executemany(f"INSERT INTO {dialect.temp(name)} VALUES ({', '.join('?' * len(columns))})",
                     zip(*values))


def _stage_variants(conn, name: str, frame: pd.DataFrame, numbers: list[str],
                    texts: list[str], *, table: bool = True) -> tuple[str, tuple]:
    """``frame`` as the temporary table ``name_variants`` (``variant`` and the ``texts``
    columns, one row per distinct combination: a plan has few distinct texts, and
    binding two hundred thousand rows of text was most of the staging) and the
    ``numbers`` columns plus ``variant``, returned as a FROM source and its
    parameters: the temporary table ``name`` (``rowid`` the frame's order), or with
    ``table=False`` the numbers themselves, read in the frame's order."""
    dialect = dialects.of(conn)
    variant = frame.groupby(texts, sort=False, dropna=False).ngroup()
    variants = frame[texts].drop_duplicates()   # in ngroup's order
    _stage(conn, f"{name}_variants", variants.assign(variant=range(len(variants))),
           ["variant", *texts])
    conn.execute(dialect.create_temp_unique_index(f"{name}_variants_key", f"{name}_variants",
                                                  "variant"))
    columns = {**{c: frame[c].to_numpy(dtype=np.int64) for c in numbers},
               "variant": variant.to_numpy(dtype=np.int64)}
    source = None if table else dialect.numbers_source(columns)
    if source is not None:
        return source
    dialect.stage_numbers(conn, name, columns)
    return dialect.temp(name), ()


def _drop(conn, name: str) -> None:
    dialect = dialects.of(conn)
    conn.execute(f"DROP TABLE IF EXISTS {dialect.temp(name)}")
    conn.execute(f"DROP TABLE {dialect.temp(name + '_variants')}")


def _month_is_empty(conn, table: str, month: str) -> bool:
    """A month's first plan: nothing to compare with, every row is new."""
    return not conn.execute(f"SELECT EXISTS (SELECT 1 FROM {table} WHERE month = ?)",
                            (month,)).fetchone()[0]


def store_tasks(conn, month: str, desired: pd.DataFrame) -> dict:
    """Make the month's tasks ``desired`` (PLAN_COLUMNS): checked-off tasks stay as
    they are, open tasks that still match are kept, the other open tasks are removed
    and the missing ones created, in ``desired``'s order. Counts "created", "kept"
    (checked-off ones included) and "removed"."""
    dialect = dialects.of(conn)
    first = _month_is_empty(conn, "followup_tasks", month)
    source, params = _stage_variants(conn, "plan_tasks", desired, ["customer_id", "step"],
                                     _VARIANT_COLUMNS, table=not first)
    planned = (f"{source} d {dialect.join_in_order} {dialect.temp('plan_tasks_variants')} v"
               " ON v.variant = d.variant")
    insert = ("INSERT INTO followup_tasks (month, customer_id, step, cluster, due_date,"
              " planned_medium, medium, action) SELECT ?, d.customer_id, d.step, v.cluster,"
              f" v.due_date, v.planned_medium, v.planned_medium, v.action FROM {planned}")
    if first:
        # The staged rows drive (CROSS JOIN keeps them outside), in desired's order.
        removed = kept = 0
        created = conn.execute(insert + dialect.in_source_order("d.rowid"),
                               (month, *params)).rowcount
    else:
        conn.execute(dialect.create_temp_index("plan_tasks_step", "plan_tasks",
                                               "customer_id, step"))
        same = " AND ".join(f"{'d' if c in _INTEGERS else 'v'}.{c} = followup_tasks.{c}"
                            for c in PLAN_COLUMNS)
        removed = conn.execute(
            "DELETE FROM followup_tasks WHERE month = ? AND status = 'open' AND NOT EXISTS "
            f"(SELECT 1 FROM {planned} WHERE {same})", (month,)).rowcount
        kept = conn.execute("SELECT count(*) FROM followup_tasks WHERE month = ?",
                            (month,)).fetchone()[0]
        # What is left of the month is checked off or kept: every other desired task is new.
        created = conn.execute(
            insert + " WHERE NOT EXISTS (SELECT 1 FROM followup_tasks t WHERE t.month = ?"
            " AND t.customer_id = d.customer_id AND t.step = d.step) ORDER BY d.rowid",
            (month, month)).rowcount
    _drop(conn, "plan_tasks")
    return {"created": created, "kept": kept, "removed": removed}


def store_targets(conn, month: str, targets: pd.DataFrame) -> None:
    """Make the month's targeted customers ``targets`` (TARGET_COLUMNS), writing only
    what changed; a customer no longer targeted stays if the plan already reached
    them (a task of the month checked off)."""
    dialect = dialects.of(conn)
    first = _month_is_empty(conn, "followup_targets", month)
    targets = targets.sort_values("customer_id", kind="stable")   # written by customer
    source, params = _stage_variants(conn, "plan_targets", targets, ["customer_id", "held_out"],
                                     _TARGET_VARIANT_COLUMNS, table=not first)
    staged, variants = dialect.temp("plan_targets"), dialect.temp("plan_targets_variants")
    insert = ("INSERT INTO followup_targets (month, customer_id, cluster, rule, media, held_out)"
              f" SELECT ?, n.customer_id, v.cluster, v.rule, v.media, n.held_out FROM {source} n"
              f" {dialect.join_in_order} {variants} v ON v.variant = n.variant")
    if first:
        conn.execute(insert + dialect.in_source_order("n.customer_id"), (month, *params))
    else:
        conn.execute(dialect.create_temp_unique_index("plan_targets_customer", "plan_targets",
                                                      "customer_id"))
        conn.execute(
            "DELETE FROM followup_targets WHERE month = ?"
            f" AND customer_id NOT IN (SELECT customer_id FROM {staged})"
            " AND customer_id NOT IN (SELECT customer_id FROM followup_tasks"
            " WHERE month = ? AND status = 'done')", (month, month))
        conn.execute(
            "UPDATE followup_targets SET cluster = v.cluster, rule = v.rule, media = v.media,"
            f" held_out = n.held_out FROM {staged} n JOIN {variants} v"
            " ON v.variant = n.variant WHERE followup_targets.month = ?"
            " AND followup_targets.customer_id = n.customer_id AND ("
            + " OR ".join(f"followup_targets.{c} != {'n' if c in _INTEGERS else 'v'}.{c}"
                          for c in TARGET_COLUMNS[1:]) + ")", (month,))
        conn.execute(
            insert + " WHERE NOT EXISTS (SELECT 1 FROM followup_targets g"
            " WHERE g.month = ? AND g.customer_id = n.customer_id) ORDER BY n.customer_id",
            (month, month))
    _drop(conn, "plan_targets")


def store_left_out(conn, month: str, left_out: pd.DataFrame) -> None:
    """Make the month's left-out tasks ``left_out`` (LEFT_OUT_COLUMNS): rows that are
    still left out for the same reason stay (a regeneration under a weekly capacity
    leaves out the same hundred thousand tasks again), the others are replaced."""
    dialect = dialects.of(conn)
    _stage_variants(conn, "plan_left_out", left_out, ["customer_id", "step"],
                    _LEFT_OUT_VARIANT_COLUMNS)
    conn.execute(dialect.create_temp_index("plan_left_out_step", "plan_left_out",
                                           "customer_id, step"))
    staged = (f"{dialect.temp('plan_left_out')} d JOIN {dialect.temp('plan_left_out_variants')}"
              " v ON v.variant = d.variant")
    same = " AND ".join(f"{'d' if c in _INTEGERS else 'v'}.{c}"
                        f" = l.{'medium' if c == 'planned_medium' else c}"
                        for c in LEFT_OUT_COLUMNS)
    # The stored rows drive (CROSS JOIN keeps them outside): the table has no index
    # on customer and step to look them up by, the staged rows do.
    conn.execute("CREATE TEMP TABLE plan_left_kept AS SELECT d.rowid AS row FROM"
                 f" followup_left_out l CROSS JOIN {staged} AND {same}"
                 " WHERE l.month = ?", (month,))
    conn.execute(
        "DELETE FROM followup_left_out AS l WHERE month = ? AND NOT EXISTS "
        f"(SELECT 1 FROM {staged} WHERE {same})", (month,))
    conn.execute(
        "INSERT INTO followup_left_out (month, customer_id, step, cluster, due_date, medium,"
        " action, reason) SELECT ?, d.customer_id, d.step, v.cluster, v.due_date,"
        f" v.planned_medium, v.action, v.reason FROM {staged}"
        f" WHERE d.rowid NOT IN (SELECT row FROM {dialect.temp('plan_left_kept')})"
        " ORDER BY d.rowid", (month,))
    _drop(conn, "plan_left_out")
    conn.execute(f"DROP TABLE {dialect.temp('plan_left_kept')}")
