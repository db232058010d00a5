"""The import pipeline: one file → one undoable operation in one transaction."""
from __future__ import annotations

import logging
from contextlib import ExitStack, closing, contextmanager, suppress
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np
import pandas as pd

from engine.errors import BadFileError, NotFoundError, OtokuiError
from engine.imports import detection, identity
from engine.imports.downloads import Assembly, Downloads, JoinedFile, group_downloads
from engine.imports.formats import FormatPreset, load_mapping_file
from engine.imports.order_frame import (CUSTOMER_FIELDS, KnownOrders, OrderBatch, iter_batches,
                                        stored_orders_of)
from engine.imports.parse_process import (PARALLEL_CHUNK_ROWS, PARALLEL_MIN_LINES,
                                          ParserProcessLost, parallel_batches)
from engine.imports.reader import CHUNK_ROWS, OpenedFile, open_file, peek_headers, python_text
from engine.progress import Cancel, Progress, check_cancel, reporter, wrap_callback
from engine.store import figures, server_lock
from engine.store.backups import PendingBackup
from engine.store.database import now_text
from engine.store.schema import DEFERRABLE_INDEXES, ORDER_PERSONAL_FIELDS, blank_sql
from engine.store.settings import dm_default_of

_log = logging.getLogger(__name__)

# Smallest file whose import rebuilds the secondary indexes (see ImportService._bulk).
BULK_MIN_LINES = 50_000


@dataclass
class ImportResult:
    import_id: int | None
    file_name: str
    source: str
    rows_read: int
    orders_added: int = 0
    orders_updated: int = 0
    orders_unchanged: int = 0
    orders_cancelled: int = 0
    lines: int = 0
    customers_added: int = 0
    already_imported: bool = False
    source_label: str = ""

    def summary(self) -> str:
        if self.already_imported:
            return (f"{self.file_name}: 取込済みのファイルです（{self.orders_unchanged}件の注文はすべて"
                    "登録済み）。変更はありません。")
        return (f"{self.file_name}（{self.source_label or self.source}）: 新規注文 {self.orders_added}件、"
                f"更新 {self.orders_updated}件、変更なし {self.orders_unchanged}件、"
                f"新しい顧客 {self.customers_added}人（{self.rows_read}行を読み込み）")


