"""The consent ledger (同意の記録): per customer and channel, yes / no / unknown,
with the date and where it came from, and the one rule every list, plan and
send uses for who may be reached how.

- E-mail (特定電子メール法, opt-in): advertising e-mail only to a recorded *yes*.
  The latest statement wins: a row of the ledger (entered by hand, a subscriber
  list, an opt-out) or the consent an export gave with an order (Shopify's
  marketing column), by date. Marketplace relay addresses (楽天・Amazon mask the
  buyer's address per order) and customers who bought only where marketing is
  forbidden (Amazon) never get advertising e-mail, whatever was recorded.
- DM (opt-out): allowed unless refused; the ledger is the history of the hand
  setting the DM lists already follow (customers.dm_manual).
- Phone (opt-out): allowed when there is a number, unless refused.
- 配信停止 (the customer asked to stop everything) and an erasure override all.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from engine.customers.eligibility import dm_eligible_sql
from engine.dates import parse_day
from engine.errors import InvalidInputError, NotFoundError
from engine.imports.normalize import RELAY_EMAIL_DOMAINS
from engine.imports.reader import read_table
from engine.store.database import now_text
from engine.store.journal import Change
from engine.text import user_text

CHANNELS = ("email", "dm", "phone")
CHANNEL_LABELS = {"email": "メール", "dm": "DM", "phone": "電話"}
STATES = ("yes", "no", "unknown")
STATE_LABELS = {"yes": "同意あり", "no": "拒否", "unknown": "未確認"}
HAND_SOURCE = "手入力"

# Why a customer may not get advertising e-mail, in the order they are checked.
EMAIL_BLOCKS = {
    "erased": "個人情報を削除済み",
    "opted_out": "配信停止",
    "no_address": "メールアドレスなし",
    "relay": "モールの中継アドレス（楽天・Amazon）",
    "marketplace": "Amazonのみの購入（販促メール不可）",
    "refused": "メール拒否",
    "unknown": "メールの同意が未確認",
}
HISTORY_COLUMNS = ["recorded_on", "channel", "value", "source"]

_ANSWERS = {
    **dict.fromkeys(("yes", "y", "true", "1", "はい", "同意", "同意する", "あり", "希望する",
                     "受け取る", "○", "◯", "ok"), "yes"),
    **dict.fromkeys(("no", "n", "false", "0", "いいえ", "拒否", "同意しない", "なし",
                     "希望しない", "受け取らない", "×", "配信停止"), "no"),
}
_EMAIL_HEADERS = ("email", "e-mail", "mail", "メールアドレス", "メール", "eメール", "e-mailアドレス")
_CONSENT_HEADERS = ("consent", "同意", "メール同意", "配信同意", "メルマガ", "メールマガジン",
                    "accepts marketing", "accepts email marketing", "メルマガ購読")


def relay_sql(column: str) -> str:
    """SQL: the address in ``column`` is a marketplace's per-order relay address."""
    return "(" + " OR ".join(f"lower({column}) LIKE '%{domain}'"
                             for domain in RELAY_EMAIL_DOMAINS) + ")"


def _latest_sql(alias: str, channel: str, column: str) -> str:
    return (f"(SELECT {column} FROM consents k WHERE k.customer_id = {alias}.id "
            f"AND k.channel = '{channel}' ORDER BY k.recorded_on DESC, k.id DESC LIMIT 1)")


def _imported_email_sql(alias: str) -> tuple[str, str]:
    """The consent the newest order that gave one carries, and that order's date."""
    newest = (f"(SELECT {{}} FROM orders o WHERE o.customer_id = {alias}.id "
              "AND o.email_consent IS NOT NULL ORDER BY o.ordered_at DESC, o.id DESC LIMIT 1)")
    return (newest.format("CASE o.email_consent WHEN 1 THEN 'yes' ELSE 'no' END"),
            newest.format("substr(o.ordered_at, 1, 10)"))


def channel_state_sql(channel: str, alias: str = "c") -> str:
    """SQL for the recorded state ('yes' / 'no' / 'unknown') of one channel."""
    ledger = _latest_sql(alias, channel, "value")
    if channel != "email":
        return f"coalesce({ledger}, 'unknown')"
    imported, imported_on = _imported_email_sql(alias)
    ledger_on = _latest_sql(alias, channel, "recorded_on")
    return (f"(CASE WHEN {ledger_on} IS NULL THEN coalesce({imported}, 'unknown') "
            f"WHEN {imported_on} > {ledger_on} THEN {imported} ELSE {ledger} END)")


