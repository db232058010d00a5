"""Follow-up plans (SPEC §3): a month's tasks under the 3-3-2 rule, check-off
(消し込み), regeneration that keeps check-offs, and the TOP1% individual list.

Which customers get which touches is decided by the rules (followup_rules.py);
this module turns them into tasks for a month, vectorised over all customers.
"""
from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from engine.customers.consent import reachable_sql
from engine.customers.eligibility import dm_eligible_sql
from engine.customers.touches import MEDIUM_LABELS, check_medium
from engine.dates import add_months, first_day, month_of, parse_day, parse_month
from engine.errors import ConflictError, InvalidInputError, NotFoundError, OtokuiError
from engine.marketing.capacity import LIMITED_MEDIA, SETTING, fit_capacity
from engine.marketing import holdout, plan_store, worklist
from engine.marketing.followup_rules import (LATE_DENOMINATOR, LATE_NUMERATOR, MAX_OFFSET_DAYS,
                                             adapt_media, default_rules, plans_of, validate)
from engine.progress import check_cancel, reporter
from engine.store.database import now_text
from engine.store.staff import done_conflict
from engine.store.journal import Change
from engine.text import user_text

TASK_COLUMNS = ["task_id", "customer_id", "cluster", "due_date", "medium", "action", "status",
                "done_on", "name", "result", "done_by"]
TOP1_COLUMNS = ["customer_id", "name", "kana", "phone", "email", "purchase_count",
                "total_amount", "last_purchase", "recency_days"]
LEFT_OUT_COLUMNS = ["customer_id", "name", "cluster", "step", "due_date", "medium", "action",
                    "reason"]
UNREACHABLE = "メール・DM・電話のどれも使えないため（次のご注文の同梱物で対応）"
_SEEDED_KEY = "followup_rules_seeded"
_DM_OK_SQL = dm_eligible_sql(None)


def _insert_rules(conn, rules: list[dict]) -> None:
    conn.executemany(
        "INSERT INTO followup_rules (position, target, min_days, max_days, medium, action,"
        " offset_days) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(i, r["target"], r["min_days"], r["max_days"], r["medium"], r["action"],
          r["offset_days"]) for i, r in enumerate(rules, start=1)])


def _labels(codes: np.ndarray, values) -> pd.Categorical:
    """``values[code]`` for each code (a missing value for None): a categorical column,
    so that filtering and joining hundreds of thousands of tasks moves small codes,
    not text."""
    positions, names = pd.factorize(np.asarray(values, dtype=object))
    return pd.Categorical.from_codes(positions[codes], categories=names)


