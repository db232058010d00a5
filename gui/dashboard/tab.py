"""ダッシュボード: the KPIs as cards and the charts that show whether repeat sales grow."""
from __future__ import annotations

from datetime import date

import pandas as pd
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from engine.dates import add_months, month_of
from gui.dashboard.charts import has_yoy, paint_monthly_sales, paint_yoy
from gui.dashboard.effects_panel import EffectsPanel
from gui.dashboard.time_axis_panel import TimeAxisPanel
from gui.widgets import cell_format
from gui.widgets.charts import Chart
from gui.widgets.cluster_chart import paint_clusters
from gui.widgets.lazy_refresh import RefreshOnShow
from gui.widgets.table_model import Column, TableModel
from gui.widgets.table_view import table_view

# (key, caption, how to show the value, a hint for the shop owner)
KPI_CARDS = [
    ("customers", "顧客数", "people", "1回以上購入したお客様"),
    ("active_customers", "稼働顧客数", "people", "最終購入から365日以内"),
    ("repeat_rate", "リピート率", "percent", "2回以上購入したお客様の割合"),
    ("f2_conversion", "F2転換率", "percent", "初回購入から90日以上たったお客様のうち2回目を買った割合"),
    ("average_purchase_count", "平均購入回数", "times", "お客様1人あたり"),
    ("average_order_value", "平均客単価", "yen", "1注文あたり"),
    ("ltv", "LTV", "yen", "お客様1人あたりの累計購入額"),
    ("referral_count", "紹介数", "people", "紹介の記録があるとき"),
]
DECOMPOSITION_COLUMNS = [
    Column("month", "月", "text", 9),
    Column("sales", "売上", "yen", 6),
    Column("buyers", "購入\n者数", "int", 3),
    Column("orders_per_buyer", "購入\n頻度", "ratio", 3),
    Column("average_order_value", "客単価", "yen", 4),
    Column("sales_yoy", "売上\n前年比", "percent", 4),
    Column("buyers_yoy", "購入者数\n前年比", "percent", 4),
    Column("orders_per_buyer_yoy", "購入頻度\n前年比", "percent", 4),
    Column("average_order_value_yoy", "客単価\n前年比", "percent", 4),
]
YOY_COLUMNS = [c.key for c in DECOMPOSITION_COLUMNS if c.key.endswith("_yoy")]
RUNNING_MONTH = "（集計中）"
CHART_MONTHS = 24
DECOMPOSITION_MONTHS = 12


def kpi_text(value, kind: str) -> str:
    """A KPI as the card shows it; None (nothing to average, or not recorded) is 「—」."""
    if value is None:
        return "—"
    kind, unit = {"people": ("int", "人"), "percent": ("percent", ""), "times": ("ratio", "回"),
                  "yen": ("yen", "")}[kind]
    return cell_format.text(kind, value) + unit


def load_dashboard(shop, as_of: date) -> dict:
    """Everything the dashboard shows, computed on the worker thread."""
    last = month_of(as_of)
    monthly = shop.analysis.monthly_sales(as_of, months=CHART_MONTHS)
    active = monthly.index[monthly["sales"] > 0]
    # Leading months without any sale (a young shop) would only be empty bars and rows.
    monthly = monthly.loc[active[0]:].reset_index(drop=True) if len(active) else monthly.iloc[0:0]
    first = max(add_months(last, 1 - DECOMPOSITION_MONTHS),
                monthly["month"].iloc[0] if len(monthly) else last)
    return {"kpis": shop.analysis.kpis(as_of), "monthly": monthly,
            "clusters": shop.segments.summary(as_of),
            "decomposition": shop.analysis.decompose(first, last, as_of)}


class KpiCard(QFrame):
    def __init__(self, caption: str, hint: str, parent=None):
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName("kpiCard")
        self.setStyleSheet("#kpiCard { background: palette(base); border-radius: 6px; }")
        self.setToolTip(hint)
        title = QLabel(caption)
        title.setStyleSheet("color: palette(mid); font-weight: bold")
        self.value = QLabel("—")
        font = self.value.font()
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        self.value.setFont(font)
        note = QLabel(hint)
        note.setWordWrap(True)
        note.setStyleSheet("color: palette(mid); font-size: 8pt")
        layout = QVBoxLayout(self)
        layout.setSpacing(2)
        layout.addWidget(title)
        layout.addWidget(self.value)
        layout.addWidget(note)