def email_block_sql(alias: str = "c") -> str:
    """SQL: '' when advertising e-mail may go to the customer, else the EMAIL_BLOCKS key."""
    p = f"{alias}."
    return (f"(CASE WHEN {p}erased_at IS NOT NULL OR {p}deleted_at IS NOT NULL THEN 'erased' "
            f"WHEN {p}dm_opt_out = 1 THEN 'opted_out' "
            f"WHEN {p}email NOT LIKE '%_@_%' THEN 'no_address' "
            f"WHEN {relay_sql(p + 'email')} THEN 'relay' "
            f"WHEN {p}dm_default = 0 THEN 'marketplace' "
            f"ELSE (CASE {channel_state_sql('email', alias)} WHEN 'yes' THEN '' "
            "WHEN 'no' THEN 'refused' ELSE 'unknown' END) END)")


def phone_ok_sql(alias: str = "c") -> str:
    """SQL: a marketing call is possible (a number, not refused, not marketplace-only)."""
    p = f"{alias}."
    return (f"({p}phone_digits != '' AND {p}dm_opt_out = 0 AND {p}dm_default = 1 "
            f"AND {p}erased_at IS NULL AND {p}deleted_at IS NULL "
            f"AND {channel_state_sql('phone', alias)} != 'no')")


def reachable_sql(alias: str = "c") -> str:
    """SQL columns email_ok, dm_ok, phone_ok (0/1) and email_block for ``customers``."""
    block = email_block_sql(alias)
    return (f"CASE WHEN {block} = '' THEN 1 ELSE 0 END AS email_ok, "
            f"CASE WHEN {dm_eligible_sql(alias)} THEN 1 ELSE 0 END AS dm_ok, "
            f"CASE WHEN {phone_ok_sql(alias)} THEN 1 ELSE 0 END AS phone_ok, "
            f"{block} AS email_block")


def parse_answer(value, where: str) -> str:
    """yes / no from the ways people write them (はい・いいえ・1・0・○・× …)."""
    text = user_text(value).lower()
    if text in STATES:
        return text
    if text in _ANSWERS:
        return _ANSWERS[text]
    raise InvalidInputError(f"{where}: 同意「{value}」が読み取れません。yes / no、はい / いいえ、"
                            "1 / 0 のいずれかにしてください。")


