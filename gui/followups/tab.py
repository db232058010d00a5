"""セグメント・フォロー: clusters, the month's follow-up tasks, the TOP1% list, the rules
and the products' purchase cycles."""
from __future__ import annotations

from PySide6.QtWidgets import QDoubleSpinBox, QGroupBox, QHBoxLayout, QLabel, QPushButton, \
    QTabWidget, QVBoxLayout, QWidget

from engine.analysis.rfm import CLUSTER_LABELS
from gui.followups.cycles import CyclesPage
from gui.followups.rules import RulesPage
from gui.followups.tasks import TasksPage
from gui.widgets import cell_format
from gui.widgets.charts import Chart
from gui.widgets.cluster_chart import paint_clusters
from gui.widgets.lazy_refresh import RefreshOnShow
from gui.widgets.table_model import Column, TableModel
from gui.widgets.table_view import table_view

SUMMARY_COLUMNS = [
    Column("label", "クラスター", "text", 8),
    Column("customers", "顧客数", "int", 6),
    Column("sales", "売上", "yen", 8),
    Column("share", "売上構成比", "percent", 6),
]
TOP1_COLUMNS = [
    Column("customer_id", "顧客番号", "int", 4),
    Column("name", "氏名", "text", 7),
    Column("kana", "フリガナ", "text", 8),
    Column("phone", "電話番号", "phone", 8),
    Column("email", "メールアドレス", "text", 0),
    Column("purchase_count", "購入回数", "int", 4),
    Column("total_amount", "累計購入額", "yen", 6),
    Column("last_purchase", "最終購入日", "date", 6),
    Column("recency_days", "経過日数", "days", 5),
]
RANKS = ("top1", "top10", "top20")
CLUSTER_NOTES = ("クラスターは重なりません。TOP10%はTOP1%を除いた残り、TOP20%はTOP10%を除いた残りです。"
                 "TOP20%に入らないお客様は購入回数で「1回購入」「2〜3回購入」「4回以上購入」に分かれます。"
                 "1回購入のお客様を2回目の購入につなげることが売上を伸ばす近道です。")


class ClusterPage(QWidget):
    """Customers and sales per cluster, and the TOP percentages that define the ranks."""

    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.model = TableModel(SUMMARY_COLUMNS, self)
        self.view = table_view(self.model, sortable=False)
        self.total = QLabel()
        self.spins: dict[str, QDoubleSpinBox] = {}
        ranks = QHBoxLayout()
        for name in RANKS:
            spin = QDoubleSpinBox()
            spin.setRange(0.1, 100)
            spin.setDecimals(1)
            spin.setSingleStep(1)
            spin.setSuffix(" %")
            self.spins[name] = spin
            ranks.addWidget(QLabel(f"{CLUSTER_LABELS[name]}: 上位"))
            ranks.addWidget(spin)
            ranks.addSpacing(12)
        self.save_button = QPushButton("割合を保存")
        self.save_button.clicked.connect(self.save_percentages)
        ranks.addWidget(self.save_button)
        ranks.addStretch(1)
        box = QGroupBox("ランクの割合（累計購入額の多い順に上位何％か）")
        box.setLayout(ranks)
        header = self.view.horizontalHeader()
        self.view.setFixedSize(header.length() + 4, header.height() + 6 * self.view.
                               verticalHeader().defaultSectionSize() + 4)
        notes = QLabel(CLUSTER_NOTES)
        notes.setWordWrap(True)
        self.chart = Chart("クラスター別の顧客数と売上構成比")
        left = QVBoxLayout()
        left.addWidget(self.view)
        left.addWidget(self.total)
        left.addWidget(notes)
        left.addStretch(1)
        body = QHBoxLayout()
        body.addLayout(left)
        body.addWidget(self.chart, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(box)
        layout.addLayout(body, 1)

    def refresh(self) -> None:
        as_of = self.ctx.as_of
        self.ctx.run(self, lambda shop, p, c: (shop.segments.summary(as_of),
                                               shop.segments.percentages()), self._show)

    def _show(self, loaded) -> None:
        summary, percentages = loaded
        self.model.set_frame(summary)
        for name, spin in self.spins.items():
            spin.setValue(float(percentages[name]))
        customers, sales = summary["customers"].sum(), summary["sales"].sum()
        self.total.setText(f"購入のあるお客様 {cell_format.text('int', customers)}人、"
                           f"売上合計 {cell_format.text('yen', sales)}")
        if int(customers):
            self.chart.draw_with(lambda figure: paint_clusters(figure, summary))
        else:
            self.chart.show_message("購入のあるお客様がまだいません。")

    def save_percentages(self) -> None:
        values = {name: _number(spin.value()) for name, spin in self.spins.items()}
        self.ctx.run(self, lambda shop, p, c: shop.segments.set_percentages(values),
                     changes_data=True)


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 1)


class Top1Page(QWidget):
    """TOP1% customers, for individual handling (a call, a handwritten letter …)."""

    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.model = TableModel(TOP1_COLUMNS, self)
        self.view = table_view(self.model)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("TOP1%のお客様は一人ひとりに合わせて対応します"
                                "（お礼の電話、手書きの手紙、新商品の先行案内など）。"))
        layout.addWidget(self.view, 1)

    def refresh(self) -> None:
        as_of = self.ctx.as_of
        self.ctx.run(self, lambda shop, p, c: shop.followups.top1_list(as_of),
                     self.model.set_frame)


class FollowupTab(RefreshOnShow, QWidget):
    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.clusters = ClusterPage(ctx)
        self.tasks = TasksPage(ctx)
        self.top1 = Top1Page(ctx)
        self.rules = RulesPage(ctx)
        self.cycles = CyclesPage(ctx)
        self.pages = QTabWidget()
        self.pages.addTab(self.clusters, "クラスター")
        self.pages.addTab(self.tasks, "今月のフォロー")
        self.pages.addTab(self.top1, "TOP1% 個別対応")
        self.pages.addTab(self.rules, "フォロールール")
        self.pages.addTab(self.cycles, "購入サイクル")
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        self.watch(ctx, as_of=True)

    def refresh(self) -> None:
        for page in (self.clusters, self.tasks, self.top1, self.rules, self.cycles):
            page.refresh()
