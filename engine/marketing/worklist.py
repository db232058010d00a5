"""今日の仕事: the follow-up tasks due up to a day, with what each needs to be done.

One list across the running plans (a plan lasts three months, so up to three
months' plans run at once), grouped by medium, each row carrying what the person
doing it needs: the phone number for a call, the address for a DM, the address
and whether it may be sent for an e-mail, the parcel for an insert. Tasks of
plans that have ended are not carried forward: their moment has passed.
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from engine.customers.consent import EMAIL_BLOCKS, email_block_sql
from engine.customers.touches import MEDIA, MEDIUM_LABELS
from engine.dates import add_months, month_of, parse_day
from engine.imports.normalize import display_phone
from engine.text import format_postal

# The order the work is shown in: calls and letters need people, e-mail and
# inserts go out in bulk.
MEDIUM_ORDER = ("phone", "dm", "email", "insert")
COLUMNS = ["task_id", "month", "step", "due_date", "overdue_days", "medium", "customer_id",
           "name", "cluster", "action", "contact", "phone", "postal_code", "address", "email",
           "email_block", "order_no", "last_error"]
PLAN_MONTHS = 3


def worklist(db, until: date | str | None = None, media=None, clusters=None,
             rule: str | None = None) -> pd.DataFrame:
    """Open tasks of the running plans due on or before ``until`` (default today),
    filtered by media, clusters and rule (a rule's action; its substituted tasks
    too), by medium (MEDIUM_ORDER), then due date and customer (COLUMNS).

    ``overdue_days`` counts the days past due; ``contact`` is what the task needs,
    in words; ``email_block`` why advertising e-mail may not go (EMAIL_BLOCKS key,
    '' when it may); ``order_no`` the order an insert goes with, when the customer
    has ordered since the plan began; ``last_error`` the last failed send.
    """
    day = parse_day(until, "日付")
    oldest = add_months(month_of(day), 1 - PLAN_MONTHS)
    clauses, params = ["t.status = 'open'", "t.due_date <= ?", "t.month >= ?",
                       "c.deleted_at IS NULL"], [day.isoformat(), oldest]
    for column, values in (("t.medium", media), ("t.cluster", clusters)):
        if values:
            listed, param = db.dialect.in_list(column, values)
            clauses.append(listed)
            params.append(param)
    if rule:
        clauses.append("(t.action = ? OR substr(t.action, 1, length(?) + 1) = ? || '（')")
        params += [rule, rule, rule]
    frame = db.frame(
        f"""
        SELECT t.id AS task_id, t.month, t.step, t.due_date, t.medium, t.customer_id,
               c.name, t.cluster, t.action, c.phone, c.postal_code,
               trim(c.address1 || ' ' || c.address2) AS address, c.email,
               {email_block_sql('c')} AS email_block,
               CASE WHEN t.medium = 'insert' THEN
                 (SELECT o.order_no FROM orders o WHERE o.customer_id = c.id
                  AND o.status = 'valid' AND o.order_date >= t.month || '-01'
                  ORDER BY o.ordered_at DESC, o.id DESC LIMIT 1) END AS order_no,
               CASE WHEN t.medium = 'email' THEN
                 (SELECT m.error FROM mail_sends m WHERE m.month = t.month
                  AND m.customer_id = t.customer_id AND m.step = t.step
                  ORDER BY m.id DESC LIMIT 1) END AS last_error
        FROM followup_tasks t JOIN customers c ON c.id = t.customer_id
        WHERE {' AND '.join(clauses)}
        """, params)
    frame["overdue_days"] = (pd.Timestamp(day) - pd.to_datetime(frame["due_date"])).dt.days
    frame["contact"] = _contact(frame)
    frame["order_no"] = frame["order_no"].fillna("")
    frame["last_error"] = frame["last_error"].fillna("")
    order = frame["medium"].map({m: i for i, m in enumerate(MEDIUM_ORDER)})
    frame = frame.assign(_order=order).sort_values(
        ["_order", "due_date", "customer_id", "step"], kind="stable")
    return frame[COLUMNS].reset_index(drop=True)


def _contact(frame: pd.DataFrame) -> pd.Series:
    """What each task needs, in words (a few hundred rows: per row is fine)."""
    def one(row) -> str:
        if row.medium == "phone":
            return display_phone(row.phone) if row.phone else "電話番号なし"
        if row.medium == "dm":
            return f"{format_postal(row.postal_code)} {row.address}" if row.address \
                else "住所なし"
        if row.medium == "email":
            if row.email_block:
                return f"{row.email or 'アドレスなし'}（送信不可: {EMAIL_BLOCKS[row.email_block]}）"
            return row.email
        return (f"注文 {row.order_no} に同梱" if isinstance(row.order_no, str) and row.order_no
                else "次のご注文の荷物に同梱")
    if frame.empty:
        return pd.Series([], dtype=object)
    return pd.Series([one(r) for r in frame.itertuples(index=False)], index=frame.index)


def summary(frame: pd.DataFrame) -> dict:
    """Counts for the header: per medium, overdue, e-mails that may be sent."""
    counts = frame["medium"].value_counts()
    return {"total": len(frame), "overdue": int((frame["overdue_days"] > 0).sum()),
            **{m: int(counts.get(m, 0)) for m in MEDIA},
            "email_sendable": int(((frame["medium"] == "email")
                                   & (frame["email_block"] == "")).sum())}


def summary_text(counts: dict) -> str:
    parts = [f"{MEDIUM_LABELS[m]} {counts[m]:,}件" for m in MEDIUM_ORDER if counts[m]]
    text = f"今日の仕事 {counts['total']:,}件（" + "・".join(parts) + "）" if parts \
        else "今日の仕事はありません"
    if counts["overdue"]:
        text += f"　うち期日超過 {counts['overdue']:,}件"
    return text

