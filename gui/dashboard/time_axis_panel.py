"""The time axis on the dashboard: first-purchase cohorts and entry products (SPEC §3)."""
from __future__ import annotations

from datetime import date

import pandas as pd
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QWidget

from engine.dates import month_complete, month_index, month_of
from gui.widgets.cell_format import RUNNING
from gui.widgets.table_model import Column, TableModel
from gui.widgets.table_view import apply_widths, table_view

COHORT_ROWS = 24     # the most recent first-purchase months
COHORT_MONTHS = 13   # months since first purchase shown (0 … 12)
ENTRY_COLUMNS = [
    Column("product_code", "商品コード", "text", 7),
    Column("product_name", "初回に買った商品", "text", 0),
    Column("customers", "人数", "int", 3),
    Column("f2_conversion", "F2転換率", "percent", 4),
    Column("average_purchase_count", "平均\n購入回数", "ratio", 4),
    Column("average_total_amount", "平均\n累計購入額", "yen", 5),
    Column("next_product_name", "次によく\n買われる商品", "text", 8),
]


def cohort_frame(cohorts: pd.DataFrame, as_of: date) -> tuple[pd.DataFrame, list[Column]]:
    """The newest cohorts first, months-since columns renamed for the model. While the
    as-of month is not over, its cells (which the engine leaves empty) say 集計中 and
    its own cohort is labelled so: an empty cell there would look like a drop-off."""
    months = [c for c in cohorts.columns if isinstance(c, int) and c < COHORT_MONTHS]
    frame = cohorts[["cohort", "customers", *months]].tail(COHORT_ROWS).iloc[::-1]
    frame = frame.astype({m: object for m in months})
    running = month_of(as_of)
    if not month_complete(running, as_of):
        since = month_index(running) - frame["cohort"].map(month_index)
        for m in months:
            frame.loc[since == m, m] = RUNNING
        frame.loc[since == 0, "cohort"] = running + "（集計中）"
    frame = frame.rename(columns={m: f"m{m}" for m in months}).reset_index(drop=True)
    columns = [Column("cohort", "初回購入月", "text", 8), Column("customers", "人数", "int", 3)]
    columns += [Column(f"m{m}", "同月" if m == 0 else f"{m}か月後", "percent", 4) for m in months]
    return frame, columns


class TimeAxisPanel(QWidget):
    """Cohort table (share of each first-purchase month buying again, by months since)
    beside the entry-product report (which first purchase leads to loyal customers)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.cohorts = TableModel([], self)
        self.cohort_view = table_view(self.cohorts, sortable=False)
        self.entry = TableModel(ENTRY_COLUMNS, self)
        self.entry_view = table_view(self.entry)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        cohort_title = QLabel("時間軸（初回購入月ごとに、その後の各月に再購入したお客様の割合）")
        entry_title = QLabel("入口商品（初回注文の商品ごとの2回目購入率と、その後の購入）")
        for title in (cohort_title, entry_title):
            title.setWordWrap(True)
        layout.addWidget(cohort_title, 0, 0)
        layout.addWidget(entry_title, 0, 1)
        self.compute_button = QPushButton("時間軸と入口商品を集計する")
        self.compute_button.setToolTip("注文が多いと時間がかかるため、必要なときだけ集計します。")
        layout.addWidget(self.compute_button, 1, 0, 1, 2)
        layout.addWidget(self.cohort_view, 2, 0)
        layout.addWidget(self.entry_view, 2, 1)
        layout.setColumnStretch(0, 3)
        layout.setColumnStretch(1, 2)
        self.setMinimumHeight(320)

    def clear(self) -> None:
        """Data or the as-of date changed: the tables are out of date until recomputed."""
        self.cohorts.set_frame(pd.DataFrame(), [])
        self.entry.set_frame(pd.DataFrame(columns=[c.key for c in ENTRY_COLUMNS]))
        self.compute_button.setEnabled(True)

    def show_frames(self, cohorts: pd.DataFrame, entry_products: pd.DataFrame,
                    next_products: pd.DataFrame, as_of: date) -> None:
        """``next_products``: shop.products.next_products(); the entry report names
        the product most often bought next after each entry product."""
        frame, columns = cohort_frame(cohorts, as_of)
        self.cohorts.set_frame(frame, columns)
        apply_widths(self.cohort_view, columns)
        top = next_products.drop_duplicates("product_code").set_index("product_code")
        entry_products = entry_products.assign(next_product_name=entry_products["product_code"]
                                               .map(top["next_product_name"]).astype(object)
                                               .fillna(""))
        self.entry.set_frame(entry_products.sort_values(
            ["customers", "f2_conversion"], ascending=False, kind="mergesort")
            .reset_index(drop=True))