class DashboardTab(RefreshOnShow, QWidget):
    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.loaded: dict | None = None
        self.cards: dict[str, KpiCard] = {}
        cards = QGridLayout()
        for index, (key, caption, _kind, hint) in enumerate(KPI_CARDS):
            self.cards[key] = KpiCard(caption, hint)
            cards.addWidget(self.cards[key], index // 4, index % 4)

        self.sales_chart = Chart("月別売上（新規・リピート）")
        self.cluster_chart = Chart("クラスター別の顧客数と売上構成比")
        self.yoy_chart = Chart("売上の分解と前年同月比（100% = 前年並み）")
        self.decomposition = TableModel(DECOMPOSITION_COLUMNS, self)
        self.decomposition_view = table_view(self.decomposition, sortable=False)
        charts = QGridLayout()
        charts.addWidget(self.sales_chart, 0, 0)
        charts.addWidget(self.cluster_chart, 0, 1)
        charts.addWidget(self.yoy_chart, 1, 0)
        charts.addWidget(self.decomposition_view, 1, 1)

        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.addLayout(cards)
        body_layout.addLayout(charts, 1)
        self.effects = EffectsPanel(ctx)
        body_layout.addWidget(self.effects)
        self.time_axis = TimeAxisPanel()
        self.time_axis.compute_button.clicked.connect(self.load_time_axis)
        body_layout.addWidget(self.time_axis)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        self.watch(ctx, as_of=True)

    def refresh(self) -> None:
        as_of = self.ctx.as_of
        self.ctx.run(self, lambda shop, p, c: load_dashboard(shop, as_of),
                     lambda loaded: self._show(as_of, loaded))
        self.effects.refresh(as_of)

    def _show(self, as_of: date, loaded: dict) -> None:
        if as_of != self.ctx.as_of:  # the date was changed while this was computed
            return
        self.loaded = loaded
        kpis = loaded["kpis"]
        for key, _caption, kind, _hint in KPI_CARDS:
            self.cards[key].value.setText(kpi_text(kpis.get(key), kind))
        monthly, clusters = loaded["monthly"], loaded["clusters"]
        decomposition = loaded["decomposition"]
        if monthly.empty:
            self.sales_chart.show_message("まだ注文がありません。「取込」タブで注文データを取り込んでください。")
        else:
            self.sales_chart.draw_with(lambda figure: paint_monthly_sales(figure, monthly))
        if int(clusters["customers"].sum()) == 0:
            self.cluster_chart.show_message("購入のあるお客様がまだいません。")
        else:
            self.cluster_chart.draw_with(lambda figure: paint_clusters(figure, clusters))
        if has_yoy(decomposition):
            self.yoy_chart.draw_with(lambda figure: paint_yoy(figure, decomposition))
        else:
            self.yoy_chart.show_message("前年の同じ月の売上がないため、前年比はまだ出せません。\n"
                                        "1年分以上のデータを取り込むと表示されます。")
        self.decomposition.set_frame(_newest_first(marked_running(decomposition)))
        self.time_axis.clear()

    def load_time_axis(self) -> None:
        """Cohorts and entry products number every order, so they run only when asked."""
        as_of = self.ctx.as_of
        self.time_axis.compute_button.setEnabled(False)
        self.ctx.run(self, lambda shop, p, c: (shop.analysis.cohorts(as_of),
                                               shop.analysis.entry_products(as_of),
                                               shop.products.next_products(as_of)),
                     lambda frames: self._show_time_axis(as_of, *frames),
                     label="時間軸と入口商品を集計しています…")

    def _show_time_axis(self, as_of: date, cohorts, entry_products, next_products) -> None:
        if as_of == self.ctx.as_of:
            self.time_axis.show_frames(cohorts, entry_products, next_products, as_of)


def marked_running(decomposition: pd.DataFrame) -> pd.DataFrame:
    """The decomposition as the table shows it: a month not over yet is labelled
    「（集計中）」 and its 前年比 cells say 集計中, never a ratio of half a month."""
    shown = decomposition.astype({c: object for c in YOY_COLUMNS})
    running = ~decomposition["complete"].astype(bool)
    shown.loc[running, "month"] = shown.loc[running, "month"] + RUNNING_MONTH
    shown.loc[running, YOY_COLUMNS] = cell_format.RUNNING
    return shown


def _newest_first(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.iloc[::-1].reset_index(drop=True)