def _runs(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows ``starts[i]`` to ``ends[i]`` (exclusive) one after the other: for each,
    its ``i`` and its row."""
    count = ends - starts
    owner = np.repeat(np.arange(len(starts)), count)
    # A row's place within its run: its position less the run's first position.
    return owner, starts[owner] + np.arange(len(owner)) - np.repeat(np.cumsum(count) - count,
                                                                      count)


def _plan_steps(plans) -> pd.DataFrame:
    """Every plan's steps for each way a customer can be reached (``reach``: 4·e-mail
    + 2·DM + phone allowed), with media replaced as adapt_media says; a None
    planned_medium where the plan cannot keep two media. ``media``: the media the
    steps use, sorted and comma-joined (what followup_targets keeps per customer)."""
    rows = []
    for index, plan in enumerate(plans):
        for reach in range(8):
            allowed = frozenset(m for m, bit in (("email", 4), ("dm", 2), ("phone", 1))
                                if reach & bit)
            media = adapt_media(plan, allowed)
            used = "" if media is None else ",".join(sorted(set(media)))
            for number, rule in enumerate(plan.steps, 1):
                medium = rule["medium"] if media is None else media[number - 1]
                action = rule["action"]
                if medium != rule["medium"]:
                    action += (f"（{MEDIUM_LABELS[rule['medium']]}不可のため"
                               f"{MEDIUM_LABELS[medium]}で代替）")
                rows.append({"plan": index, "reach": reach, "step": number,
                             "offset_days": rule["offset_days"], "medium": rule["medium"],
                             "planned_medium": None if media is None else medium,
                             "action": action, "media": used})
    return pd.DataFrame(rows, columns=["plan", "reach", "step", "offset_days", "medium",
                                       "planned_medium", "action", "media"])


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

    def generate(self, month: str, as_of=None, progress=None, cancel=None,
                 holdout_share: float | None = None) -> Change:
        """Create the month's tasks (undoable as one operation).

        Each targeted customer gets exactly 3 touches due within the 3 months
        starting with ``month``, over at least 2 media: a medium the customer
        cannot get (DM not allowed, no e-mail consent, no phone number …) is
        replaced by one they can; a customer left with fewer than two media, and
        tasks beyond the shop's weekly capacity (see capacity.py), are left out and
        listed (``left_out``). Opted-out (配信停止) customers and those still in a
        plan started in either of the two previous months are not planned. A share
        of the targeted customers is held out for comparison (holdout.py):
        ``holdout_share`` when the month's plan is first created, else the setting.
        Regenerating keeps checked-off tasks and unchanged open tasks, replaces
        changed ones and removes those no longer planned. ``as_of`` defaults to
        today within the month, else the month's first day.
        Its ``counts`` are the tasks "created", "kept", "removed" and "left_out".
        """
        key = parse_month(month)
        start = first_day(key)
        if as_of is None:
            as_of = date.today() if month_of(date.today()) == key else start
        as_of = parse_day(as_of)
        report = reporter(progress)
        report(0.0, "顧客の購入状況を集計しています…")
        desired, unreachable = self._planned_tasks(start, as_of)
        share, seed = self._split_of(key, holdout_share)
        stored = self.db.conn.execute(
            "SELECT customer_id, held_out FROM followup_targets WHERE month = ?",
            (key,)).fetchall()
        stored = pd.DataFrame(np.array(stored, dtype="int64").reshape(-1, 2),
                              columns=["customer_id", "held_out"])
        desired, targets = self._hold_out(desired, share, seed, stored)
        check_cancel(cancel)
        report(0.4, "週ごとの対応可能件数に合わせています…")
        desired, over = self._fit(key, start, desired)
        left_out = pd.concat([unreachable, over])[plan_store.LEFT_OUT_COLUMNS]
        check_cancel(cancel)
        report(0.5, f"{len(desired):,}件のタスクを登録しています…")
        with self.shop.journal.operation("followups", f"{key} のフォロータスク作成") as op:
            conn = self.db.conn
            counts = plan_store.store_tasks(conn, key, desired[plan_store.PLAN_COLUMNS])
            plan_store.store_left_out(conn, key, left_out)
            plan_store.store_targets(conn, key, targets)
            check_cancel(cancel)
            self.db.conn.execute(
                "INSERT INTO followup_plans (month, as_of, generated_at, holdout_share, seed) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(month) DO UPDATE SET as_of = excluded.as_of,"
                " generated_at = excluded.generated_at",
                (key, as_of.isoformat(), now_text(), share, seed))
        report(1.0, "完了")
        return Change(op.id, counts={**counts, "left_out": len(left_out),
                                     "held_out": int(targets["held_out"].sum())})

    def _planned_tasks(self, start: date, as_of: date) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(tasks with a ``priority``, tasks of customers who cannot get 3-3-2), each by
        customer and step."""
        plans = plans_of(self.rules())
        metrics = self.shop.segments.metrics(as_of)   # best customers first
        recency = metrics["recency_days"].to_numpy()
        gaps = metrics["purchase_count"].to_numpy() - 1
        late = ((gaps > 0) & (LATE_DENOMINATOR * recency * gaps
                              > LATE_NUMERATOR * metrics["tenure_days"].to_numpy()))
        clusters, cluster_names = pd.factorize(metrics["cluster"])
        chosen = np.full(len(metrics), -1)
        for index, plan in enumerate(plans):   # a handful of plans, vectorised over customers
            upper = recency <= plan.max_days if plan.max_days is not None else True
            targeted = np.isin(clusters, np.flatnonzero(cluster_names.isin(plan.clusters)))
            match = ((chosen == -1) & targeted & (recency >= plan.min_days) & upper
                     & (late | (not plan.late_only)))
            chosen[match] = index
        # The customers a plan picked, by id; how each can be reached is asked only of them.
        picked = np.flatnonzero(chosen >= 0)
        ids = metrics["customer_id"].to_numpy()[picked]
        by_id = np.argsort(ids)
        picked, ids = picked[by_id], ids[by_id]
        reach = self._reach(ids, month_of(start))
        plannable = reach >= 0
        picked, ids, reach = picked[plannable], ids[plannable], reach[plannable]
        plan, clusters = chosen[picked], clusters[picked]
        # Each customer's tasks are the rows of _plan_steps for their plan and reach:
        # those rows are together and in step order.
        steps = _plan_steps(plans)
        key = steps["plan"].to_numpy() * 8 + steps["reach"].to_numpy()
        owner, row = _runs(np.searchsorted(key, plan * 8 + reach),
                           np.searchsorted(key, plan * 8 + reach, side="right"))
        texts = {"due_date": [(start + timedelta(days=int(offset))).isoformat()
                              for offset in steps["offset_days"]],
                 "rule": [plans[index].label for index in steps["plan"]],
                 **{c: steps[c] for c in ("medium", "planned_medium", "action", "media")}}

        def tasks(rows: np.ndarray) -> pd.DataFrame:
            who, what = owner[rows], row[rows]
            return pd.DataFrame({
                "customer_id": ids[who], "cluster": _labels(clusters[who], cluster_names),
                "priority": picked[who], "plan": plan[who], "reach": reach[who],
                "step": steps["step"].to_numpy()[what],
                "offset_days": steps["offset_days"].to_numpy()[what],
                **{c: _labels(what, texts[c]) for c in ("medium", "planned_medium", "action",
                                                       "media", "due_date")},
                "rule": _labels(what, texts["rule"])})

        reachable = steps["planned_medium"].notna().to_numpy()[row]
        unreachable = tasks(np.flatnonzero(~reachable))
        unreachable = unreachable.assign(planned_medium=unreachable["medium"],
                                         reason=UNREACHABLE)
        return tasks(np.flatnonzero(reachable)), unreachable

    def _reach(self, customer_ids: np.ndarray, month: str) -> np.ndarray:
        """Per customer (``customer_ids`` ascending) how they can be reached (4·e-mail +
        2·DM + phone allowed), or -1 for those who may not be planned: deleted, erased,
        opted out (配信停止), or in a plan started in either of the two months before
        ``month``."""
        listed, param = self.db.dialect.in_list("c.id", customer_ids)
        rows = self.db.conn.execute(
            "SELECT customer_id, email_ok * 4 + dm_ok * 2 + phone_ok FROM ("
            f"SELECT c.id AS customer_id, {reachable_sql('c')} FROM customers c "
            f"WHERE {listed} AND c.deleted_at IS NULL "
            "AND c.erased_at IS NULL AND c.dm_opt_out = 0 AND c.id NOT IN "
            "(SELECT customer_id FROM followup_tasks WHERE month IN (?, ?))) r",
            (param, add_months(month, -2), add_months(month, -1))).fetchall()
        values = np.array(rows, dtype="int64").reshape(-1, 2)
        reach = np.full(len(customer_ids), -1)
        reach[np.searchsorted(customer_ids, values[:, 0])] = values[:, 1]
        return reach

    # --- 比較用にお休み (holdout.py) ------------------------------------------------

    def holdout_settings(self) -> dict:
        """The share held out of new plans, and whether TOP1% customers may be."""
        return {"share": self.shop.settings.get(holdout.SHARE_SETTING, holdout.DEFAULT_SHARE),
                "top1": bool(self.shop.settings.get(holdout.TOP1_SETTING, False))}

    def set_holdout(self, share: float | None = None, top1: bool | None = None) -> None:
        if share is not None:
            self.shop.settings.set(holdout.SHARE_SETTING, holdout.check_share(share))
        if top1 is not None:
            self.shop.settings.set(holdout.TOP1_SETTING, bool(top1))

    def _split_of(self, month: str, share: float | None) -> tuple[float, int]:
        """A plan keeps the share and seed it was first created with."""
        rows = self.db.query("SELECT holdout_share, seed FROM followup_plans WHERE month = ?",
                             (month,))
        if rows:
            return float(rows[0]["holdout_share"]), int(rows[0]["seed"])
        share = holdout.check_share(share if share is not None
                                    else self.holdout_settings()["share"])
        return share, holdout.new_seed()

    def _hold_out(self, tasks: pd.DataFrame, share: float, seed: int, stored: pd.DataFrame
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(the tasks of the customers not held out, one row per targeted customer);
        ``tasks`` go by customer."""
        _, firsts = np.unique(tasks["customer_id"].to_numpy(), return_index=True)
        targets = (tasks.iloc[firsts].loc[:, ["customer_id", "cluster", "plan", "rule", "media"]]
                   .rename(columns={"plan": "stratum"}).reset_index(drop=True))
        targets["held_out"] = holdout.split(targets, share, seed, stored,
                                            self.holdout_settings()["top1"]).astype(int)
        away = np.repeat(targets["held_out"].to_numpy() == 1, np.diff(firsts, append=len(tasks)))
        return tasks.loc[~away], targets

    def holdouts(self, month: str) -> pd.DataFrame:
        """The customers the month's plan held out: customer_id, cluster, rule, name."""
        return self.db.frame(
            "SELECT g.customer_id, g.cluster, g.rule, c.name FROM followup_targets g "
            "JOIN customers c ON c.id = g.customer_id WHERE g.month = ? AND g.held_out = 1 "
            "ORDER BY g.customer_id", (parse_month(month),))

    def held_out_months(self, customer_id: int) -> list[str]:
        """The plan months that held the customer out (for the customer detail)."""
        return [r["month"] for r in self.db.query(
            "SELECT month FROM followup_targets WHERE customer_id = ? AND held_out = 1 "
            "ORDER BY month", (int(customer_id),))]

    def capacity(self) -> dict[str, int | None]:
        """Tasks a week the shop can do per medium (phone, dm); None: no limit."""
        stored = self.shop.settings.get(SETTING) or {}
        return {m: stored.get(m) for m in LIMITED_MEDIA}

    def set_capacity(self, **per_week: int | None) -> None:
        """``set_capacity(phone=20, dm=None)``: a medium's tasks a week (None: no limit)."""
        values = self.capacity()
        for medium, value in per_week.items():
            if medium not in LIMITED_MEDIA:
                raise InvalidInputError(f"対応可能件数を決められるのは電話とDMです（「{medium}」）。")
            if value is not None and (isinstance(value, bool) or int(value) < 0):
                raise InvalidInputError("1週間の対応可能件数は0以上の整数にしてください。")
            values[medium] = None if value is None else int(value)
        self.shop.settings.set(SETTING, values)

    def _fit(self, month: str, start: date, tasks: pd.DataFrame
             ) -> tuple[pd.DataFrame, pd.DataFrame]:
        capacity = self.capacity()
        if all(v is None for v in capacity.values()) or tasks.empty:
            return tasks, tasks.iloc[0:0].assign(reason="")
        # Work already planned in these weeks: other months' plans, and this month's
        # tasks already done (they stay whatever the new plan says).
        load = self.db.frame(
            "SELECT medium, coalesce(done_on, due_date) AS day FROM followup_tasks "
            "WHERE (month != ? OR status = 'done') AND medium IN ('phone', 'dm')",
            (month,))
        done = self.db.frame(
            "SELECT customer_id, step FROM followup_tasks WHERE month = ? AND status = 'done'",
            (month,))
        tasks = tasks.merge(done.assign(_done=True), on=["customer_id", "step"], how="left")
        settled = tasks["_done"].notna().to_numpy()
        kept, over = fit_capacity(tasks.loc[~settled], capacity,
                                  load.assign(day=pd.to_datetime(load["day"])),
                                  start + timedelta(days=MAX_OFFSET_DAYS))
        return pd.concat([kept, tasks.loc[settled]]).drop(columns="_done"), over

    def left_out(self, month: str) -> pd.DataFrame:
        """What the month's plan left out, and why (LEFT_OUT_COLUMNS)."""
        return self.db.frame(
            "SELECT l.customer_id, c.name, l.cluster, l.step, l.due_date, l.medium, l.action,"
            " l.reason FROM followup_left_out l JOIN customers c ON c.id = l.customer_id"
            " WHERE l.month = ? ORDER BY l.due_date, l.customer_id, l.step",
            (parse_month(month),))

    # --- tasks and check-off ---------------------------------------------------

    def tasks(self, month: str) -> pd.DataFrame:
        """The month's tasks by due date: TASK_COLUMNS plus ``step`` (1–3);
        ``done_by`` who checked a task off ('' when open or not recorded)."""
        key = parse_month(month)
        return self.db.frame(
            "SELECT t.id AS task_id, t.customer_id, t.cluster, t.due_date, t.medium, t.action,"
            " t.status, t.done_on, c.name, t.result, coalesce(t.done_by, '') AS done_by, t.step"
            " FROM followup_tasks t"
            " JOIN customers c ON c.id = t.customer_id WHERE t.month = ?"
            " ORDER BY t.due_date, t.customer_id, t.step", (key,))

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
        actually used and its result; logs a touch, both naming this desktop's staff.
        Undoable. The caller saw the task open: when it is done by now (another
        desktop checked it off) a ConflictError says who did and when, and nothing
        is recorded."""
        task = self._task(task_id)
        if task["status"] == "done":
            raise ConflictError(done_conflict(task))
        if (medium or task["medium"]) == "dm" and not task["dm_ok"]:
            raise OtokuiError("この顧客はDM不可（配信停止・Amazonのみの購入など）のため、"
                              "DMでの実施は記録できません。")
        return self.check_off_many([task_id], done_on, medium, result, seen_open=True,
                                   label=f"フォロー完了（顧客 {task['customer_id']}・"
                                         f"{task['action']}）")

    def check_off_many(self, task_ids, done_on=None, medium: str | None = None,
                       result: str = "", *, label: str | None = None,
                       seen_open: bool = False) -> Change:
        """Check off several tasks at once (まとめて消し込み) as one undoable operation,
        each with its own planned medium unless ``medium`` is given, and a touch each.
        Tasks already done, and DM tasks of customers who may no longer get DMs, are
        skipped. ``counts``: "done", "already_done", "no_dm".

        Whether a task is still open is decided inside the write transaction, so two
        desktops checking off the same task record it once. ``seen_open``: the
        caller showed the tasks open; one done meanwhile is then a ConflictError
        (who, when) and nothing is recorded, instead of being skipped."""
        ids = list(dict.fromkeys(int(i) for i in task_ids))
        if not ids:
            raise InvalidInputError("消し込むタスクを選んでください。")
        if medium is not None:
            check_medium(medium)
        day = parse_day(done_on, "実施日").isoformat()
        result = user_text(result)
        with self.db.transaction() as conn:
            chosen, counts = self._open_tasks(conn, ids, medium, seen_open)
            if chosen.empty:
                return Change(None, counts=counts)
            with self.shop.journal.operation(
                    "followup", label or f"フォロー完了 {len(chosen):,}件") as op:
                first = self.db.dialect.last_id(conn, "touches") + 1
                created, staff = now_text(), self.shop.staff
                conn.executemany(
                    "INSERT INTO touches (customer_id, touched_on, medium, action, result,"
                    " source, created_at, staff) VALUES (?, ?, ?, ?, ?, 'followup', ?, ?)",
                    ((int(c), day, m, a, result, created, staff) for c, m, a in
                     zip(chosen["customer_id"], chosen["medium"], chosen["action"])))
                conn.executemany(
                    "UPDATE followup_tasks SET status = 'done', done_on = ?, medium = ?,"
                    " result = ?, touch_id = ?, done_by = ?, done_at = ? WHERE id = ?",
                    ((day, m, result, first + n, staff, created, int(i)) for n, (m, i) in
                     enumerate(zip(chosen["medium"], chosen["id"]))))
        return Change(op.id, counts=counts)

    def _open_tasks(self, conn, ids: list[int], medium: str | None, seen_open: bool
                    ) -> tuple[pd.DataFrame, dict]:
        """The tasks of ``ids`` to check off now (inside the write transaction) and
        the counts of those skipped."""
        condition, param = self.db.dialect.in_list("t.id", ids)
        tasks = self.db.frame(
            "SELECT t.id, t.customer_id, t.status, t.medium, t.action, t.done_on, t.done_by,"
            f" t.done_at, CASE WHEN {dm_eligible_sql('c')} THEN 1 ELSE 0 END AS dm_ok "
            "FROM followup_tasks t JOIN customers c ON c.id = t.customer_id "
            f"WHERE {condition} ORDER BY t.id", (param,))
        missing = sorted(set(ids) - set(tasks["id"].tolist()))
        if missing:
            raise NotFoundError(f"フォロータスク {missing[0]} は見つかりません。")
        open_ = tasks["status"] == "open"
        if seen_open and not open_.all():
            raise ConflictError(done_conflict(tasks.loc[~open_].iloc[0].to_dict()))
        if medium is not None:
            tasks["medium"] = medium
        no_dm = open_ & (tasks["medium"] == "dm") & (tasks["dm_ok"] == 0)
        counts = {"done": int((open_ & ~no_dm).sum()), "already_done": int((~open_).sum()),
                  "no_dm": int(no_dm.sum())}
        return tasks.loc[open_ & ~no_dm], counts

    def reopen(self, task_id: int) -> Change:
        """Undo a check-off by hand: the task is open again and its touch is removed.
        When another desktop reopened it already: ConflictError, nothing changed."""
        task = self._task(task_id)
        with self.shop.journal.operation(
                "followup", f"フォロー完了の取り消し（顧客 {task['customer_id']}）") as op:
            conn = self.db.conn
            touch = conn.execute("SELECT touch_id FROM followup_tasks WHERE id = ? AND"
                                 " status = 'done'", (int(task_id),)).fetchone()
            if touch is None:
                raise ConflictError("この対応はまだ完了していないか、ほかの方がすでに未対応に"
                                    "戻しています。一覧を更新して確認してください。")
            conn.execute(
                "UPDATE followup_tasks SET status = 'open', done_on = NULL, result = '',"
                " medium = planned_medium, touch_id = NULL, done_by = NULL, done_at = NULL"
                " WHERE id = ?", (int(task_id),))
            conn.execute("DELETE FROM touches WHERE id = ?", (touch[0],))
        return Change(op.id)

    def worklist(self, until=None, media=None, clusters=None, rule: str | None = None
                 ) -> pd.DataFrame:
        """今日の仕事: open tasks of the running plans due by ``until`` (see worklist.py)."""
        return worklist.worklist(self.db, until, media, clusters, rule)

    # --- TOP1% -----------------------------------------------------------------

    def top1_list(self, as_of=None) -> pd.DataFrame:
        """TOP1% customers for individual handling, best first, with contact details."""
        metrics = self.shop.segments.metrics(as_of)
        top = metrics.loc[metrics["segment"] == "top1"]
        people = self.db.frame(
            "SELECT id AS customer_id, name, kana, phone, email FROM customers "
            "WHERE deleted_at IS NULL")
        return top.merge(people, on="customer_id", how="left")[TOP1_COLUMNS].reset_index(drop=True)

