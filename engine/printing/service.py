"""``shop.printing``: DM labels, insert lists and target lists, laid out as pages in mm.

The engine chooses who gets a label and where everything goes; the GUI and the command
line paint the returned pages with Qt (gui/widgets/print_render.py). Recording what was sent in
the contact log is a separate call, made once the pages were really printed or saved.
"""
from __future__ import annotations

from datetime import date
from functools import cached_property
from pathlib import Path

import pandas as pd

from engine.analysis.rfm import CLUSTER_LABELS
from engine.export import save_table
from engine.marketing import dm_targets
from engine.printing.label_layout import LabelData, layout_pages
from engine.text import format_postal
from engine.printing.label_sheet import LabelSheets
from engine.printing.page import Page
from engine.printing.table_layout import Column, table_pages
from engine.progress import Cancel, Progress

TARGET_LIST_HEADERS = {
    "customer_id": "顧客番号", "name": "氏名", "kana": "フリガナ", "postal_code": "郵便番号",
    "address": "住所", "phone": "電話番号", "cluster": "クラスター",
    "recency_days": "経過日数(R)", "purchase_count": "購入回数(F)",
    "total_amount": "累計金額(M)",
}
INSERT_COLUMNS = [Column("済"), Column("注文番号"), Column("注文日"),
                  Column("顧客番号", align_right=True), Column("お客様"),
                  Column("購入回数", align_right=True), Column("同梱物", wrap=True)]
DM_ACTION = "DM送付（宛名ラベル印刷）"