class ImportService:
    def __init__(self, shop):
        self.shop = shop
        self.db = shop.db
        # Rows read and written at a time: bounds memory whatever the file size.
        self.chunk_rows = CHUNK_ROWS
        self.bulk_min_lines = BULK_MIN_LINES
        self.parallel_min_lines = PARALLEL_MIN_LINES
        # Inside batch(): None until the batch's one backup is taken, then True.
        self._batch_backed_up: bool | None = None
        self.downloads = Downloads(self.db, shop.formats)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Imports inside share one backup, taken before the first file that changes
        anything — so importing many files does not rotate out the real before-state."""
        self._batch_backed_up = False
        try:
            yield
        finally:
            self._batch_backed_up = None

    def _backup_before(self, file_name: str) -> PendingBackup | None:
        """Starts the backup of the state before this import; it is written while
        the import reads and must be finished before the import commits."""
        if self._batch_backed_up:
            return None
        reason = f"取込前: {file_name}" + ("" if self._batch_backed_up is None else " ほか")
        pending = self.shop.backups.start(reason)
        if self._batch_backed_up is not None:
            self._batch_backed_up = True
        return pending

    def preset_for(self, path: Path, headers: list[str], format_name: str | None = None,
                   mapping: Path | None = None) -> FormatPreset:
        """The preset for a file with this header row (the one named, the mapping
        file's, or the one detected), bound to the file; raises BadFileError when
        the file lacks a column the preset needs."""
        if mapping is None and not format_name:
            preset = self.shop.formats.detect(path, headers)
            unbound = self.shop.formats.by_name(preset.name)
        else:
            unbound = (load_mapping_file(mapping) if mapping is not None
                       else self.shop.formats.by_name(format_name))
            preset = detection.bind(unbound, headers, detection.part_of(unbound, headers))
        if preset.part is None:
            detection.require_columns(path, unbound, preset)
        return preset

    def group_downloads(self, paths: list[Path | str]) -> list[tuple[Path, ...]]:
        """``paths`` as import units, in the order given: the two files of a download
        that comes as two (Yahoo's 注文 and 商品) together, every other file alone.
        Import each unit with ``import_file(unit[0], partners=unit[1:])``."""
        return group_downloads(self.shop.formats, list(paths), peek_headers)

    def import_file(self, path: Path | str, format_name: str | None = None,
                    mapping: Path | None = None, progress: Progress | None = None,
                    cancel: Cancel | None = None, partners: Sequence[Path | str] = ()
                    ) -> ImportResult:
        """Import one export file completely or not at all; with ``partners``, the
        other file of its two-file download with it, as one operation.

        One file of a two-file download is joined with its other file kept from an
        earlier import; without it, an order file imports alone (amounts without
        lines) and a line file is kept and refused with PartMissingError."""
        path = Path(path)
        report = reporter(progress)
        report(0.0, f"{path.name} を読み込んでいます")
        with self._one_import_at_a_time():
            return self._import_file(path, format_name, mapping, report, cancel, partners)

    @contextmanager
    def _one_import_at_a_time(self) -> Iterator[None]:
        """On a PostgreSQL server, the shop's lock for big changes for the length of
        the import: another desktop importing or restoring is named (BusyError)."""
        url = getattr(self.db, "url", None)
        if url is None:
            yield
            return
        with server_lock.held(url, "取込", self.shop.staff):
            yield

    def _import_file(self, path: Path, format_name: str | None, mapping: Path | None,
                     report: Progress, cancel: Cancel | None,
                     partners: Sequence[Path | str]) -> ImportResult:
        opened = open_file(path)
        preset = self.preset_for(path, opened.headers, format_name, mapping)
        with ExitStack() as stack:
            assembly = self.downloads.assemble(opened, preset, [Path(p) for p in partners], stack)
            source, preset, name = assembly.source, assembly.preset, assembly.name
            report(0.2, f"{name}（{preset.label}）を確認しています")
            check_cancel(cancel)
            previous = self._previous_import(source.sha256)
            if previous is not None:
                return ImportResult(None, name, preset.name, previous["rows_read"],
                                    orders_unchanged=previous["orders"], already_imported=True,
                                    source_label=preset.label)
            backup = self._backup_before(name)
            try:
                result = self._import_with_fallbacks(assembly, report, cancel, backup)
            except BaseException:
                # The import failed or was cancelled: its backup is still completed
                # (as it was when backups came first), but its own error is the news.
                if backup is not None:
                    with suppress(OtokuiError):
                        backup.finish()
                raise
        report(1.0, result.summary())
        return result

    def _import_with_fallbacks(self, assembly: Assembly, report: Progress, cancel: Cancel | None,
                               backup: PendingBackup | None) -> ImportResult:
        try:
            return self._import(assembly, report, cancel, self.chunk_rows, backup,
                                parallel=self._parallel(assembly.source))
        except _OrdersNotAdjacent:
            # Rolled back; a file that scatters an order's lines is read whole.
            return self._import(assembly, report, cancel, None, backup)
        except ParserProcessLost as exc:
            # Rolled back; the same import again, parsed in this process.
            _log.warning("%s: 読み込み用のプロセスが止まったため、1つのプロセスで取り込み直しました"
                         "（%s）", assembly.name, exc)
            return self._import(assembly, report, cancel, self.chunk_rows, backup)

    def _parallel(self, source: OpenedFile | JoinedFile) -> bool:
        """Whether to parse in a second process (big delimited files in a database
        file or on a server; the two files of a download are read together here)."""
        where = self.db.path if self.db.path is not None else getattr(self.db, "url", None)
        return (where is not None and isinstance(source, OpenedFile)
                and source.encoding != "xlsx" and source.lines >= self.parallel_min_lines)

    def _import(self, assembly: Assembly, report: Progress, cancel: Cancel | None,
                rows: int | None, backup: PendingBackup | None,
                parallel: bool = False) -> ImportResult:
        opened, preset, name = assembly.source, assembly.preset, assembly.name
        with self.db.transaction(), python_text():
            with self.shop.journal.operation("import", f"取込: {name}") as op:
                cur = self.db.conn.execute(
                    "INSERT INTO imports (op_id, file_name, sha256, source, started_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (op.id, name, opened.sha256, preset.name, now_text()))
                result = ImportResult(cur.lastrowid, name, preset.name, 0,
                                      source_label=preset.label)
                last_customer = self.db.dialect.last_id(self.db.conn, "customers")
                indexes = _DeferredIndexes(self.db.conn, self.db.dialect, self._bulk, opened.lines)
                # Orders of the source stored before this import, to be matched: none
                # when it is the shop's first file of the source (an order number met
                # twice in the file itself is _OrdersNotAdjacent's business).
                matching = stored_orders_of(self.db.conn, preset.name)
                if parallel:
                    batches = parallel_batches(
                        opened, preset, self.db.path if self.db.path is not None else self.db.url,
                        min(rows, PARALLEL_CHUNK_ROWS))
                else:
                    batches = iter_batches(opened, preset, rows,
                                           KnownOrders(self.db.conn, preset.name, self.db.dialect))
                report(0.2, f"{name}: 注文データを読み込んでいます")
                with closing(batches):
                    touched = self._write_batches(batches, name, preset, result, report,
                                                  cancel, indexes, matching)
                self.downloads.settle(assembly, preset)
                if indexes.dropped:
                    check_cancel(cancel)
                    report(0.98, f"{name}: 検索用の索引を作り直しています")
                    indexes.rebuild()
                result.customers_added = self.db.scalar(
                    "SELECT count(*) FROM customers WHERE id > ?", (last_customer,))
                self.db.conn.execute(
                    "UPDATE imports SET rows_read = ?, orders_added = ?, orders_updated = ?, "
                    "orders_unchanged = ?, lines = ?, customers_added = ?, finished_at = ? "
                    "WHERE id = ?",
                    (result.rows_read, result.orders_added, result.orders_updated,
                     result.orders_unchanged, result.lines, result.customers_added, now_text(),
                     result.import_id))
            # Outside the journaled operation: its before-images must not keep the data.
            _keep_erased_erased(self.db.conn, self.db.dialect, result.import_id, touched)
            if backup is not None:
                # Nothing lands without its backup: a failed backup rolls the import back.
                report(0.99, f"{name}: 取込前のバックアップを仕上げています")
                backup.finish()
        return result

    def _write_batches(self, batches, name: str, preset: FormatPreset, result: ImportResult,
                       report: Progress, cancel: Cancel | None,
                       indexes: _DeferredIndexes, matching: bool) -> list[int]:
        """Write every batch; returns the customers whose orders were written."""
        seen = np.empty(0, dtype="uint64")
        done = 0.0
        touched = [np.empty(0, dtype="int64")]
        for batch, fraction in batches:
            seen = _remember_orders(seen, batch.order_nos)
            result.rows_read += batch.rows_read
            chunk = wrap_callback(report, 0.2 + 0.78 * done, 0.2 + 0.78 * fraction)
            writer = _Writer(self.shop, preset, result, batch, chunk, cancel, indexes, matching)
            writer.run()
            touched.append(writer.customer_ids)
            done = fraction
            if fraction < 1.0:
                report(0.2 + 0.78 * done,
                       f"{name}: 続きを読み込んでいます（{result.rows_read:,}行まで済み）")
        return np.unique(np.concatenate(touched)).tolist()

    def _bulk(self, new_lines: float) -> bool:
        """Whether an import adding about ``new_lines`` lines should rebuild the
        secondary indexes rather than update them line by line: at least
        ``bulk_min_lines`` new lines, more than a fifth of all lines after it."""
        existing = self.db.dialect.last_id(self.db.conn, "order_lines")
        return new_lines >= self.bulk_min_lines and new_lines * 5 > existing + new_lines

    def _previous_import(self, sha256: str) -> dict | None:
        """The standing import of a file with these exact bytes, if any."""
        rows = self.db.query(
            "SELECT rows_read, orders_added + orders_updated + orders_unchanged AS orders "
            "FROM imports WHERE sha256 = ? AND undone_at IS NULL AND finished_at IS NOT NULL "
            "ORDER BY id DESC LIMIT 1", (sha256,))
        return rows[0] if rows else None

    def history(self) -> list[dict]:
        """Every import, newest first, with whether it can be undone now and who
        ran it (``staff``, '' before names were recorded)."""
        rows = self.db.query(
            "SELECT i.*, o.id AS op, coalesce(o.staff, '') AS staff FROM imports i "
            "LEFT JOIN operations o ON o.id = i.op_id "
            "ORDER BY i.id DESC")
        for row in rows:
            row["can_undo"] = bool(row["undone_at"] is None and row["op"] is not None
                                   and not self.shop.journal.blockers(row["op"]))
        return rows

    def undo(self, import_id: int) -> None:
        """Remove everything one import added or changed, restoring the earlier state."""
        row = self.db.query("SELECT op_id, undone_at, file_name FROM imports WHERE id = ?",
                            (import_id,))
        if not row:
            raise NotFoundError("その取込履歴は見つかりません。")
        if row[0]["undone_at"] is not None:
            raise OtokuiError(f"{row[0]['file_name']} の取込はすでに取り消されています。")
        with self.db.transaction() as conn:
            self.shop.journal.undo(row[0]["op_id"])
            conn.execute("UPDATE imports SET undone_at = ? WHERE id = ?", (now_text(), import_id))


class _OrdersNotAdjacent(Exception):
    """An order's lines are scattered over more than one chunk of the file."""


def _remember_orders(seen: np.ndarray, order_nos: pd.Index) -> np.ndarray:
    """Sorted hashes of the order numbers met so far; raise when a batch repeats one."""
    hashes = np.sort(pd.util.hash_array(order_nos.to_numpy(dtype=object)))
    if len(seen):
        at = np.minimum(np.searchsorted(seen, hashes), len(seen) - 1)
        if (seen[at] == hashes).any():
            raise _OrdersNotAdjacent()
    return np.sort(np.concatenate([seen, hashes]), kind="mergesort")


class _DeferredIndexes:
    """Drops the deferrable indexes once an import turns out to write many lines,
    and builds them again at its end. The drop happens inside the import's
    transaction, so a failed or cancelled import gets them back untouched; an
    import that finds everything known never drops them."""

    def __init__(self, conn, dialect, bulk: Callable[[float], bool], file_lines: int):
        self.conn, self.dialect, self.bulk, self.file_lines = conn, dialect, bulk, file_lines
        self.dropped: list[str] = []
        self.figure_triggers: list[str] = []

    def before_writing(self, new_lines: int, rows_read: int) -> None:
        """Called before a chunk writes ``new_lines`` of its ``rows_read`` lines."""
        if self.dropped or not new_lines:
            return
        if self.bulk(self.file_lines * new_lines / max(rows_read, 1)):
            rows = self.dialect.index_definitions(self.conn, DEFERRABLE_INDEXES)
            for name, _ in rows:
                self.dialect.drop_index(self.conn, name)
            self.dropped = [sql for _, sql in rows]
            # The summary tables too: one GROUP BY at the end, not a mark per order.
            self.figure_triggers = figures.suspend(self.conn, self.dialect)

    def rebuild(self) -> None:
        for sql in self.dropped:
            self.conn.execute(sql)
        figures.resume(self.conn, self.figure_triggers, self.dialect)


# A customer's details: those of their newest order that has each. Consent is
# NULL in the database until an export gives an answer.
_DETAIL_FIELDS = [f for f in CUSTOMER_FIELDS if f != "member_id"] + ["email_consent"]


def _placeholder(field: str, dialect) -> str:
    return dialect.integer_or_blank() if field == "email_consent" else "?"


def _latest_details(work: pd.DataFrame) -> pd.DataFrame:
    """Per customer, each detail from their newest order that has it — except the
    building (address2), which goes with the street it belongs to: one export writes
    the building inside 住所, another in a field of its own."""
    ordered = work.sort_values("ordered_at")
    customers = ordered["customer_id"].to_numpy()

    def last_where(has: np.ndarray, field: str) -> pd.Series:
        """Per customer, ``field`` of their last row where ``has`` holds."""
        values = pd.Series(ordered[field].to_numpy()[has], index=customers[has])
        return values[~values.index.duplicated(keep="last")]

    latest = (ordered[["customer_id", "ordered_at"]].drop_duplicates("customer_id", keep="last")
              .set_index("customer_id").sort_index())
    for field in _DETAIL_FIELDS:
        column = ordered[field]
        has = (column.notna() & (column != "")).to_numpy()
        latest[field] = last_where(has, field).reindex(latest.index).fillna("")
    with_street = last_where((ordered["address1"] != "").to_numpy(), "address2")
    latest.loc[with_street.index, "address2"] = with_street
    return latest


class _Writer:
    """Writes one batch inside the import's transaction (set-based where it counts)."""

    def __init__(self, shop, preset: FormatPreset, result: ImportResult, batch: OrderBatch,
                 report: Progress, cancel: Cancel | None, indexes: _DeferredIndexes,
                 matching: bool = True):
        self.shop, self.conn, self.preset = shop, shop.db.conn, preset
        self.dialect = shop.db.dialect
        self.indexes, self.matching = indexes, matching
        self.result, self.batch, self.report, self.cancel = result, batch, report, cancel
        self.source = result.source
        # The customers whose orders this batch wrote (set once they are resolved).
        self.customer_ids = np.empty(0, dtype="int64")

    def step(self, fraction: float, message: str) -> None:
        check_cancel(self.cancel)
        self.report(fraction, f"{self.result.file_name}: {message}")

    def run(self) -> None:
        self.result.orders_unchanged += self.batch.skipped
        orders = self.batch.orders
        if orders.empty:
            return
        self.step(0.3, "登録済みの注文と照合しています")
        orders = self._matched(orders)
        is_new = orders["order_id"].isna().to_numpy()
        unchanged = (~is_new) & (orders["old_digest"] == orders["digest"]).to_numpy()
        work = orders[~unchanged].copy()
        self.result.orders_added += int(is_new.sum())
        self.result.orders_updated += int((~is_new & ~unchanged).sum())
        self.result.orders_unchanged += int(unchanged.sum())
        self.result.orders_cancelled += int(work["cancelled"].sum())
        if work.empty:
            return
        lines = self.batch.lines
        lines = lines[lines["order_no"].isin(work.index)]
        self.indexes.before_writing(len(lines), self.batch.rows_read)
        self.step(0.45, "顧客を名寄せしています")
        first_new = self._resolve_customers(work)
        self.customer_ids = work["customer_id"].to_numpy(dtype="int64")
        self.step(0.65, "注文を書き込んでいます")
        self._write_orders(work, lines)
        self.step(0.85, "顧客情報を更新しています")
        self._update_customers(work[work["customer_id"] < first_new])
        self._update_products()

    def _existing(self, order_nos: pd.Index) -> pd.DataFrame:
        listed, order_nos = self.dialect.in_list("order_no", order_nos)
        rows = self.conn.execute(
            "SELECT order_no, id, digest, customer_id, order_date, "
            "CASE WHEN member_id != '' THEN member_id ELSE name_key END FROM orders "
            f"WHERE source = ? AND {listed}",
            (self.source, order_nos)).fetchall() if self.matching else []
        return pd.DataFrame(rows, columns=["order_no", "order_id", "old_digest", "old_customer",
                                           "old_date", "old_buyer"]).set_index("order_no")

    def _matched(self, orders: pd.DataFrame) -> pd.DataFrame:
        """The batch's orders joined to the stored orders they are.

        A stored order under the same number but of another day or another buyer
        is another order: where the source's numbers are unique that is an error in
        the file; where a shop reuses numbers the new order keeps its number with
        its date (「1（2025-03-04）」), as it did when first imported — never does
        it overwrite the stored one.
        """
        buyer = orders["member_id"].where(orders["member_id"] != "", orders["name_key"]).to_numpy()
        for attempt in range(1, 10):
            joined = orders.join(self._existing(orders.index))
            old_buyer = joined["old_buyer"].fillna("").to_numpy()
            clash = (joined["order_id"].notna().to_numpy()
                     & ((joined["old_date"] != joined["order_date"]).to_numpy()
                        | ((old_buyer != "") & (buyer != "") & (old_buyer != buyer))))
            if not clash.any():
                return joined
            if self.preset.order_numbers == "unique":
                first = joined[clash].iloc[0]
                raise BadFileError(
                    self.result.file_name,
                    f"注文番号「{first.name}」は、取込済みの別の注文（{first['old_date']}）と同じ番号"
                    "です（注文日または注文者が違います）。別のお店のファイルではないか確認してください。",
                    row=int(first["row"]), column=self.preset.fields["order_no"][0])
            base = pd.Series(orders.index, index=orders.index).str.replace(
                r"（\d{4}-\d{2}-\d{2}(?:・\d+)?）$", "", regex=True)
            suffix = "（" + orders["order_date"] + ("）" if attempt == 1 else f"・{attempt}）")
            renamed = pd.Series(orders.index, index=orders.index).where(~clash, base + suffix)
            self.batch.lines["order_no"] = self.batch.lines["order_no"].map(
                dict(zip(orders.index, renamed))).fillna(self.batch.lines["order_no"])
            orders.index = pd.Index(renamed.to_numpy(), name=orders.index.name)
        raise BadFileError(self.result.file_name, "同じ注文番号の注文が多すぎます。")

    def _resolve_customers(self, work: pd.DataFrame) -> int:
        """Set ``work["customer_id"]``, creating the customers first met here;
        returns the first new customer id (every id from it on is new)."""
        keys = identity.order_keys(work, self.source)
        listed, known = self.dialect.in_list("key", keys["key"].unique())
        rows = self.conn.execute(
            f"SELECT key, customer_id FROM identity_keys WHERE {listed}", (known,)).fetchall()
        owners = pd.DataFrame(rows, columns=["key", "customer_id"]).set_index("key")["customer_id"]
        order_owner = work["old_customer"].fillna(0).to_numpy(dtype="int64")
        labels, linked = identity.components(len(work), keys, owners, order_owner)
        target, constrained = self._settle_components(linked)
        customer = pd.Series(labels).map(target).to_numpy(dtype="float64", copy=True)
        if constrained:
            in_constrained = np.isin(labels, list(constrained))
            customer[in_constrained] = self._assign_constrained(
                keys, owners, order_owner, np.flatnonzero(in_constrained))
        first_new = self.dialect.last_id(self.conn, "customers") + 1
        fresh = np.isnan(customer)
        if fresh.any():
            _, codes = np.unique(labels[fresh], return_inverse=True)
            customer[fresh] = first_new + codes
        work["customer_id"] = customer.astype("int64")
        self._create_customers(work[work["customer_id"] >= first_new])
        # In key order: SQLite's unique index on the key takes them in one pass.
        new_keys = keys[~keys["key"].isin(owners.index)].drop_duplicates("key").sort_values("key")
        self.dialect.insert_rows_or_ignore(
            self.conn, "identity_keys", ["key", "customer_id"],
            zip(new_keys["key"].tolist(), work["customer_id"].to_numpy()[new_keys["pos"].to_numpy()].tolist()))
        return first_new

    def _settle_components(self, linked: pd.DataFrame) -> tuple[pd.Series, set[int]]:
        """Each component's customer (component → id): its one existing customer,
        or the lowest id once several are merged — unless a user split them apart,
        then the component is returned as constrained."""
        size = linked.groupby("component")["customer"].transform("size").to_numpy()
        single = linked[size == 1]
        target = pd.Series(single["customer"].to_numpy(), index=single["component"].to_numpy())
        separated = identity.separated_pairs(self.conn)
        merged: dict[int, int] = {}
        constrained: set[int] = set()
        # Components joining several existing customers are few: merge them one by one.
        for component, group in linked[size > 1].groupby("component", sort=False):
            members = sorted(group["customer"].tolist())
            if separated and any(frozenset((a, b)) in separated
                                 for i, a in enumerate(members) for b in members[i + 1:]):
                constrained.add(int(component))
                continue
            identity.merge_customers(self.shop.db, members[0], members[1:], manual=False)
            merged[int(component)] = members[0]
        if merged:
            target = pd.concat([target, pd.Series(merged, dtype="int64")])
        return target, constrained

    def _assign_constrained(self, keys, owners, order_owner, positions) -> np.ndarray:
        """Orders linking customers a user split apart go to the customer of their
        strongest own key; the separated customers stay apart (rare, so per order)."""
        result = np.full(len(positions), np.nan)
        for i, pos in enumerate(positions):
            if order_owner[pos]:
                result[i] = order_owner[pos]
                continue
            own = keys[keys["pos"] == pos].sort_values("rank")
            for key in own["key"]:
                if key in owners.index:
                    result[i] = owners[key]
                    break
        return result

    def _create_customers(self, work: pd.DataFrame) -> None:
        """Insert the new customers with their details and DM default at once
        (ids above sqlite_sequence are free under our write transaction)."""
        if work.empty:
            return
        latest = _latest_details(work)
        defaults = self.shop.settings.get("dm_default_by_source") or {}
        dm_default = int(dm_default_of(defaults, self.source))
        stamp = now_text()
        self.dialect.insert_rows(
            self.conn, "customers", ["id", *_DETAIL_FIELDS, "info_at", "dm_default", "created_at"],
            zip(latest.index.astype("int64").tolist(),
                *(latest[f].tolist() for f in _DETAIL_FIELDS), latest["ordered_at"].tolist(),
                [dm_default] * len(latest), [stamp] * len(latest)),
            ["?", *(_placeholder(f, self.dialect) for f in _DETAIL_FIELDS), "?", "?", "?"])

    def _write_orders(self, work: pd.DataFrame, lines: pd.DataFrame) -> None:
        """Insert new orders (with ids given here) and rewrite changed ones; then
        their ``lines``. Lists go to SQLite column by column (NaN binds as NULL)."""
        import_id = self.result.import_id
        columns = ["ordered_at", "order_date", "status", "customer_id", "amount", "shipping",
                   "fee", "points", "coupon"] + CUSTOMER_FIELDS + ["email_consent", "digest",
                                                                   "raw_digest"]
        work = work.assign(status=np.where(work["cancelled"], "cancelled", "valid"))
        is_new = work["order_id"].isna().to_numpy()
        changed = work.loc[~is_new]
        if len(changed):
            assignments = ", ".join(f"{c} = {_placeholder(c, self.dialect)}" for c in columns)
            changed_ids = changed["order_id"].astype("int64").tolist()
            self.conn.executemany(
                f"UPDATE orders SET {assignments}, import_id = ? WHERE id = ?",
                zip(*(changed[c].tolist() for c in columns), repeat(import_id), changed_ids))
            listed, changed_ids = self.dialect.in_list("order_id", changed_ids)
            self.conn.execute(f"DELETE FROM order_lines WHERE {listed}", (changed_ids,))
        added = work.loc[is_new]
        first_id = self.dialect.last_id(self.conn, "orders") + 1
        added_ids = np.arange(first_id, first_id + len(added), dtype="int64")
        if len(added):
            self.dialect.insert_rows(
                self.conn, "orders", ["id", "source", "order_no", *columns, "import_id"],
                zip(added_ids.tolist(), repeat(self.source), added.index.tolist(),
                    *(added[c].tolist() for c in columns), repeat(import_id)),
                ["?", "?", "?", *(_placeholder(c, self.dialect) for c in columns), "?"])
        ids = pd.concat([pd.Series(changed["order_id"].to_numpy(dtype="int64"), index=changed.index),
                         pd.Series(added_ids, index=added.index)])
        self.dialect.insert_rows(
            self.conn, "order_lines",
            ["order_id", "line_no", "product_code", "product_name", "unit_price", "quantity",
             "amount"],
            zip(ids.reindex(lines["order_no"]).to_numpy().tolist(), lines["line_no"].tolist(),
                lines["product_code"].tolist(), lines["product_name"].tolist(),
                lines["unit_price"].tolist(),
                lines["quantity"].tolist(), lines["amount"].tolist()))
        self.result.lines += len(lines)

    def _update_customers(self, work: pd.DataFrame) -> None:
        """Contact details come from each customer's newest order (empty cells keep
        what is known); DM defaults follow the customer's sources."""
        if work.empty:
            return
        latest = _latest_details(work)
        # A field is replaced when the newer order has it; the building when the newer
        # order has a street (its building may be empty, or written inside the street).
        # (PostgreSQL types the new value's parameter even where its branch is not
        # taken: email_consent's '' must be readable as a number, hence _placeholder.)
        setters = ", ".join(f"{f} = CASE WHEN ? != '' THEN {_placeholder(f, self.dialect)} "
                            f"ELSE {f} END" for f in _DETAIL_FIELDS)
        params = []
        for field in _DETAIL_FIELDS:
            params.append(latest["address1" if field == "address2" else field].tolist())
            params.append(latest[field].tolist())
        stamps = latest["ordered_at"].tolist()
        ids = latest.index.astype("int64").tolist()
        self.conn.executemany(
            f"UPDATE customers SET {setters}, info_at = ? WHERE id = ? AND info_at <= ? "
            "AND erased_at IS NULL",
            (tuple(values) + (stamp, cid, stamp) for *values, stamp, cid in zip(*params, stamps, ids)))
        self.shop.customers.refresh_dm_defaults(latest.index.tolist(), ordered_from=self.source)

    def _update_products(self) -> None:
        lines = self.batch.lines
        products = (lines[lines["product_code"] != ""]
                    .drop_duplicates("product_code", keep="last"))
        self.dialect.insert_rows_or_ignore(
            self.conn, "products", ["code", "name"],
            zip(products["product_code"].tolist(), products["product_name"].tolist()))


def _keep_erased_erased(conn, dialect, import_id: int, customer_ids: list[int]) -> None:
    """Keep erased customers erased when an import rewrites one of their orders (an
    export covering old orders again): blank the copied fields, drop the keys.
    ``customer_ids``: the customers the import wrote orders (and keys) for — the
    only ones it can have given an erased customer's data back to."""
    # Looked up by id, not by a scan of every customer; mostly there are none.
    listed, customer_ids = dialect.in_list("id", customer_ids)
    erased = [row[0] for row in conn.execute(
        f"SELECT id FROM customers WHERE erased_at IS NOT NULL AND {listed}", (customer_ids,))]
    if not erased:
        return
    listed, erased = dialect.in_list("customer_id", erased)
    conn.execute(f"UPDATE orders SET {blank_sql(ORDER_PERSONAL_FIELDS)} "
                 f"WHERE import_id = ? AND {listed}", (import_id, erased))
    conn.execute(f"DELETE FROM identity_keys WHERE {listed}", (erased,))
