"""Erasing a customer's personal data on request (個人情報保護法) and retention purges.

Erasure is not undoable, on purpose: the personal fields are blanked in the
customer row, in every order copied from the exports, in the identity keys, in
the undo journal's before-images and in free text (contact results, survey
answers, operation labels); then the file is vacuumed with secure_delete on so the
bytes are gone from the database file too. The orders themselves stay — amounts,
dates, products — under the anonymous customer, so sales figures and KPIs do not
change. Backups made before the erasure still hold the data until rotation
removes them.
"""
from __future__ import annotations

from datetime import date

from engine.dates import parse_day
from engine.errors import InvalidInputError, NotFoundError, OtokuiError
from engine.store.database import now_text
from engine.store.schema import ORDER_PERSONAL_FIELDS, PERSONAL_FIELDS, blank_sql

ERASED_NAME = "（削除済みの顧客）"
RETENTION_SETTING = "retention_years"
# Tables the sweep skips: those cleared by customer id, and those that never hold
# personal data. Every other text column is searched for the erased customer's
# details (single erasures only).
_HANDLED_TABLES = {"customers", "orders", "order_lines", "products", "identity_keys",
                   "sqlite_sequence"}
# Shorter values ("林", "1-2") would also match unrelated text.
_MIN_SWEEP_LENGTH = 4


def _jsonblank_sql(fields) -> str:
    return "json_set(before, " + ", ".join(f"'$.{f}', ''" for f in fields) + ")"


