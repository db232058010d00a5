"""Products and their usage cycles (消費サイクル), and the usage-cycle targets
(SPEC §3 A): who is due or overdue to buy again."""
from __future__ import annotations

import re
import unicodedata
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from engine.analysis.repurchase import (MIN_PAIR_CUSTOMERS, cycle_status, learned_cycles,
                                       next_pairs, product_names, purchases, together_pairs)
from engine.dates import parse_day
from engine.errors import BadFileError, InvalidInputError, NotFoundError
from engine.imports import normalize
from engine.imports.detection import order_columns
from engine.imports.reader import peek_headers, read_table
from engine.progress import check_cancel, reporter
from engine.store.figures import figures_current
from engine.store.journal import Change

PRODUCT_COLUMNS = ["code", "name", "cycle_days", "customers", "last_sold"]
DUE_COLUMNS = ["customer_id", "name", "product_code", "product_name", "cycle_days",
               "last_purchase", "recency_days", "state"]
SUGGEST_COLUMNS = ["product_code", "product_name", "suggested_cycle_days", "repurchases",
                   "buyers", "reorder_share", "current_cycle_days"]
MAX_CYCLE_DAYS = 3650
# Sets a product's usage cycle, making a product of a code seen only in order lines.
_UPSERT_CYCLE = ("INSERT INTO products (code, name, cycle_days) VALUES (?, ?, ?) "
                 "ON CONFLICT(code) DO UPDATE SET cycle_days = excluded.cycle_days")
# Overdue beyond 1.5 × cycle, compared in integers: 2·R > 3·cycle.
OVERDUE_NUMERATOR, OVERDUE_DENOMINATOR = 3, 2
# Header names a product list may use, compared after NFKC, without spaces,
# bracketed units like "(日)" and case.
CODE_HEADERS = ("商品コード", "商品番号", "商品管理番号", "商品id", "品番", "型番", "sku", "code")
NAME_HEADERS = ("商品名", "品名", "商品名称", "name")
CYCLE_HEADERS = ("消費サイクル", "消費サイクル日数", "使用サイクル", "使用サイクル日数", "サイクル",
                 "サイクル日数", "消費日数", "使用日数", "cycle", "cycle_days", "cycledays")


def _header_key(header: str) -> str:
    text = unicodedata.normalize("NFKC", str(header))
    return re.sub(r"\s|\(.*?\)", "", text).lower()


def _find(headers: list[str], candidates: tuple[str, ...]) -> str | None:
    keys = {_header_key(h): h for h in reversed(headers)}
    return next((keys[c] for c in candidates if c in keys), None)


def list_columns(headers: list[str]) -> tuple[str | None, str | None, str | None]:
    """A product list's code, usage-cycle and name columns in this header row (None
    for each it lacks)."""
    return (_find(headers, CODE_HEADERS), _find(headers, CYCLE_HEADERS),
            _find(headers, NAME_HEADERS))


