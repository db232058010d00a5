"""Count program (回数フォロー): which insert goes into each parcel (SPEC §3).

The shop keeps one insert per purchase number (1st, 2nd, 3rd, 5th, 10th … by
default, from resources/count_program/default_rules.json). A purchase number
without its own rule gets no special insert: a milestone insert only makes sense
at its milestone (a "welcome" leaflet in the 4th parcel would be wrong), and the
shop adds a rule for every number it wants covered.

The rules live in a journaled table, so every save is undoable. A new database
gets the default rules once, outside any operation (a fresh shop starts there;
nothing to undo).

A purchase number may have a second insert (``insert_b``) to test which works
better (A/B): each customer gets one of the two at random, the same one every
time that number comes round for them (a hash of a seed the shop keeps and the
customer), and effects.insert_ab compares who ordered again after each.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from engine.analysis.order_history import PURCHASE_NUMBER
from engine.errors import InvalidInputError
from engine.imports.order_frame import build_batch
from engine.imports.reader import read_table
from engine.marketing.holdout import draws, new_seed
from engine.progress import Cancel, Progress, check_cancel, reporter, wrap_callback
from engine.resources import read_json
from engine.store.journal import Change
from engine.text import user_text

PLAN_COLUMNS = ["source", "order_no", "order_date", "customer_id", "name", "postal_code",
                "address", "purchase_number", "insert_name", "count_insert", "task_ids"]
PLAN_LABELS = {
    "source": "販路", "order_no": "注文番号", "order_date": "注文日", "customer_id": "顧客番号",
    "name": "氏名", "postal_code": "郵便番号", "address": "住所", "purchase_number": "購入回数",
    "insert_name": "同梱物"}
RULE_KEYS = ("purchase_number", "insert_name", "note", "insert_b")
_SEEDED = "count_program.seeded"
_AB_SEED = "count_program.ab_seed"
_DEFAULT_INSERT = "count_program.default_insert"


def default_rules() -> list[dict]:
    """The bundled rules, lowest purchase number first."""
    return _validated(read_json("count_program", "default_rules.json"))


def _validated(rules: Sequence[dict]) -> list[dict]:
    """Rules as clean dicts sorted by purchase number; a Japanese error names the bad row."""
    clean, seen = [], set()
    for row, rule in enumerate(rules, start=1):
        number = rule.get("purchase_number")
        try:
            number = int(str(number).strip())
        except ValueError:
            number = 0
        if number < 1:
            raise InvalidInputError(f"回数フォロー {row}行目: 購入回数は1以上の整数で指定してください"
                              f"（「{rule.get('purchase_number')}」）。")
        if number in seen:
            raise InvalidInputError(f"回数フォロー {row}行目: {number}回目の同梱物がほかの行と重複しています。")
        name = user_text(rule.get("insert_name"))
        if not name:
            raise InvalidInputError(f"回数フォロー {row}行目: {number}回目の同梱物の名前が空です。")
        variant = user_text(rule.get("insert_b"))
        if variant == name:
            raise InvalidInputError(f"回数フォロー {row}行目: {number}回目の同梱物Bが同梱物Aと同じです。"
                                    "比べる別の同梱物を入れるか、空欄にしてください。")
        seen.add(number)
        clean.append({"purchase_number": number, "insert_name": name,
                      "note": user_text(rule.get("note")), "insert_b": variant})
    return sorted(clean, key=lambda r: r["purchase_number"])


class CountProgramService:
    def __init__(self, shop):
        self.shop = shop
        self.db = shop.db

    def _seed(self) -> None:
        if self.shop.settings.get(_SEEDED, False):
            return
        with self.db.transaction() as conn:
            self._insert(conn, default_rules())
            self.shop.settings.set(_SEEDED, True)

    @staticmethod
    def _insert(conn, rules: list[dict]) -> None:
        conn.executemany(
            "INSERT INTO count_program_rules (purchase_number, insert_name, note, insert_b)"
            " VALUES (?, ?, ?, ?)", [tuple(r.get(k, "") for k in RULE_KEYS) for r in rules])

    def rules(self) -> list[dict]:
        """[{purchase_number, insert_name, note, insert_b}], lowest purchase number
        first (insert_b '' when the number has no second insert to compare)."""
        self._seed()
        return self.db.query(
            "SELECT purchase_number, insert_name, note, insert_b FROM count_program_rules "
            "ORDER BY purchase_number")

    def save_rules(self, rules: Sequence[dict]) -> Change:
        """Replace all rules as one undoable operation."""
        clean = _validated(rules)
        self._seed()
        with self.shop.journal.operation("count_program", "回数フォローの同梱物を変更") as op:
            self.db.conn.execute("DELETE FROM count_program_rules")
            self._insert(self.db.conn, clean)
        return Change(op.id)

    def reset_rules(self) -> Change:
        """Back to the bundled defaults (undoable)."""
        return self.save_rules(default_rules())

    def default_insert(self) -> str:
        """The insert for a purchase number without a rule of its own ('' for none)."""
        return self.shop.settings.get(_DEFAULT_INSERT) or ""

    def set_default_insert(self, name: str) -> None:
        self.shop.settings.set(_DEFAULT_INSERT, user_text(name))

    def plan(self, files: Sequence[Path | str], progress: Progress | None = None,
             cancel: Cancel | None = None) -> pd.DataFrame:
        """Import the new-order export ``files`` (files imported before are left as
        they are) and return, for each valid order in them, in file order, the
        customer's purchase number and the insert for it (PLAN_COLUMNS;
        insert_name '' when the number has no rule).

        Every file is read and checked before any is imported, so one bad file
        leaves the database unchanged.
        """
        report = reporter(progress)
        paths = [Path(f) for f in files]
        if not paths:
            raise InvalidInputError("注文データのファイルを指定してください。")
        keys = []
        for position, path in enumerate(paths):
            check_cancel(cancel)
            report(0.3 * position / len(paths), f"{path.name} を確認しています")
            table = read_table(path)
            preset = self.shop.imports.preset_for(path, table.headers)
            batch = build_batch(path, table, preset)
            keys += [(position, preset.name, order_no) for order_no in batch.orders.index]
        for position, path in enumerate(paths):
            start = 0.3 + 0.6 * position / len(paths)
            self.shop.imports.import_file(
                path, progress=wrap_callback(report, start, start + 0.6 / len(paths)),
                cancel=cancel)
        report(0.9, "購入回数を数えています")
        return self._numbered(keys)

    def _numbered(self, keys: list[tuple[int, str, str]]) -> pd.DataFrame:
        rules = self.rules()
        conn, dialect = self.db.conn, self.db.dialect
        staged, params = dialect.staged_rows(
            conn, "plan_orders", {"position": "INTEGER", "source": "TEXT", "order_no": "TEXT"},
            keys)
        frame = self.db.frame(
            f"""
            SELECT o.source, o.order_no, o.order_date, o.customer_id,
                   coalesce(nullif(o.name, ''), c.name) AS name,
                   coalesce(nullif(o.postal_code, ''), c.postal_code) AS postal_code,
                   CASE WHEN o.address1 != '' OR o.address2 != ''
                        THEN trim(o.address1 || ' ' || o.address2)
                        ELSE trim(c.address1 || ' ' || c.address2) END AS address,
                   {PURCHASE_NUMBER} AS purchase_number
            FROM {staged} k
            JOIN orders o ON o.source = k.source AND o.order_no = k.order_no
            JOIN customers c ON c.id = o.customer_id
            WHERE o.status = 'valid'
            ORDER BY k.position, o.ordered_at, o.id
            """, params)
        dialect.drop_staged(conn, "plan_orders")
        frame["count_insert"] = self._inserts(frame, rules)
        frame = self._with_followup_inserts(frame)
        return frame[PLAN_COLUMNS]

    def _ab_seed(self) -> int:
        seed = self.shop.settings.get(_AB_SEED)
        if seed is None:
            seed = new_seed()
            self.shop.settings.set(_AB_SEED, seed)
        return int(seed)

    def _inserts(self, frame: pd.DataFrame, rules: list[dict]) -> pd.Series:
        """Each order's count-program insert: its number's (A or, for half the
        customers of a number with two, B), else the default insert."""
        number = frame["purchase_number"]
        a = number.map({r["purchase_number"]: r["insert_name"] for r in rules}).astype(object)
        b = number.map({r["purchase_number"]: r["insert_b"] for r in rules if r["insert_b"]})
        if b.notna().any():
            keys = frame["customer_id"].to_numpy(np.int64) * 4096 + number.to_numpy(np.int64)
            a = a.mask(b.notna() & (draws(self._ab_seed(), keys) >= 0.5), b)
        return a.where(a.notna(), self.default_insert())

    def _with_followup_inserts(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Open 同梱物 follow-up tasks ride in the customer's next parcel: each goes
        into the first order of the batch of its customer (``task_ids``), named
        after the count-program insert in ``insert_name``."""
        listed, param = self.db.dialect.in_list("customer_id", frame["customer_id"].unique())
        tasks = self.db.frame(
            "SELECT id, customer_id, action FROM followup_tasks WHERE medium = 'insert' "
            f"AND status = 'open' AND {listed} ORDER BY due_date, id", (param,))
        first = ~frame["customer_id"].duplicated()
        grouped = tasks.groupby("customer_id").agg(
            actions=("action", "、".join), ids=("id", lambda ids: ",".join(map(str, ids))))
        def riding(column: str) -> pd.Series:
            values = frame["customer_id"].map(grouped[column]).astype(object)
            return values.where(first & values.notna(), "")
        carried = riding("actions")
        frame["task_ids"] = riding("ids")
        both = (frame["count_insert"] != "") & (carried != "")
        frame["insert_name"] = (frame["count_insert"] + np.where(both, "、", "") + carried)
        return frame