class PrivacyService:
    """``shop.privacy``: deletion on request and the retention purge."""

    def __init__(self, shop):
        self.shop = shop
        self.db = shop.db

    def delete_customer(self, customer_id: int) -> None:
        """Erase one customer's personal data everywhere, keeping anonymous order figures."""
        row = self.db.query("SELECT id, erased_at FROM customers WHERE id = ?", (customer_id,))
        if not row:
            raise NotFoundError(f"顧客ID {customer_id} のお客様が見つかりません。")
        if row[0]["erased_at"] is not None:
            raise OtokuiError(f"顧客ID {customer_id} の個人情報はすでに削除されています。")
        self._erase([int(customer_id)], sweep=True)

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

    def purge_inactive(self, years: int | None = None, as_of=None) -> int:
        """Erase every customer inactive for ``years`` (default: the retention setting);
        returns how many were erased."""
        years = self.retention_years() if years is None else years
        if years is None:
            raise InvalidInputError("保存期間が設定されていません。年数を指定してください。")
        ids = self.inactive_customers(years, as_of)
        if ids:
            self._erase(ids, sweep=False)
        return len(ids)

    def _erase(self, ids: list[int], sweep: bool) -> None:
        conn = self.db.conn
        with self.db.lock:
            conn.execute("PRAGMA secure_delete = ON")
            with self.db.transaction():
                conn.execute("CREATE TEMP TABLE IF NOT EXISTS erase_ids (id INTEGER PRIMARY KEY)")
                conn.execute("DELETE FROM temp.erase_ids")
                conn.executemany("INSERT OR IGNORE INTO temp.erase_ids VALUES (?)",
                                 ((i,) for i in ids))
                # Customers folded into these by a merge live on in journal before-images.
                conn.execute(
                    "WITH RECURSIVE folded(id) AS (SELECT id FROM temp.erase_ids UNION "
                    "SELECT m.merged_id FROM customer_merges m JOIN folded f ON m.kept_id = f.id) "
                    "INSERT OR IGNORE INTO temp.erase_ids SELECT id FROM folded")
                values = self._personal_values() if sweep else []
                self._clear_rows()
                if values:
                    self._sweep(values)
                conn.execute("DELETE FROM temp.erase_ids")
            self._clear_temp_tables()
            # Rewrite the file without the freed pages, then empty the WAL, which
            # still holds earlier page images.
            conn.execute("VACUUM")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _personal_values(self) -> list[str]:
        """Every distinct personal value of the customers being erased, longest first."""
        fields = ", ".join(PERSONAL_FIELDS)
        json_fields = ", ".join(f"json_extract(before, '$.{f}')" for f in PERSONAL_FIELDS)
        rows = self.db.conn.execute(
            f"SELECT {fields}, '' FROM customers WHERE id IN (SELECT id FROM temp.erase_ids) "
            f"UNION SELECT {fields}, member_id FROM orders "
            "WHERE customer_id IN (SELECT id FROM temp.erase_ids) "
            f"UNION SELECT {json_fields}, '' FROM journal WHERE tbl = 'customers' "
            "AND row_id IN (SELECT id FROM temp.erase_ids)").fetchall()
        values = {str(v).strip() for row in rows for v in row if v is not None}
        return sorted((v for v in values if len(v) >= _MIN_SWEEP_LENGTH and v != ERASED_NAME),
                      key=len, reverse=True)

    def _clear_rows(self) -> None:
        conn = self.db.conn
        ids = "(SELECT id FROM temp.erase_ids)"
        order_ids = f"(SELECT id FROM orders WHERE customer_id IN {ids})"
        conn.execute(
            f"UPDATE customers SET {blank_sql(PERSONAL_FIELDS[1:])}, name = ?, notes = '', "
            f"dm_opt_out = 1, dm_manual = 0, erased_at = ? WHERE id IN {ids}",
            (ERASED_NAME, now_text()))
        conn.execute(f"UPDATE orders SET {blank_sql(ORDER_PERSONAL_FIELDS)} WHERE customer_id IN {ids}")
        conn.execute(f"DELETE FROM identity_keys WHERE customer_id IN {ids}")
        conn.execute(f"UPDATE touches SET result = '' WHERE customer_id IN {ids}")
        conn.execute(f"UPDATE followup_tasks SET result = '' WHERE customer_id IN {ids}")
        conn.execute(
            "UPDATE survey_answers SET text = '' WHERE response_id IN "
            f"(SELECT id FROM survey_responses WHERE customer_id IN {ids})")
        conn.execute(
            f"UPDATE journal SET before = {_jsonblank_sql(PERSONAL_FIELDS + ('notes',))} "
            f"WHERE tbl = 'customers' AND row_id IN {ids}")
        conn.execute(
            f"UPDATE journal SET before = {_jsonblank_sql(ORDER_PERSONAL_FIELDS)} "
            f"WHERE tbl = 'orders' AND row_id IN {order_ids}")
        conn.execute(
            "UPDATE journal SET before = json_set(before, '$.key', '') WHERE tbl = "
            f"'identity_keys' AND json_extract(before, '$.customer_id') IN {ids}")
        for table, column in (("touches", "result"), ("followup_tasks", "result")):
            conn.execute(
                f"UPDATE journal SET before = json_set(before, '$.{column}', '') WHERE tbl = "
                f"'{table}' AND json_extract(before, '$.customer_id') IN {ids}")
        conn.execute(
            "UPDATE journal SET before = json_set(before, '$.text', '') WHERE tbl = "
            "'survey_answers' AND json_extract(before, '$.response_id') IN "
            f"(SELECT id FROM survey_responses WHERE customer_id IN {ids})")

    def _sweep(self, values: list[str]) -> None:
        """Blank the erased customer's details wherever else they were written."""
        conn = self.db.conn
        for table in self.db.utils.tables:
            if table.name in _HANDLED_TABLES:
                continue
            columns = [c.name for c in table.columns if c.type.upper() in ("TEXT", "")]
            table = table.name
            for column in columns:
                for value in values:
                    conn.execute(f"UPDATE {table} SET {column} = replace({column}, ?, '') "
                                 f"WHERE instr({column}, ?) > 0", (value, value))

    def _clear_temp_tables(self) -> None:
        """Import staging tables keep the last file's keys (emails, phones) in memory."""
        conn = self.db.conn
        for (name,) in conn.execute(
                "SELECT name FROM sqlite_temp_master WHERE type = 'table'").fetchall():
            conn.execute(f"DELETE FROM temp.{name}")


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)
