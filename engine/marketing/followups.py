"""Follow-up plans (SPEC §3): a month's tasks under the 3-3-2 rule, check-off
(消し込み), regeneration that keeps check-offs, and the TOP1% individual list.

Which customers get which touches is decided by the rules (followup_rules.py);
this module turns them into tasks for a month, vectorised over all customers.
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from engine.customers.eligibility import dm_eligible_sql
from engine.dates import add_months, first_day, month_of, parse_day, parse_month
from engine.errors import NotFoundError, OtokuiError
from engine.progress import check_cancel, reporter
from engine.store.database import now_text
from engine.store.journal import Change
from engine.marketing.followup_rules import (LATE_DENOMINATOR, LATE_NUMERATOR, default_rules, plans_of,
                                   substitute_for_dm, validate)
from engine.customers.touches import MEDIUM_LABELS, check_medium
from engine.text import user_text

TASK_COLUMNS = ["task_id", "customer_id", "cluster", "due_date", "medium", "action", "status",
                "done_on", "name", "result"]
TOP1_COLUMNS = ["customer_id", "name", "kana", "phone", "email", "purchase_count",
                "total_amount", "last_purchase", "recency_days"]
# Columns that define a planned task; an open task whose values all still match is kept.
_PLAN_COLUMNS = ["customer_id", "step", "cluster", "due_date", "planned_medium", "action"]
_SEEDED_KEY = "followup_rules_seeded"
_DM_OK_SQL = dm_eligible_sql(None)


def _insert_rules(conn, rules: list[dict]) -> None:
    conn.executemany(
        "INSERT INTO followup_rules (position, target, min_days, max_days, medium, action,"
        " offset_days) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(i, r["target"], r["min_days"], r["max_days"], r["medium"], r["action"],
          r["offset_days"]) for i, r in enumerate(rules, start=1)])


class FollowupService:
    def __init__(self, shop):
        self.shop = shop
        self.db = shop.db

    # --- rules ---------------------------------------------------------------

    def rules(self) -> list[dict]:
        """The rules in order: id, target, min_days, max_days, medium, action, offset_days."""
        self._seed_defaults()
        return self.db.query(
            "SELECT id, target, min_days, max_days, medium, action, offset_days "
            "FROM followup_rules ORDER BY position, id")

    def save_rules(self, rules: list[dict]) -> Change:
        """Replace all rules (undoable); every plan must follow the 3-3-2 rule."""
        return self._write_rules(validate(rules), "フォロールールの保存")

    def reset_rules(self) -> Change:
        """Restore the shipped default rules (undoable)."""
        return self._write_rules(validate(default_rules()), "フォロールールを標準に戻す")

    def _write_rules(self, rules: list[dict], label: str) -> Change:
        self._seed_defaults()
        with self.shop.journal.operation("followup_rules", label) as op:
            conn = self.db.conn
            conn.execute("DELETE FROM followup_rules")
            _insert_rules(conn, rules)
        return Change(op.id)

    def _seed_defaults(self) -> None:
        """A new shop starts with the shipped rules (once: an emptied rule list stays empty)."""
        if self.shop.settings.get(_SEEDED_KEY):
            return
        with self.db.transaction() as conn:
            if not conn.execute("SELECT count(*) FROM followup_rules").fetchone()[0]:
                _insert_rules(conn, default_rules())
            self.shop.settings.set(_SEEDED_KEY, True)

    # --- generating a month ---------------------------------------------------

    def generated(self, month: str) -> bool:
        """Whether the month's plan has been generated (even if it had no tasks)."""
        key = parse_month(month)
        return bool(self.db.scalar("SELECT count(*) FROM followup_plans WHERE month = ?", (key,)))

    def generate(self, month: str, as_of=None, progress=None, cancel=None) -> Change:
        """Create the month's tasks (undoable as one operation).

        Each targeted customer gets exactly 3 touches due within the 3 months
        starting with ``month``, over at least 2 media; DM-ineligible customers get
        another medium instead of DM; opted-out (配信停止) customers and those still
        in a plan started in either of the two previous months are left out.
        Regenerating keeps checked-off tasks and unchanged open tasks, replaces
        changed ones and removes those no longer planned. ``as_of`` defaults to
        today within the month, else the month's first day.
        Its ``counts`` are the tasks "created", "kept" and "removed".
        """
        key = parse_month(month)
        start = first_day(key)
        if as_of is None:
            as_of = date.today() if month_of(date.today()) == key else start
        as_of = parse_day(as_of)
        report = reporter(progress)
        report(0.0, "顧客の購入状況を集計しています…")
        desired = self._planned_tasks(start, as_of)
        check_cancel(cancel)
        report(0.5, f"{len(desired):,}件のタスクを登録しています…")
        with self.shop.journal.operation("followups", f"{key} のフォロータスク作成") as op:
            counts = self._reconcile(key, desired)
            check_cancel(cancel)
            self.db.conn.execute(
                "INSERT INTO followup_plans (month, as_of, generated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(month) DO UPDATE SET as_of = excluded.as_of, "
                "generated_at = excluded.generated_at", (key, as_of.isoformat(), now_text()))
        report(1.0, "完了")
        return Change(op.id, counts=counts)

    def _planned_tasks(self, start: date, as_of: date) -> pd.DataFrame:
        plans = plans_of(self.rules())
        metrics = self.shop.segments.metrics(as_of)[
            ["customer_id", "cluster", "recency_days", "purchase_count", "tenure_days"]]
        month = month_of(start)
        running = (add_months(month, -2), add_months(month, -1))
        people = pd.read_sql_query(
            f"SELECT id AS customer_id, CASE WHEN {_DM_OK_SQL} THEN 1 ELSE 0 END AS dm_ok "
            "FROM customers WHERE deleted_at IS NULL AND dm_opt_out = 0 AND id NOT IN "
            "(SELECT customer_id FROM followup_tasks WHERE month IN (?, ?))",
            self.db.conn, params=running)
        frame = metrics.merge(people, on="customer_id")
        recency = frame["recency_days"].to_numpy()
        gaps = frame["purchase_count"].to_numpy() - 1
        late = ((gaps > 0) & (LATE_DENOMINATOR * recency * gaps
                              > LATE_NUMERATOR * frame["tenure_days"].to_numpy()))
        chosen = np.full(len(frame), -1)
        for index, plan in enumerate(plans):   # a handful of plans, vectorised over customers
            upper = recency <= plan.max_days if plan.max_days is not None else True
            match = ((chosen == -1) & frame["cluster"].isin(plan.clusters).to_numpy()
                     & (recency >= plan.min_days) & upper & (late | (not plan.late_only)))
            chosen[match] = index
        frame = frame.assign(plan=chosen).loc[chosen >= 0]
        steps = pd.DataFrame(
            [{"plan": index, "step": number, "offset_days": rule["offset_days"],
              "medium": rule["medium"], "action": rule["action"],
              "substitute": substitute_for_dm(plan)}
             for index, plan in enumerate(plans) for number, rule in enumerate(plan.steps, 1)],
            columns=["plan", "step", "offset_days", "medium", "action", "substitute"])
        tasks = frame.merge(steps, on="plan").sort_values(["customer_id", "step"])
        swap = ((tasks["medium"] == "dm") & (tasks["dm_ok"] == 0)).to_numpy()
        tasks.loc[swap, "action"] = (tasks.loc[swap, "action"] + "（DM不可のため"
                                     + tasks.loc[swap, "substitute"].map(MEDIUM_LABELS) + "で代替）")
        tasks.loc[swap, "medium"] = tasks.loc[swap, "substitute"]
        tasks["planned_medium"] = tasks["medium"]
        tasks["due_date"] = (pd.Timestamp(start) + pd.to_timedelta(tasks["offset_days"], unit="D")
                             ).dt.strftime("%Y-%m-%d")
        return tasks[_PLAN_COLUMNS].reset_index(drop=True)

    def _reconcile(self, month: str, desired: pd.DataFrame) -> dict:
        conn = self.db.conn
        existing = pd.read_sql_query(
            "SELECT id, customer_id, step, cluster, due_date, planned_medium, action, status "
            "FROM followup_tasks WHERE month = ?", conn, params=(month,))
        done = existing.loc[existing["status"] == "done", ["customer_id", "step"]]
        desired = desired.merge(done, on=["customer_id", "step"], how="left", indicator=True)
        desired = desired.loc[desired["_merge"] == "left_only", _PLAN_COLUMNS]
        still = existing.loc[existing["status"] == "open"].merge(
            desired, on=_PLAN_COLUMNS, how="left", indicator=True)
        kept = still.loc[still["_merge"] == "both", ["customer_id", "step"]]
        removed = still.loc[still["_merge"] == "left_only", "id"]
        new = desired.merge(kept, on=["customer_id", "step"], how="left", indicator=True)
        new = new.loc[new["_merge"] == "left_only", _PLAN_COLUMNS]
        conn.executemany("DELETE FROM followup_tasks WHERE id = ?",
                         ((int(i),) for i in removed))
        conn.executemany(
            "INSERT INTO followup_tasks (month, customer_id, step, cluster, due_date,"
            " planned_medium, medium, action) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            zip([month] * len(new), new["customer_id"].astype("int64").tolist(),
                new["step"].astype("int64").tolist(), new["cluster"].tolist(),
                new["due_date"].tolist(), new["planned_medium"].tolist(),
                new["planned_medium"].tolist(), new["action"].tolist()))
        return {"created": len(new), "kept": len(kept) + len(done), "removed": len(removed)}

    # --- tasks and check-off ---------------------------------------------------

    def tasks(self, month: str) -> pd.DataFrame:
        """The month's tasks by due date: TASK_COLUMNS plus ``step`` (1–3)."""
        key = parse_month(month)
        return pd.read_sql_query(
            "SELECT t.id AS task_id, t.customer_id, t.cluster, t.due_date, t.medium, t.action,"
            " t.status, t.done_on, c.name, t.result, t.step FROM followup_tasks t"
            " JOIN customers c ON c.id = t.customer_id WHERE t.month = ?"
            " ORDER BY t.due_date, t.customer_id, t.step", self.db.conn, params=(key,))

    def _task(self, task_id: int) -> dict:
        rows = self.db.query(
            f"SELECT t.*, CASE WHEN {_DM_OK_SQL} AND c.deleted_at IS NULL THEN 1 ELSE 0 END"
            " AS dm_ok FROM followup_tasks t JOIN customers c ON c.id = t.customer_id"
            " WHERE t.id = ?", (int(task_id),))
        if not rows:
            raise NotFoundError(f"フォロータスク {task_id} は見つかりません。")
        return rows[0]

    def check_off(self, task_id: int, done_on=None, medium: str | None = None,
                  result: str = "") -> Change:
        """Mark a task done (消し込み) on ``done_on`` (default today) with the medium
        actually used and its result; logs a touch. Undoable."""
        task = self._task(task_id)
        if task["status"] == "done":
            raise OtokuiError(f"このタスクは {task['done_on']} に完了済みです。")
        medium = check_medium(medium or task["medium"])
        if medium == "dm" and not task["dm_ok"]:
            raise OtokuiError("この顧客はDM不可（配信停止・Amazonのみの購入など）のため、"
                              "DMでの実施は記録できません。")
        day = parse_day(done_on, "実施日")
        result = user_text(result)
        with self.shop.journal.operation(
                "followup", f"フォロー完了（顧客 {task['customer_id']}・{task['action']}）") as op:
            conn = self.db.conn
            self.shop.touches.record([task["customer_id"]], medium, task["action"], on=day,
                                     source="followup", result=result)
            touch_id = conn.execute("SELECT max(id) FROM touches").fetchone()[0]
            conn.execute(
                "UPDATE followup_tasks SET status = 'done', done_on = ?, medium = ?, result = ?,"
                " touch_id = ? WHERE id = ?",
                (day.isoformat(), medium, result, touch_id, int(task_id)))
        return Change(op.id)

    def reopen(self, task_id: int) -> Change:
        """Undo a check-off by hand: the task is open again and its touch is removed."""
        task = self._task(task_id)
        if task["status"] != "done":
            raise OtokuiError("このタスクはまだ完了していません。")
        with self.shop.journal.operation(
                "followup", f"フォロー完了の取り消し（顧客 {task['customer_id']}）") as op:
            conn = self.db.conn
            conn.execute(
                "UPDATE followup_tasks SET status = 'open', done_on = NULL, result = '',"
                " medium = planned_medium, touch_id = NULL WHERE id = ?", (int(task_id),))
            conn.execute("DELETE FROM touches WHERE id = ?", (task["touch_id"],))
        return Change(op.id)

    # --- TOP1% -----------------------------------------------------------------

    def top1_list(self, as_of=None) -> pd.DataFrame:
        """TOP1% customers for individual handling, best first, with contact details."""
        metrics = self.shop.segments.metrics(as_of)
        top = metrics.loc[metrics["segment"] == "top1"]
        people = pd.read_sql_query(
            "SELECT id AS customer_id, name, kana, phone, email FROM customers "
            "WHERE deleted_at IS NULL", self.db.conn)
        return top.merge(people, on="customer_id", how="left")[TOP1_COLUMNS].reset_index(drop=True)