class ConsentService:
    def __init__(self, shop):
        self.shop = shop
        self.db = shop.db

    def state(self, customer_id: int) -> dict[str, dict]:
        """Per channel: the recorded ``value`` (yes/no/unknown), its ``recorded_on`` and
        ``source``; and for e-mail ``block`` (EMAIL_BLOCKS key or '')."""
        customer_id = int(customer_id)
        rows = self.db.query(
            f"SELECT {channel_state_sql('email')} AS email, {channel_state_sql('dm')} AS dm, "
            f"{channel_state_sql('phone')} AS phone, {email_block_sql()} AS block, "
            f"{reachable_sql()} FROM customers c WHERE c.id = ?", (customer_id,))
        if not rows:
            raise NotFoundError(f"顧客番号 {customer_id} は見つかりません。")
        row = rows[0]
        latest = {r["channel"]: r for r in self.db.query(
            "SELECT channel, recorded_on, source FROM consents WHERE customer_id = ? "
            "ORDER BY recorded_on, id", (customer_id,))}
        imported_on = self.db.scalar(
            "SELECT substr(max(ordered_at), 1, 10) FROM orders WHERE customer_id = ? "
            "AND email_consent IS NOT NULL", (customer_id,))
        result = {}
        for channel in CHANNELS:
            entry = latest.get(channel)
            recorded_on, source = (entry["recorded_on"], entry["source"]) if entry else ("", "")
            if channel == "email" and imported_on and imported_on > (recorded_on or ""):
                recorded_on, source = imported_on, "注文データの取込"
            result[channel] = {"value": row[channel], "recorded_on": recorded_on,
                               "source": source, "allowed": bool(row[f"{channel}_ok"])}
        result["email"]["block"] = row["block"]
        return result

    def history(self, customer_id: int) -> pd.DataFrame:
        """Every ledger row of the customer, newest first (HISTORY_COLUMNS)."""
        return self.db.frame(
            "SELECT recorded_on, channel, value, source FROM consents WHERE customer_id = ? "
            "ORDER BY recorded_on DESC, id DESC", (int(customer_id),))

    def set(self, customer_id: int, *, email: str | None = None, dm: str | None = None,
            phone: str | None = None, source: str = HAND_SOURCE,
            on: date | str | None = None) -> Change:
        """Record the given channels' answers (yes / no / unknown) as one undoable
        operation. DM also sets the hand DM setting every DM list follows."""
        customer_id = int(customer_id)
        answers = {channel: parse_answer(value, CHANNEL_LABELS[channel])
                   for channel, value in (("email", email), ("dm", dm), ("phone", phone))
                   if value is not None}
        if not answers:
            raise InvalidInputError("記録する同意（メール・DM・電話のどれか）を指定してください。")
        if not self.db.scalar("SELECT count(*) FROM customers WHERE id = ? AND deleted_at IS NULL",
                              (customer_id,)):
            raise NotFoundError(f"顧客番号 {customer_id} は見つかりません。")
        day = parse_day(on, "記録日").isoformat()
        source = user_text(source) or HAND_SOURCE
        label = "、".join(f"{CHANNEL_LABELS[c]}: {STATE_LABELS[v]}" for c, v in answers.items())
        with self.shop.journal.operation("consent", f"同意の記録（顧客 {customer_id}・{label}）") as op:
            self._record(self.db.conn, [(customer_id, c, v) for c, v in answers.items()],
                         day, source)
        return Change(op.id, counts={"customers": 1})

    @staticmethod
    def _record(conn, rows: list[tuple[int, str, str]], day: str, source: str) -> None:
        created = now_text()
        conn.executemany(
            "INSERT INTO consents (customer_id, channel, value, recorded_on, source, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)", [(i, c, v, day, source, created) for i, c, v in rows])
        dm = [(None if v == "unknown" else int(v == "yes"), i) for i, c, v in rows if c == "dm"]
        conn.executemany("UPDATE customers SET dm_manual = ? WHERE id = ?", dm)

    def import_list(self, path: Path | str, source: str | None = None,
                    on: date | str | None = None) -> Change:
        """A subscriber list (CSV in UTF-8 or cp932, or .xlsx): each row sets the e-mail
        consent of the customers with that address. One undoable operation; a bad
        answer stops it naming the file, row and column, with nothing recorded.
        ``counts``: rows read, customers recorded, addresses not found."""
        path = Path(path)
        table = read_table(path)
        email_col = _find(table.headers, _EMAIL_HEADERS)
        consent_col = _find(table.headers, _CONSENT_HEADERS)
        if email_col is None or consent_col is None:
            missing = "メールアドレスの列（email / メールアドレス）" if email_col is None \
                else "同意の列（consent / 同意）"
            raise InvalidInputError(f"{path.name}: {missing}が見つかりません。見出しの行に"
                                    f"入れてください（いまの見出し: {'、'.join(table.headers)}）。")
        frame = table.frame
        answers = []
        for row, address, value in zip(table.rows, frame[email_col], frame[consent_col]):
            address = user_text(address).replace(" ", "").lower()
            if not address and not user_text(value):
                continue
            answer = parse_answer(value, f"{path.name} {row}行目「{consent_col}」列")
            if "@" not in address:
                raise InvalidInputError(f"{path.name} {row}行目「{email_col}」列: "
                                        f"メールアドレス「{address}」が正しくありません。")
            answers.append((address, answer))
        latest = dict(answers)    # a later row for the same address wins
        conn = self.db.conn
        by_email, emails = self.db.dialect.in_list("lower(c.email)", latest)
        by_key, keys = self.db.dialect.in_list("k.key", [f"e|{a}" for a in latest])
        matched = self.db.frame(
            "SELECT lower(c.email) AS address, c.id AS customer_id FROM customers c "
            f"WHERE c.deleted_at IS NULL AND c.erased_at IS NULL AND {by_email} UNION "
            "SELECT substr(k.key, 3), k.customer_id FROM identity_keys k "
            "JOIN customers c ON c.id = k.customer_id AND c.deleted_at IS NULL "
            f"AND c.erased_at IS NULL WHERE {by_key}", (emails, keys))
        matched = matched.drop_duplicates("customer_id")
        rows = [(int(i), "email", latest[a]) for a, i in zip(matched["address"],
                                                             matched["customer_id"])]
        day = parse_day(on, "記録日").isoformat()
        source = user_text(source) or f"リスト取込: {path.name}"
        with self.shop.journal.operation("consent", f"メール同意リストの取込（{path.name}）") as op:
            self._record(conn, rows, day, source)
        unmatched = len(set(latest) - set(matched["address"]))
        return Change(op.id, counts={"rows": len(answers), "customers": len(rows),
                                     "unmatched": unmatched})


def _find(headers: list[str], names: tuple[str, ...]) -> str | None:
    folded = {user_text(h).lower().replace("_", " "): h for h in headers}
    return next((folded[n] for n in names if n in folded), None)