class ProductService:
    def __init__(self, shop):
        self.shop = shop
        self.db = shop.db

    def table(self) -> pd.DataFrame:
        """Every product by code: name, usage cycle (None = none), how many customers
        bought it and when it last sold (valid orders)."""
        frame = self.db.frame(
            "SELECT p.code, p.name, p.cycle_days, count(DISTINCT o.customer_id) AS customers,"
            " max(o.order_date) AS last_sold FROM products p"
            " LEFT JOIN order_lines l ON l.product_code = p.code"
            " LEFT JOIN orders o ON o.id = l.order_id AND o.status = 'valid'"
            " GROUP BY p.id ORDER BY p.code")
        frame["cycle_days"] = frame["cycle_days"].astype("Int64")
        return frame[PRODUCT_COLUMNS]

    def set_cycle(self, code: str, days: int | None) -> Change:
        """Set (or clear with None) one product's usage cycle, undoably. A code seen only
        in order lines becomes a product."""
        code = str(code).strip()
        cycle = self._check_cycle(days)
        name = self.db.scalar(
            "SELECT coalesce((SELECT name FROM products WHERE code = ?),"
            " (SELECT product_name FROM order_lines WHERE product_code = ? LIMIT 1))",
            (code, code))
        if not code or name is None:
            raise NotFoundError(f"商品コード「{code}」の商品は見つかりません。")
        label = f"消費サイクルの変更（{code}: {cycle if cycle is not None else 'なし'}）"
        with self.shop.journal.operation("products", label) as op:
            self.db.conn.execute(_UPSERT_CYCLE, (code, name, cycle))
        return Change(op.id)

    @staticmethod
    def _check_cycle(days) -> int | None:
        if days is None or (isinstance(days, str) and not days.strip()):
            return None
        text = unicodedata.normalize("NFKC", str(days)).strip().removesuffix("日").strip()
        if not re.fullmatch(r"\d+", text) or not 1 <= int(text) <= MAX_CYCLE_DAYS:
            raise InvalidInputError(
                f"消費サイクル「{days}」は日数（1〜{MAX_CYCLE_DAYS}の整数）で指定してください。")
        return int(text)

    def is_product_list(self, path: Path | str) -> bool:
        """Whether the file (CSV/TSV in any encoding the importer reads, or xlsx) is a
        product list for :meth:`import_cycles` rather than an order export: it has
        a product code and a usage-cycle column (the headers import_cycles reads)
        and no column any import format reads as an order number, order date or
        buyer. Judged from the header row alone; False when that cannot be read."""
        headers = peek_headers(path)
        if not headers:
            return False
        code, cycle, name = list_columns(headers)
        if code is None or cycle is None:
            return False
        return not order_columns(self.shop.formats.presets(), headers) - {code, cycle, name}

    def import_cycles(self, path: Path | str, progress=None, cancel=None) -> Change:
        """Read usage cycles from a CSV/xlsx product list (商品コード, 商品名,
        消費サイクル(日) …) and store them as one undoable operation.

        An empty cycle cell clears the cycle. Any bad row raises BadFileError naming
        the file, row and column, and nothing is changed. ``counts``: ``products``
        the list's rows, ``cycles`` those with a cycle; ``set`` products that had no
        cycle and now have one, ``updated`` those whose cycle changed, ``cleared``
        those whose cycle the list removed.
        """
        path = Path(path)
        report = reporter(progress)
        report(0.0, f"{path.name} を読み込んでいます…")
        table = read_table(path)
        code_col, cycle_col, name_col = list_columns(table.headers)
        if code_col is None or cycle_col is None:
            raise BadFileError(path, "商品リストには「商品コード」（または商品番号）と"
                                     "「消費サイクル(日)」の列が必要です。", row=1)
        codes = normalize.text(table.frame[code_col])
        names = normalize.text(table.frame[name_col]) if name_col else pd.Series("", index=codes.index)
        cycles = self._cycles(path, table, cycle_col)
        blank = (codes == "").to_numpy()
        if blank.any():
            raise BadFileError(path, "商品コードが空です。", row=int(table.rows[blank.argmax()]),
                               column=code_col)
        repeated = codes.duplicated().to_numpy()
        if repeated.any():
            raise BadFileError(path, f"商品コード「{codes[repeated].iloc[0]}」が2回出てきます。",
                               row=int(table.rows[repeated.argmax()]), column=code_col)
        check_cancel(cancel)
        report(0.5, f"{len(codes):,}件の消費サイクルを登録しています…")
        days = [None if pd.isna(c) else int(c) for c in cycles]
        with self.shop.journal.operation("products", f"消費サイクルの取り込み（{path.name}）") as op:
            before = dict(self.db.conn.execute("SELECT code, cycle_days FROM products"))
            self.db.conn.executemany(
                "INSERT INTO products (code, name, cycle_days) VALUES (?, ?, ?) "
                "ON CONFLICT(code) DO UPDATE SET cycle_days = excluded.cycle_days, "
                "name = CASE WHEN excluded.name != '' THEN excluded.name ELSE products.name END",
                zip(codes, names, days))
        report(1.0, "完了")
        old = [before.get(code) for code in codes]
        return Change(op.id, counts={
            "products": len(codes), "cycles": sum(d is not None for d in days),
            "set": sum(d is not None and o is None for d, o in zip(days, old)),
            "updated": sum(d is not None and o not in (None, d) for d, o in zip(days, old)),
            "cleared": sum(d is None and o is not None for d, o in zip(days, old))})

    @staticmethod
    def _cycles(path: Path, table, column: str) -> pd.Series:
        text = (normalize.text(table.frame[column]).str.replace(r"\s*日$", "", regex=True)
                .str.replace(",", "", regex=False))
        numbers = pd.to_numeric(text.where(text != ""), errors="coerce")
        in_range = (numbers % 1 == 0) & numbers.between(1, MAX_CYCLE_DAYS)
        bad = ((text != "") & ~in_range).to_numpy()
        if bad.any():
            value = table.frame[column].iloc[bad.argmax()]
            raise BadFileError(path, f"消費サイクル「{value}」は日数（1〜{MAX_CYCLE_DAYS}の整数）"
                                     "で入力してください（なしは空欄）。",
                               row=int(table.rows[bad.argmax()]), column=column)
        return numbers

    def cycles_known(self) -> bool:
        """Whether any product has a usage cycle (without one, nobody is ever due)."""
        return bool(self.db.scalar(
            "SELECT EXISTS (SELECT 1 FROM products WHERE cycle_days IS NOT NULL)"))

    def due_targets(self, as_of=None) -> pd.DataFrame:
        """Customers due to buy again as of ``as_of``: R ≥ the usage cycle of the product
        in their last order ('due'), R > 1.5 × cycle ('overdue').

        The last order is every valid order on the customer's last purchase date; with
        several products there the longest cycle counts (lowest code on a tie).
        Most overdue (largest R / cycle) first.
        """
        as_of = parse_day(as_of)
        # Remembered until the database changes: the customer list and the
        # follow-up plan both ask, and on a big shop it takes seconds.
        return self.db.memo(("due_targets", as_of.isoformat()),
                            lambda: self._due_targets(as_of)).copy()

    def _due_targets(self, as_of: date) -> pd.DataFrame:
        # Each customer's last valid order on or before as_of: kept in
        # customer_figures when no order is later, else found in the orders.
        last = ("SELECT customer_id, last_purchase FROM customer_figures"
                if figures_current(self.db, as_of) else
                "SELECT o.customer_id, max(o.order_date) AS last_purchase "
                "FROM orders o JOIN customers c ON c.id = o.customer_id "
                "WHERE o.status = 'valid' AND o.order_date <= :as_of AND c.deleted_at IS NULL "
                "GROUP BY o.customer_id")
        lines = self.db.frame(
            f"""
            WITH last AS (
                SELECT * FROM ({last}) f
                -- Evaluated once: no product with a usage cycle, nobody is due.
                WHERE EXISTS (SELECT 1 FROM products WHERE cycle_days IS NOT NULL))
            SELECT last.customer_id, c.name, l.product_code,
                   coalesce(nullif(p.name, ''), l.product_name) AS product_name,
                   p.cycle_days, last.last_purchase
            FROM last
            JOIN orders o ON o.customer_id = last.customer_id
                AND o.order_date = last.last_purchase AND o.status = 'valid'
            JOIN order_lines l ON l.order_id = o.id
            JOIN products p ON p.code = l.product_code AND p.cycle_days IS NOT NULL
            JOIN customers c ON c.id = last.customer_id
            """, {"as_of": as_of.isoformat()})
        best = (lines.sort_values(["customer_id", "cycle_days", "product_code"],
                                  ascending=[True, False, True], kind="mergesort")
                .drop_duplicates("customer_id"))
        recency = (pd.Timestamp(as_of) - pd.to_datetime(best["last_purchase"])).dt.days
        best = best.assign(recency_days=recency.astype("int64"))
        cycle = best["cycle_days"].astype("int64")
        overdue = OVERDUE_DENOMINATOR * best["recency_days"] > OVERDUE_NUMERATOR * cycle
        best["state"] = np.where(overdue, "overdue", "due")
        best = best.loc[best["recency_days"] >= cycle].assign(
            ratio=lambda f: f["recency_days"] / f["cycle_days"])
        best = best.sort_values(["ratio", "customer_id"], ascending=[False, True], kind="mergesort")
        best["cycle_days"] = best["cycle_days"].astype("int64")
        return best[DUE_COLUMNS].reset_index(drop=True)

    # -- cycles learned from the orders -----------------------------------------------

    def suggest_cycles(self, as_of=None) -> pd.DataFrame:
        """Every product sold or in the catalogue (SUGGEST_COLUMNS, by code): the usage
        cycle its buyers show (``suggested_cycle_days``, NA on too little evidence),
        the repurchase intervals and buyers that rests on, the share of buyers who
        ordered again, and the shop's own cycle. See ``engine.analysis.repurchase``."""
        learned = learned_cycles(purchases(self.db, parse_day(as_of)))
        current = self.db.frame(
            "SELECT code AS product_code, cycle_days AS current_cycle_days FROM products")
        table = learned.merge(current, on="product_code", how="outer")
        table = table.merge(product_names(self.db), on="product_code", how="left")
        table[["repurchases", "buyers"]] = table[["repurchases", "buyers"]].fillna(0).astype("int64")
        table["product_name"] = table["product_name"].fillna("")
        table["current_cycle_days"] = table["current_cycle_days"].astype("Int64")
        table = table.sort_values("product_code", kind="mergesort")
        return table[SUGGEST_COLUMNS].reset_index(drop=True)

    def adopt_suggested_cycles(self, codes=None, as_of=None) -> Change:
        """Make the suggested cycles the shop's own, as one undoable operation: of every
        product with a suggestion, or only of ``codes``. ``counts["products"]`` is
        how many cycles changed (None operation when none did)."""
        table = self.suggest_cycles(as_of).dropna(subset=["suggested_cycle_days"])
        if codes is not None:
            table = table.loc[table["product_code"].isin([str(c).strip() for c in codes])]
        changed = table.loc[table["suggested_cycle_days"].ne(table["current_cycle_days"])
                            .fillna(True).astype(bool)]
        if changed.empty:
            return Change(None, counts={"products": 0})
        label = f"提案した消費サイクルの採用（{len(changed):,}商品）"
        with self.shop.journal.operation("products", label) as op:
            self.db.conn.executemany(_UPSERT_CYCLE, zip(
                changed["product_code"], changed["product_name"],
                (int(d) for d in changed["suggested_cycle_days"])))
        return Change(op.id, counts={"products": len(changed)})

    def cycle_status(self, as_of=None) -> pd.DataFrame:
        """Where each customer stands against the cycle of their last purchase
        (予定どおり / そろそろ / 遅れ / 休眠, see ``engine.analysis.repurchase``):
        the shop's cycle where it set one, else the learned one."""
        as_of = parse_day(as_of)
        table = self.suggest_cycles(as_of)
        cycles = table["current_cycle_days"].fillna(table["suggested_cycle_days"])
        return cycle_status(purchases(self.db, as_of),
                            cycles.set_axis(table["product_code"]).dropna(), as_of)

    def next_products(self, as_of=None, min_customers: int = MIN_PAIR_CUSTOMERS) -> pd.DataFrame:
        """What customers buy in their next purchase after each product: product_code,
        next_product_code, customers, support, lift (see
        ``engine.analysis.repurchase.next_pairs``) and next_product_name, most
        customers first."""
        return self._named(next_pairs(purchases(self.db, parse_day(as_of)), min_customers),
                           "next_product")

    def bought_together(self, as_of=None, min_customers: int = MIN_PAIR_CUSTOMERS) -> pd.DataFrame:
        """Products bought in the same order as each product: product_code,
        with_product_code, customers, support, lift and with_product_name, most
        customers first."""
        return self._named(together_pairs(purchases(self.db, parse_day(as_of)), min_customers),
                           "with_product")

    def _named(self, pairs: pd.DataFrame, other: str) -> pd.DataFrame:
        names = product_names(self.db).set_index("product_code")["product_name"]
        named = names.reindex(pairs[f"{other}_code"]).to_numpy(dtype=object)
        return pairs.assign(**{f"{other}_name": pd.Series(named, index=pairs.index, dtype=object)
                               .fillna("")})

    def recommended_names(self) -> dict[str, str]:
        """Product code → the name of the product most often bought next after it
        (the {おすすめ商品} of mail templates)."""
        top = self.next_products().drop_duplicates("product_code")
        return dict(zip(top["product_code"], top["next_product_name"]))
