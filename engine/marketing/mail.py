"""Follow-up e-mail sent from the app (施策の自動化): the month's open e-mail tasks
go out through the shop's own mail server, each only to a customer who may get
advertising e-mail (consent.py), each at most once.

Every attempt is written to ``mail_sends`` before the message is handed over and
updated when the server answers; that log is not undone with the tasks, so no
re-run, undo or crash sends a message twice. A task is checked off only for a
message the server accepted; a refusal leaves it open, logged with the reason.
An attempt cut off between handing over and hearing back (the program was
killed) is not retried: it is reported as unknown, for the shop to look at.
"""
from __future__ import annotations

import smtplib
import time
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from engine.customers.consent import EMAIL_BLOCKS, email_block_sql
from engine.dates import parse_day, parse_month
from engine.errors import InvalidInputError, NotFoundError, OtokuiError
from engine.export import save_table
from engine.marketing import mail_server
from engine.marketing.mail_server import MailSettings, clean_settings, compose, describe
from engine.marketing.mail_templates import (COMMON, FIELDS, Template, base_action, bundled,
                                             check, customer_fields, footer, render)
from engine.progress import reporter
from engine.store.database import now_text
from engine.store.journal import Change

SENT_RESULT = "メール送信済み"
TEST_PREFIX = "【テスト送信】"
EXPORT_HEADERS = {"email": "メールアドレス", "name": "氏名", "family": "姓", "given": "名",
                  "last_purchase": "最終購入日", "last_product": "最終購入商品",
                  "recommended": "おすすめ商品", "purchase_count": "購入回数", "customer_id": "顧客番号", "action": "施策"}
SKIP_SENT = "送信済み"
SKIP_UNKNOWN = "前回の送信が途中で止まり、届いたか不明です（受信側で確かめてください）"
# A customer's fields for a message (customers ``c``).
_PERSON = f"""
    c.id AS customer_id, c.name, c.email, {email_block_sql('c')} AS email_block,
    (SELECT max(o.order_date) FROM orders o WHERE o.customer_id = c.id
     AND o.status = 'valid') AS last_date,
    (SELECT count(*) FROM orders o WHERE o.customer_id = c.id AND o.status = 'valid') AS purchases,
    (SELECT l.product_name FROM orders o JOIN order_lines l ON l.order_id = o.id
     WHERE o.customer_id = c.id AND o.status = 'valid' AND l.product_name != ''
     ORDER BY o.ordered_at DESC, o.id DESC, l.line_no LIMIT 1) AS last_product,
    (SELECT l.product_code FROM orders o JOIN order_lines l ON l.order_id = o.id
     WHERE o.customer_id = c.id AND o.status = 'valid' AND l.product_code != ''
     ORDER BY o.ordered_at DESC, o.id DESC, l.line_no LIMIT 1) AS last_product_code"""
SAMPLE_CUSTOMER = {"name": "山田 花子", "last_date": "2025-04-01", "last_product": "季節の詰め合わせ",
                   "recommended": "詰め替え用パック", "purchases": 2, "email": "hanako@example.jp"}