class PrintingService:
    def __init__(self, shop):
        self.shop = shop

    @cached_property
    def sheets(self) -> LabelSheets:
        return LabelSheets(self.shop.settings)

    # --- DM labels -----------------------------------------------------------------

    def targets(self, clusters=None, due: bool = False, followup_month: str | None = None,
                customer_ids=None, as_of=None) -> dm_targets.Selection:
        """Who gets a DM label (see engine/marketing/dm_targets.py) and who is left out, and why."""
        return dm_targets.select(self.shop, clusters, due, followup_month, customer_ids, as_of)

    def label_pages(self, targets: pd.DataFrame, sheet_id: str | None = None, start: int = 1,
                    offset: tuple[float, float] | None = None, outlines: bool = False,
                    progress: Progress | None = None, cancel: Cancel | None = None
                    ) -> list[Page]:
        """One page per sheet of labels for ``targets`` (a Selection's ``targets``), the
        first label at position ``start``; ``offset`` defaults to the stored calibration;
        ``outlines`` draws the label edges for a test print on plain paper. Progress and
        cancel as in :func:`engine.printing.label_layout.layout_pages`."""
        sheet = self.sheets.get(sheet_id)
        labels = [LabelData(int(r.customer_id), str(r.name), str(r.postal_code),
                            str(r.address1), str(r.address2))
                  for r in targets.itertuples(index=False)]
        return layout_pages(labels, sheet, start, self.sheets.offset() if offset is None
                            else offset, outlines, progress, cancel)

    def record_dm(self, selection: dm_targets.Selection, on: str | None = None,
                  followup_month: str | None = None) -> int:
        """Log a DM touch for every customer the printed labels reach.

        Labels printed for a month's DM follow-ups also check those tasks off (消し込み),
        which logs their touch; returns how many customers were logged.
        """
        ids = selection.customer_ids
        if followup_month:
            tasks = self.shop.followups.tasks(followup_month)
            due = tasks[(tasks["medium"] == "dm") & (tasks["status"] == "open")
                        & tasks["customer_id"].isin(ids)]
            # One check-off per customer: a second DM task of the month stays open.
            first = due.drop_duplicates("customer_id")
            done = 0
            if len(first):
                done = self.shop.followups.check_off_many(
                    first["task_id"].tolist(), on, "dm",
                    label=f"DMの発送（フォロー {len(first):,}件）").counts["done"]
            ids = sorted(set(ids) - set(first["customer_id"]))
            return done + self.shop.touches.record(ids, "dm", DM_ACTION, on=on,
                                                   source="labels")
        return self.shop.touches.record(ids, "dm", DM_ACTION, on=on, source="labels")

    # --- target lists --------------------------------------------------------------

    def target_list(self, targets: pd.DataFrame) -> pd.DataFrame:
        """The list with Japanese headers, postal codes with their hyphen, cluster names."""
        frame = targets[list(TARGET_LIST_HEADERS)].copy()
        frame["postal_code"] = frame["postal_code"].map(format_postal).str.lstrip("〒")
        frame["cluster"] = frame["cluster"].map(CLUSTER_LABELS).fillna("")
        frame["recency_days"] = frame["recency_days"].astype("Int64")
        return frame.rename(columns=TARGET_LIST_HEADERS)

    def export_target_list(self, targets: pd.DataFrame, path: Path | str) -> None:
        """Save the list as .xlsx (column widths, text cells) or CSV (UTF-8 with BOM)."""
        path = Path(path)
        save_table(self.target_list(targets), path, sheet_title="DM対象者")

    def target_list_pages(self, targets: pd.DataFrame, title: str = "DM対象者リスト"
                          ) -> list[Page]:
        frame = self.target_list(targets)
        money = TARGET_LIST_HEADERS["total_amount"]
        frame[money] = frame[money].map("{:,}".format)
        frame = frame.astype(object).where(frame.notna(), "").astype(str)
        numeric = [TARGET_LIST_HEADERS[k] for k in ("customer_id", "recency_days",
                                                    "purchase_count", "total_amount")]
        columns = [Column(h, wrap=h == "住所", align_right=h in numeric) for h in frame.columns]
        rows = frame.values.tolist()
        subtitle = f"{len(rows)}名　作成日: {date.today().isoformat()}"
        return table_pages(title, subtitle, columns, rows, landscape=True)

    # --- insert lists --------------------------------------------------------------

    def insert_plan(self, files, progress=None, cancel=None) -> pd.DataFrame:
        """Import the new orders' files and say which insert goes into each parcel."""
        return self.shop.count_program.plan(files, progress=progress, cancel=cancel)

    def insert_pages(self, plan: pd.DataFrame) -> list[Page]:
        """The packing list: a check box, order, customer, purchase number and insert."""
        plan = plan.sort_values(["order_date", "order_no"], kind="stable")
        rows = [["□", str(r.order_no), str(r.order_date), str(r.customer_id), str(r.name),
                 f"{int(r.purchase_number)}回目", str(r.insert_name or "―")]
                for r in plan.itertuples(index=False)]
        counts = plan["insert_name"].fillna("").replace("", "なし").value_counts()
        subtitle = (f"{len(rows)}件　作成日: {date.today().isoformat()}　"
                    + "　".join(f"{name}: {count}枚" for name, count in counts.items()))
        return table_pages("同梱物リスト", subtitle, INSERT_COLUMNS, rows)

    def record_inserts(self, plan: pd.DataFrame, on: str | None = None) -> int:
        """Log an insert touch for each parcel that gets a count-program insert, named
        after it, and check off the 同梱物 follow-up tasks that rode along (their own
        touches); returns how many touches were logged."""
        with_insert = plan[plan["count_insert"].fillna("") != ""]
        task_ids = [int(i) for ids in plan["task_ids"].fillna("") for i in ids.split(",") if i]
        logged = 0
        if task_ids:
            logged += self.shop.followups.check_off_many(
                task_ids, on, "insert", label=f"同梱物の発送（フォロー {len(task_ids)}件）"
            ).counts["done"]
        return logged + sum(self.shop.touches.record(
            group["customer_id"].astype(int).tolist(), "insert", str(name), on=on,
            source="inserts") for name, group in with_insert.groupby("count_insert"))

