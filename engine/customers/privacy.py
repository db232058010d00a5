"""Erasing a customer's personal data on request (個人情報保護法) and retention purges.

Erasure is not undoable, on purpose. Exactly the erased people's own data goes
(engine/store/redaction.py): their contact fields in the customer row and in the
orders copied from the exports, their identity keys, what was written about them
(notes, contact results, survey answers) and the undo journal's images of all of
it; another customer who shares their name keeps everything. The orders stay —
amounts, dates, products — under the anonymous customer, so sales figures and KPIs
do not change. Every backup the app keeps is redacted the same way, and the
erasure is recorded (as ids) in a ledger beside the database that is applied again
after any restore. secure_delete overwrites the freed bytes, and the WAL is
checkpointed so none of it stays in the database's files; if another program's
read prevents that, the report says what remains and when it goes.

In a shop on a PostgreSQL server the same statements blank the same rows and
journal images for every desktop at once; the ledger is the shop's own
``erasures`` setting (written in the erasure's transaction, kept through every
restore), and the backups on this PC, all taken before, are deleted.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from engine.dates import parse_day
from engine.errors import InvalidInputError, NotFoundError, OtokuiError
from engine.progress import Progress, wrap_callback
from engine.store.redaction import ERASED_NAME, covered_ids, record_erasure, redact

# What an erasure's change notice says (gui/server_link.py acts on it).
ERASURE_NOTICE = "erasure"

RETENTION_SETTING = "retention_years"
# What the user confirms: "顧客ID 12 の" + this.
ERASURE_NOTICE = ("個人情報を削除します。元に戻せません。保存しているバックアップからも削除され、"
                  "以前のバックアップを復元しても戻りません（注文の金額・日付は残ります）。")

__all__ = ["ERASED_NAME", "ERASURE_NOTICE", "ErasureReport", "PrivacyService"]


@dataclass(frozen=True)
class ErasureReport:
    """What an erasure did: customers erased, backups redacted, and what (if
    anything) is still in a file and when it goes."""
    customers: int
    backups: int
    pending: str = ""

    def summary(self) -> str:
        text = f"{self.customers}人の個人情報を削除しました（注文の金額・日付は残しています）。"
        if self.backups:
            text += f"バックアップ {self.backups}件からも削除しました。"
        return text + (f"\n{self.pending}" if self.pending else "")


class PrivacyService:
    """``shop.privacy``: deletion on request and the retention purge."""

    def __init__(self, shop):
        self.shop = shop
        self.db = shop.db

    def delete_customer(self, customer_id: int, progress: Progress | None = None) -> ErasureReport:
        """Erase one customer's personal data everywhere, keeping anonymous order figures."""
        row = self.db.query("SELECT id, erased_at FROM customers WHERE id = ?", (customer_id,))
        if not row:
            raise NotFoundError(f"顧客ID {customer_id} のお客様が見つかりません。")
        if row[0]["erased_at"] is not None:
            raise OtokuiError(f"顧客ID {customer_id} の個人情報はすでに削除されています。")
        return self._erase([int(customer_id)], progress)

    def retention_years(self) -> int | None:
        """Years of inactivity after which the purge erases a customer (None = never)."""
        return self.shop.settings.get(RETENTION_SETTING)

    def set_retention_years(self, years: int | None) -> None:
        if years is not None and (not isinstance(years, int) or years < 1):
            raise InvalidInputError("保存期間は1年以上の整数で指定してください。")
        self.shop.settings.set(RETENTION_SETTING, years)

    def inactive_customers(self, years: int, as_of=None) -> list[int]:
        """Customers not yet erased whose last order (or, without orders, whose record)
        is more than ``years`` years before ``as_of`` (default today)."""
        if not isinstance(years, int) or years < 1:
            raise InvalidInputError("保存期間は1年以上の整数で指定してください。")
        cutoff = _years_before(parse_day(as_of), years).isoformat()
        rows = self.db.execute(
            "SELECT c.id FROM customers c LEFT JOIN orders o ON o.customer_id = c.id "
            "WHERE c.erased_at IS NULL GROUP BY c.id "
            "HAVING coalesce(max(o.order_date), substr(c.created_at, 1, 10)) < ? ORDER BY c.id",
            (cutoff,)).fetchall()
        return [r[0] for r in rows]

    def purge_inactive(self, years: int | None = None, as_of=None,
                       progress: Progress | None = None) -> int:
        """Erase every customer inactive for ``years`` (default: the retention setting);
        returns how many were erased."""
        years = self.retention_years() if years is None else years
        if years is None:
            raise InvalidInputError("保存期間が設定されていません。年数を指定してください。")
        ids = self.inactive_customers(years, as_of)
        if ids:
            self._erase(ids, progress)
        return len(ids)

    def _erase(self, ids: list[int], progress: Progress | None) -> ErasureReport:
        conn, dialect = self.db.conn, self.db.dialect
        # Freed bytes are overwritten with zeros while the erasure writes.
        dialect.overwrite_freed(conn, True)
        try:
            with self.db.transaction():
                erasure = covered_ids(conn, ids, dialect)
                record_erasure(self.db, erasure)
                redact(conn, erasure, dialect)
                # The other desktops delete their copies of the server shop's backups.
                self.db.announce(ERASURE_NOTICE)
        finally:
            dialect.overwrite_freed(conn, False)
        self._clear_temp_tables()
        pending = self._checkpoint()
        redacted, deleted = self.shop.backups.redact(erasure, wrap_callback(progress, 0.1, 1.0))
        if deleted:
            pending = (f"{pending}\n" if pending else "") + (
                f"書き換えられなかったバックアップ {deleted}件は、削除した方の情報を残さないよう"
                "削除しました。")
        return ErasureReport(len(ids), redacted, pending)

    def _checkpoint(self) -> str:
        """Move the erasure into the database file and empty the WAL, which still
        holds earlier page images; '' when done, else what remains."""
        if self.db.path is None:
            return ""
        busy = self.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        if not busy:
            return ""
        return ("別のプログラム（もう1つのOtokuiなど）がデータベースを読み込み中のため、"
                "削除前の内容がデータベースの一時ファイル（-wal）に残っています。"
                "そのプログラムを閉じると消えます。")

    def _clear_temp_tables(self) -> None:
        """Import staging tables keep the last file's keys (emails, phones) in memory."""
        conn, dialect = self.db.conn, self.db.dialect
        tables = dialect.temp_tables(conn)
        if tables:
            with self.db.scratch():
                for name in tables:
                    conn.execute(f"DELETE FROM {dialect.temp(name)}")


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)