@dataclass
class SendReport:
    """What a send did (or, with dry_run, would do)."""
    dry_run: bool = False
    sent: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    cancelled: bool = False

    def reasons(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in self.skipped:
            counts[row["reason"]] = counts.get(row["reason"], 0) + 1
        return counts

    def summary(self) -> str:
        verb = "送信予定" if self.dry_run else "送信"
        text = f"{verb} {len(self.sent):,}通、送らない {len(self.skipped):,}件、失敗 {len(self.failed):,}件"
        if self.skipped:
            text += "（" + "、".join(f"{r}: {n:,}" for r, n in self.reasons().items()) + "）"
        if self.cancelled:
            text += "。途中で中止しました（残りは次回送ります）"
        return text


class MailService:
    def __init__(self, shop):
        self.shop = shop
        self.db = shop.db

    # --- settings -------------------------------------------------------------------

    def settings(self) -> MailSettings:
        stored = self.shop.settings.get(mail_server.SETTING) or {}
        return clean_settings(stored) if stored else MailSettings()

    def setup(self, password: str | None = None, **values) -> MailSettings:
        """Save the server settings (changing only those given); ``password`` goes
        to the credential store, never to the database."""
        settings = clean_settings({**asdict(self.settings()), **values})
        if password:
            mail_server.set_password(settings, password)
        self.shop.settings.set(mail_server.SETTING, asdict(settings))
        return settings

    def has_password(self) -> bool:
        return mail_server.get_password(self.settings()) is not None

    def _ready(self) -> MailSettings:
        settings = self.settings()
        missing = settings.missing()
        if missing:
            raise InvalidInputError("メール設定に" + "・".join(missing) + "が入っていません。"
                                    "メールの設定（画面の「ファイル → メールの設定…」、または mail setup）で入力してください。")
        return settings

    def _connection(self, settings: MailSettings) -> mail_server.Connection:
        return mail_server.Connection(settings, mail_server.get_password(settings),
                                      self.ssl_context)

    # Tests point this at their own certificate authority.
    ssl_context = None

    # --- templates ------------------------------------------------------------------

    def actions(self) -> list[str]:
        """Actions that send e-mail: the rules' e-mail actions, then those of this
        shop's open e-mail tasks (substitutions), in that order."""
        found = [r["action"] for r in self.shop.followups.rules() if r["medium"] == "email"]
        found += [base_action(a) for (a,) in self.db.conn.execute(
            "SELECT DISTINCT action FROM followup_tasks WHERE medium = 'email' AND status = 'open'")]
        return list(dict.fromkeys(found))

    def template(self, action: str) -> Template:
        """The template an action's e-mail uses: its own (edited, else bundled), else
        the common one (edited, else bundled)."""
        action = base_action(action)
        stored = {r["action"]: r for r in self.db.query(
            "SELECT action, subject, body FROM mail_templates WHERE action IN (?, ?)",
            (action, COMMON))}
        defaults = bundled()
        for key in (action, COMMON):
            if key in stored:
                row = stored[key]
                return Template(key, row["subject"], row["body"], custom=True)
            if key in defaults:
                return defaults[key]
        raise AssertionError("the bundled common template is missing")

    def save_template(self, action: str, subject: str, body: str) -> Change:
        """Store the shop's template for ``action`` (COMMON: the common one); undoable."""
        subject, body = check(subject, body)
        action = base_action(action)
        with self.shop.journal.operation("mail_template",
                                         f"メール文面の保存（{action or '共通'}）") as op:
            self.db.conn.execute(
                "INSERT INTO mail_templates (action, subject, body) VALUES (?, ?, ?) "
                "ON CONFLICT(action) DO UPDATE SET subject = excluded.subject, "
                "body = excluded.body", (action, subject, body))
        return Change(op.id)

    def reset_template(self, action: str) -> Change:
        """Back to the bundled text (undoable)."""
        action = base_action(action)
        with self.shop.journal.operation("mail_template",
                                         f"メール文面を標準に戻す（{action or '共通'}）") as op:
            self.db.conn.execute("DELETE FROM mail_templates WHERE action = ?", (action,))
        return Change(op.id)

    # --- one message ----------------------------------------------------------------

    def _recipients(self, where: str, params: tuple) -> pd.DataFrame:
        return self.db.frame(
            f"SELECT t.id AS task_id, t.month, t.step, t.action, t.due_date, {_PERSON} "
            f"FROM followup_tasks t JOIN customers c ON c.id = t.customer_id "
            f"WHERE {where} ORDER BY t.due_date, t.customer_id, t.step", params)

    def message_text(self, action: str, customer: dict,
                     draft: tuple[str, str] | None = None) -> tuple[str, str]:
        """(subject, body with the footer) for one customer (keys of _recipients);
        ``draft`` (subject, body) stands for the action's stored template."""
        settings = self.settings()
        template = self.template(action)
        if draft is not None:
            template = Template(template.action, *draft)
        recommended = customer.get("recommended")
        if recommended is None:
            code = customer.get("last_product_code")
            recommended = self.shop.products.recommended_names().get(
                code if isinstance(code, str) else "", "")
        values = customer_fields(customer.get("name", ""), customer.get("last_date"),
                                 customer.get("last_product"), customer.get("purchases", 0),
                                 settings.sender_name or "当店", recommended)
        body = render(template.body, values) + "\n" + footer(settings.sender)
        return render(template.subject, values), body

    def preview(self, action: str, customer_id: int | None = None,
                draft: tuple[str, str] | None = None) -> dict:
        """What the customer (or a sample customer) would receive: to, subject, body,
        and whether it may be sent to them (``block``: '' or a reason in words);
        ``draft`` (subject, body): text being edited, not yet saved."""
        customer = dict(SAMPLE_CUSTOMER, customer_id=None, email_block="")
        if customer_id is not None:
            rows = self.db.frame(
                f"SELECT {_PERSON} FROM customers c WHERE c.id = ? AND c.deleted_at IS NULL",
                (int(customer_id),))
            if rows.empty:
                raise NotFoundError(f"顧客番号 {customer_id} は見つかりません。")
            customer = rows.iloc[0].to_dict()
        subject, body = self.message_text(action, customer, draft)
        block = customer.get("email_block") or ""
        return {"to": customer.get("email") or "", "subject": subject, "body": body,
                "block": EMAIL_BLOCKS.get(block, ""), "fields": dict(FIELDS)}

    def send_test(self, action: str, to: str | None = None) -> str:
        """Send the action's message for a sample customer to the shop itself (or
        ``to``); nothing is logged. Returns the address it went to."""
        settings = self._ready()
        to = to or settings.from_address
        subject, body = self.message_text(action, SAMPLE_CUSTOMER)
        connection = self._connection(settings)
        try:
            connection.send(compose(settings, to, TEST_PREFIX + subject, body))
        except (smtplib.SMTPException, OSError) as exc:
            raise OtokuiError(f"テスト送信できませんでした（{describe(exc)}）。") from None
        finally:
            connection.close()
        return to

    # --- sending a month's tasks --------------------------------------------------------

    def due(self, month: str, until: date | str | None = None,
            task_ids=None) -> tuple[pd.DataFrame, list[dict]]:
        """(messages to send, skipped rows with a ``reason``) for the month's open
        e-mail tasks due on or before ``until`` (default today), or just ``task_ids``."""
        key = parse_month(month)
        day = parse_day(until, "送信する期日").isoformat()
        where, params = ("t.month = ? AND t.medium = 'email' AND t.status = 'open' "
                         "AND t.due_date <= ?"), (key, day)
        if task_ids is not None:
            listed, param = self.db.dialect.in_list("t.id", task_ids)
            where += f" AND {listed}"
            params += (param,)
        rows = self._recipients(where, params)
        # Looked up once here: the send log written between two messages would make
        # a lookup per message learn the pairs again.
        rows["recommended"] = rows["last_product_code"].map(
            self.shop.products.recommended_names()).astype(object).fillna("")
        tried = self.db.frame(
            "SELECT customer_id, step, status FROM mail_sends WHERE month = ? "
            "AND status IN ('sent', 'sending') ORDER BY id", (key,))
        rows = rows.merge(tried.drop_duplicates(["customer_id", "step"]),
                          on=["customer_id", "step"], how="left")
        reason = rows["email_block"].map(EMAIL_BLOCKS).fillna("")
        reason = reason.mask(rows["status"] == "sent", SKIP_SENT)
        reason = reason.mask(rows["status"] == "sending", SKIP_UNKNOWN)
        skipped = rows.loc[reason != ""].assign(reason=reason[reason != ""])
        return (rows.loc[reason == ""].drop(columns="status").reset_index(drop=True),
                skipped[["task_id", "customer_id", "name", "email", "reason"]].to_dict("records"))

    def send(self, month: str, until: date | str | None = None, dry_run: bool = False,
             task_ids=None, progress=None, cancel=None) -> SendReport:
        """Send the month's due e-mail tasks (see ``due``), throttled to the settings'
        messages a minute; cancel stops between two messages."""
        report = reporter(progress)
        self.settle()
        todo, skipped = self.due(month, until, task_ids)
        result = SendReport(dry_run=dry_run, skipped=skipped)
        if dry_run:
            result.sent = [_brief(r) for r in todo.to_dict("records")]
            return result
        if todo.empty:
            return result
        settings = self._ready()
        connection = self._connection(settings)
        pause = 60.0 / settings.per_minute
        try:
            for number, row in enumerate(todo.to_dict("records")):
                if cancel is not None and cancel():
                    result.cancelled = True
                    break
                report(number / len(todo), f"{number + 1:,}/{len(todo):,}通目を送っています…")
                if number:
                    _wait(pause, cancel)
                    if cancel is not None and cancel():     # pressed during the pause
                        result.cancelled = True
                        break
                self._send_one(connection, settings, row, result)
        finally:
            connection.close()
            self.settle(result.failed)
        report(1.0, "完了")
        return result

    def _send_one(self, connection, settings: MailSettings, row: dict,
                  result: SendReport) -> None:
        subject, body = self.message_text(row["action"], row)
        message = compose(settings, row["email"], subject, body)
        with self.db.transaction() as conn:     # written before the server sees it
            send_id = conn.execute(
                "INSERT INTO mail_sends (month, customer_id, step, address, subject, status,"
                " message_id, attempted_at) VALUES (?, ?, ?, ?, ?, 'sending', ?, ?)",
                (row["month"], int(row["customer_id"]), int(row["step"]), row["email"],
                 subject, message["Message-ID"], now_text())).lastrowid
        try:
            connection.send(message)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError,
                smtplib.SMTPSenderRefused, smtplib.SMTPNotSupportedError) as exc:
            error = describe(exc)
            self._mark(send_id, "failed", error)
            result.failed.append({**_brief(row), "error": error})
            return
        except OtokuiError as exc:       # could not reach or log in to the server
            self._mark(send_id, "failed", str(exc))
            raise
        except (smtplib.SMTPException, OSError) as exc:
            # The connection broke twice: the message may or may not be out.
            error = describe(exc)
            self._mark(send_id, "failed", error)
            raise OtokuiError(f"送信の途中でメールサーバーとの接続が切れました（{error}）。"
                              f"{len(result.sent):,}通は送信済みです。しばらくしてから、"
                              "もう一度送ってください（送信済みのお客様には送りません）。") from None
        self._mark(send_id, "sent", "")
        result.sent.append(_brief(row))

    def _mark(self, send_id: int, status: str, error: str) -> None:
        with self.db.transaction() as conn:
            conn.execute("UPDATE mail_sends SET status = ?, error = ? WHERE id = ?",
                         (status, error, send_id))

    def settle(self, failed: list[dict] | None = None) -> Change:
        """Check off every open e-mail task whose message the server accepted, and log
        ``failed`` sends as touches: one undoable operation, naming this desktop's
        staff. The sends are read inside the write transaction: two desktops
        settling at once check each task off once."""
        failed = failed or []
        with self.db.transaction() as conn:
            accepted = self.db.frame(
                "SELECT t.id, t.customer_id, t.action, min(substr(m.attempted_at, 1, 10)) AS day "
                "FROM followup_tasks t JOIN mail_sends m ON m.month = t.month "
                "AND m.customer_id = t.customer_id AND m.step = t.step AND m.status = 'sent' "
                "AND m.settled = 0 WHERE t.status = 'open' AND t.medium = 'email' GROUP BY t.id")
            if accepted.empty and not failed:
                return Change()
            label = f"メール送信の記録（送信 {len(accepted):,}通" + (
                f"・失敗 {len(failed):,}件）" if failed else "）")
            with self.shop.journal.operation("mail", label) as op:
                first = self.db.dialect.last_id(conn, "touches") + 1
                created, staff = now_text(), self.shop.staff
                conn.executemany(
                    "INSERT INTO touches (customer_id, touched_on, medium, action, result,"
                    " source, created_at, staff) VALUES (?, ?, 'email', ?, ?, ?, ?, ?)",
                    [(int(r.customer_id), r.day, r.action, SENT_RESULT, "followup", created,
                      staff) for r in accepted.itertuples()]
                    + [(int(r["customer_id"]), date.today().isoformat(), r["action"],
                        f"送信できませんでした: {r['error']}", "mail_failed", created, staff)
                       for r in failed])
                conn.executemany(
                    "UPDATE followup_tasks SET status = 'done', done_on = ?, result = ?,"
                    " touch_id = ?, done_by = ?, done_at = ? WHERE id = ?",
                    [(r.day, SENT_RESULT, first + n, staff, created, int(r.id))
                     for n, r in enumerate(accepted.itertuples())])
                conn.execute("UPDATE mail_sends SET settled = 1 WHERE status = 'sent' "
                             "AND settled = 0")
        return Change(op.id, counts={"sent": len(accepted), "failed": len(failed)})

    # --- a list for the shop's mail service ---------------------------------------------

    def export_list(self, month: str, path: Path | str, until: date | str | None = None) -> int:
        """The due e-mail tasks' recipients who may get advertising e-mail, as a CSV
        (UTF-8 with BOM) or .xlsx that Japanese mail services read (メールアドレス
        first); returns how many rows. Nothing is checked off: that is for the
        worklist once the shop's service has sent them."""
        todo, _skipped = self.due(month, until)
        path = Path(path)
        names = todo["name"].fillna("").str.split(" ", n=1, expand=True).reindex(
            columns=[0, 1]).fillna("")
        frame = pd.DataFrame({
            "email": todo["email"], "name": todo["name"], "family": names[0], "given": names[1],
            "last_purchase": todo["last_date"].fillna(""),
            "last_product": todo["last_product"].fillna(""), "recommended": todo["recommended"],
            "purchase_count": todo["purchases"].astype("int64"),
            "customer_id": todo["customer_id"].astype("int64"), "action": todo["action"],
        }).drop_duplicates("email").rename(columns=EXPORT_HEADERS)
        save_table(frame, path, sheet_title="メール配信リスト")
        return len(frame)


def _brief(row: dict) -> dict:
    return {"task_id": int(row["task_id"]), "customer_id": int(row["customer_id"]),
            "name": row["name"], "email": row["email"], "action": row["action"]}


def _wait(seconds: float, cancel) -> None:
    """Sleep, waking every 0.1 s to see whether the user cancelled."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        if cancel is not None and cancel():
            return
        time.sleep(min(0.1, left))

