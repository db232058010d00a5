"""The contact log (接触履歴): every follow-up done, DM printed and insert packed,
per customer, so a customer's history shows what was sent when."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from engine.dates import parse_day
from engine.errors import InvalidInputError, NotFoundError
from engine.store.database import now_text
from engine.text import user_text

MEDIA = ("email", "insert", "dm", "phone")
MEDIUM_LABELS = {"email": "メール", "insert": "同梱物", "dm": "DM", "phone": "電話"}
HISTORY_COLUMNS = ["date", "medium", "action", "result", "source", "staff"]


def check_medium(medium: str) -> str:
    """The medium code, or an OtokuiError naming the allowed ones."""
    if medium not in MEDIA:
        allowed = "、".join(f"{code}（{label}）" for code, label in MEDIUM_LABELS.items())
        raise InvalidInputError(f"接触の手段「{medium}」は使えません。{allowed} のいずれかを指定してください。")
    return medium


class TouchLog:
    def __init__(self, shop):
        self.shop = shop
        self.db = shop.db

    def record(self, customer_ids, medium: str, action: str, on: date | str | None = None,
               source: str = "", result: str = "") -> int:
        """Log one touch per customer (one transaction), naming this desktop's staff;
        returns how many were logged.

        Runs inside the caller's journal operation when there is one, so e.g. a
        follow-up check-off and its touch are undone together.
        """
        check_medium(medium)
        day = parse_day(on, "接触日").isoformat()
        ids = np.unique(np.asarray(list(customer_ids), dtype="int64"))
        if not len(ids):
            return 0
        action, result = user_text(action), user_text(result)
        with self.db.transaction() as conn:
            missing = self._missing(conn, ids)
            if missing:
                raise NotFoundError(f"顧客番号 {missing[0]} は見つかりません。")
            created = now_text()
            conn.executemany(
                "INSERT INTO touches (customer_id, touched_on, medium, action, result, source,"
                " created_at, staff) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                ((int(i), day, medium, action, result, source, created, self.shop.staff)
                 for i in ids))
        return len(ids)

    def _missing(self, conn, ids: np.ndarray) -> list[int]:
        staged, params = self.db.dialect.staged_ids(conn, "stage_touch", ids.tolist())
        return [r[0] for r in conn.execute(
            f"SELECT value FROM {staged} AS staged WHERE value NOT IN "
            "(SELECT id FROM customers WHERE deleted_at IS NULL) ORDER BY value", params)]

    def for_customer(self, customer_id: int) -> pd.DataFrame:
        """The customer's touches, newest first: date, medium, action, result, source
        and the staff member who recorded it ('' before names were recorded)."""
        return self.db.frame(
            "SELECT touched_on AS date, medium, action, result, source,"
            " coalesce(staff, '') AS staff FROM touches "
            "WHERE customer_id = ? ORDER BY touched_on DESC, id DESC",
            (int(customer_id),))[HISTORY_COLUMNS]
