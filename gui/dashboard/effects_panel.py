"""施策の効果 on the dashboard: did the follow-up plans work? The customers each plan
followed against those it held out at random (比較用にお休み), by rule and medium:
a forest plot of the difference in buying rates and a compact table beside it."""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QComboBox, QDialog, QFormLayout, QFrame, \
    QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget

from engine.customers.touches import MEDIUM_LABELS
from engine.dates import first_day
from engine.marketing.effects import unmarked
from gui.context import LatestLoad
from gui.dashboard.charts import EFFECT_COLOURS, paint_effects, points, verdict_tone
from gui.widgets import cell_format
from gui.widgets.charts import Chart
from gui.widgets.confirm import ok_cancel
from gui.widgets.table_model import Column, TableModel
from gui.widgets.table_view import table_view

ALL_MONTHS = "all"
ALL_MONTHS_TEXT = "すべての月（合算）"
WINDOWS = (30, 60, 90)
DEFAULT_WINDOW = 60
EMPTY_TEXT = ("比較用にお休みする顧客がいる計画がまだありません。「セグメント・フォロー」タブで"
              "計画を作ると、既定で10%のお客様が比較用にお休みになります。")
EMPTY_TEXT_OFF = ("比較用にお休みする顧客がいる計画がまだありません。いまは比較用にお休みする割合が"
                  "0%です。「セグメント・フォロー」タブの「今月のフォロー」で割合を決めてから"
                  "計画を作ると、フォローの効果をここで確かめられます。")
EXPLANATION = ("フォロー計画を作るとき、対象のお客様の一部を無作為に"
               "「比較用にお休み」にしています。"
               "フォローしたお客様とお休みしたお客様の購入率を比べると、フォローの効果がわかります。"
               "差の95%区間が0をまたぐうちは、偶然の差と区別できません。")
COST_MEDIA = ("dm", "insert", "phone", "email")
COLUMNS = [
    Column("caption", "グループ", "text", 13),
    Column("people", "人数\n対象 / お休み", "text", 7),
    Column("rates", "購入率\n対象 / お休み", "text", 8),
    Column("difference", "差（95%区間）", "text", 14),
    Column("sales", "1人あたり売上\n対象 / お休み", "text", 9),
    Column("extra", "追加\n注文", "text", 4),
    Column("cost_per_extra", "1件あたり\n費用", "text", 5),
    Column("verdict", "判定", "text", 0),
]
NUMBER_COLUMNS = {"people", "rates", "difference", "sales", "extra", "cost_per_extra"}


def month_text(month: str) -> str:
    return ALL_MONTHS_TEXT if month == ALL_MONTHS else f"{month[:4]}年{int(month[5:])}月の計画"


def window_end(month: str, window: int) -> date:
    """The last day counted for a plan month: its first day plus ``window`` − 1 days."""
    return first_day(month) + timedelta(days=window - 1)


def default_month(months: list[str], window: int, as_of: date) -> str:
    """The newest plan whose window is over by the 基準日 (the current month's plan
    has had no time to work yet), else the newest begun, else the newest."""
    for done in (lambda m: window_end(m, window) <= as_of, lambda m: first_day(m) <= as_of):
        for month in months:
            if done(month):
                return month
    return months[0]


def load_effects(shop, choice: str | None, window: int, as_of: date) -> dict:
    """The plan months with a comparison group, the chosen one's report and the costs
    (on the worker thread). A choice no longer there falls back to the default."""
    months = shop.effects.months()
    loaded = {"months": months, "choice": None, "window": window, "report": None,
              "costs": shop.effects.costs(), "share": shop.followups.holdout_settings()["share"]}
    if not months:
        return loaded
    if choice != ALL_MONTHS and choice not in months:
        choice = default_month(months, window, as_of)
    loaded["choice"] = choice
    loaded["report"] = shop.effects.report(pooled_months(months, as_of) if choice == ALL_MONTHS
                                           else choice, window=window, as_of=as_of)
    return loaded


def pooled_months(months: list[str], as_of: date) -> list[str]:
    """The months pooled as 「すべての月」: those begun by the 基準日 (a plan for a
    later month has had no day to work, and would only dilute the figures)."""
    return [m for m in months if first_day(m) <= as_of] or months


def _pair(kind: str, first, second) -> str:
    return f"{cell_format.text(kind, first) or '—'} / {cell_format.text(kind, second) or '—'}"


def shown_rows(report: pd.DataFrame) -> pd.DataFrame:
    """全体, each rule and each medium (clusters repeat the rules), as the chart and
    the table show them."""
    kind = report["group"].str.split(":").str[0]
    rows = report.loc[kind.isin(["all", "rule", "medium"])].copy()
    kind = kind.loc[rows.index]
    rows["section"] = kind.map({"all": 0, "rule": 1, "medium": 2})
    rows["caption"] = [label if k != "medium" else f"手段: {label}"
                       for k, label in zip(kind, rows["label"])]
    rows["people"] = [f"{int(t):,} / {int(c):,}人"
                      for t, c in zip(rows["treated"], rows["control"])]
    rows["rates"] = [_pair("percent", t, c)
                     for t, c in zip(rows["treated_rate"], rows["control_rate"])]
    rows["difference"] = [difference_text(r) for _i, r in rows.iterrows()]
    rows["sales"] = [_pair("yen", t, c)
                     for t, c in zip(rows["sales_per_treated"], rows["sales_per_control"])]
    rows["extra"] = [f"{e:,.1f}件" if pd.notna(e) else "—" for e in rows["extra_orders"]]
    rows["cost_per_extra"] = [cost_text(r) for _i, r in rows.iterrows()]
    # An unfinished window applies to every row alike: the summary says it once.
    rows["verdict"] = rows["verdict"].map(unmarked)
    return rows.reset_index(drop=True)


def difference_text(row) -> str:
    if pd.isna(row["lift"]):
        return "—"
    return (f"{points(row['lift'])}pt（{points(row['lift_low'])}〜"
            f"{points(row['lift_high'])}）")


def cost_text(row) -> str:
    """Yen per extra order; 「—」 without extra orders or without a checked-off touch
    (the cost counts the touches done)."""
    value = row["cost_per_extra_order"]
    if pd.isna(value) or not row["cost"]:
        return "—"
    return cell_format.text("yen", value)


def cost_tooltip(row: dict) -> str:
    """Why the cost per extra order is what it is (or 「—」)."""
    if row.get("extra_orders") is None:
        return "比較できるお客様がいないため、追加の注文は出せません。"
    if row["extra_orders"] <= 0:
        return "追加の注文がないため、1件あたりの費用は出せません。"
    if not row.get("cost"):
        return "消し込み済みのフォローがないため、費用はまだ0円です。"
    return (f"消し込み済みのフォローの費用 {cell_format.text('yen', row['cost'])} ÷ "
            f"追加の注文 {row['extra_orders']:,.1f}件")


class EffectsModel(TableModel):
    """Figures right-aligned, the verdict in its colour (効果あり green, 逆効果 red)."""

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if index.isValid():
            key = self.columns[index.column()].key
            if role == Qt.ItemDataRole.TextAlignmentRole and key in NUMBER_COLUMNS:
                return cell_format.RIGHT
            if role == Qt.ItemDataRole.ToolTipRole and key == "cost_per_extra":
                return cost_tooltip(self.row(index.row()))
            if role == Qt.ItemDataRole.ForegroundRole and key == "verdict":
                tone = verdict_tone(self.value(index.row(), "verdict"))
                return QBrush(QColor(EFFECT_COLOURS[tone]))
        return super().data(index, role)


class CostsDialog(QDialog):
    """費用の設定: yen per touch and medium, for the cost per extra order."""

    def __init__(self, parent, costs: dict):
        super().__init__(parent)
        self.setWindowTitle("費用の設定")
        self.spins: dict[str, QSpinBox] = {}
        form = QFormLayout()
        for medium in COST_MEDIA:
            spin = QSpinBox()
            spin.setRange(0, 100000)
            spin.setSuffix(" 円")
            spin.setGroupSeparatorShown(True)
            spin.setValue(round(costs.get(medium, 0)))
            self.spins[medium] = spin
            form.addRow(f"{MEDIUM_LABELS[medium]} 1件", spin)
        note = QLabel("追加で1件の注文を得るのにかかった費用の計算に使います。"
                      "消し込み済みのフォローの件数 × 1件の費用で計算します。")
        note.setWordWrap(True)
        buttons = ok_cancel(self, "保存")
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.resize(360, self.sizeHint().height())

    def values(self) -> dict[str, int]:
        return {medium: spin.value() for medium, spin in self.spins.items()}


class EffectsPanel(QFrame):
    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.loaded: dict | None = None
        self.rows = pd.DataFrame()
        self._as_of = ctx.as_of
        self._loads = LatestLoad(ctx, self)
        self.setObjectName("effectsPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("#effectsPanel { background: palette(base); border-radius: 6px; }")

        title = QLabel("施策の効果（フォローしたお客様と、比較用にお休みしたお客様の比較）")
        font = title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        title.setFont(font)
        self.month = QComboBox()
        self.month.setMinimumContentsLength(12)
        self.month.currentIndexChanged.connect(self.reload)
        self.window = QComboBox()
        for days in WINDOWS:
            self.window.addItem(f"{days}日以内の購入", days)
        self.window.setCurrentIndex(WINDOWS.index(DEFAULT_WINDOW))
        self.window.currentIndexChanged.connect(self.reload)
        self.costs_button = QPushButton("費用の設定…")
        self.costs_button.clicked.connect(self.edit_costs)
        self.controls = QWidget()
        controls = QHBoxLayout(self.controls)
        controls.setContentsMargins(0, 0, 0, 0)
        controls.addWidget(QLabel("計画の月"))
        controls.addWidget(self.month)
        controls.addWidget(QLabel("期間"))
        controls.addWidget(self.window)
        controls.addWidget(self.costs_button)
        header = QHBoxLayout()
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(self.controls)

        self.empty = QLabel(EMPTY_TEXT)
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet("color: #555555; padding: 12px")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.explanation = QLabel(EXPLANATION)
        self.explanation.setWordWrap(True)
        self.explanation.setStyleSheet("color: palette(mid); font-size: 8pt")
        self.chart = Chart("購入率の差（右にあるほどフォローの効果が大きい）", height=3.6)
        self.model = EffectsModel(COLUMNS, self)
        self.table = table_view(self.model, sortable=False)
        self.table.setWordWrap(True)
        self.body = QWidget()
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.summary)
        body.addWidget(self.chart)
        body.addWidget(self.table)
        body.addWidget(self.explanation)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.empty)
        layout.addWidget(self.body)
        self._set_empty(True)

    # --- loading ------------------------------------------------------------------

    def refresh(self, as_of: date) -> None:
        """Reload for the 基準日 ``as_of`` (the dashboard's refresh)."""
        self._as_of = as_of
        self.reload()

    def reload(self) -> None:
        choice = self.month.currentData()
        window = self.window.currentData() or DEFAULT_WINDOW
        as_of = self._as_of
        self._loads.run(lambda shop: load_effects(shop, choice, window, as_of), self._show)

    def _show(self, loaded: dict) -> None:
        self.loaded = loaded
        months = loaded["months"]
        self._fill_months(months, loaded["choice"])
        if not months:
            self.empty.setText(EMPTY_TEXT if loaded["share"] else EMPTY_TEXT_OFF)
            self.rows = pd.DataFrame()
            self.model.set_frame(pd.DataFrame(columns=[c.key for c in COLUMNS]))
            self._set_empty(True)
            return
        self._set_empty(False)
        self.rows = shown_rows(loaded["report"])
        self.model.set_frame(self.rows)
        # Long rule names wrap; other rows keep the usual height.
        default = self.table.verticalHeader().defaultSectionSize()
        for row in range(self.model.rowCount()):
            self.table.setRowHeight(row, max(default, self.table.sizeHintForRow(row)))
        header = self.table.horizontalHeader()
        self.table.setFixedHeight(header.height() + self.table.verticalHeader().length() + 4)
        self.summary.setText(summary_html(self.rows.iloc[0], loaded["choice"], loaded["window"]))
        self.chart.setMinimumHeight(120 + 26 * len(self.rows))
        rows = self.rows
        self.chart.draw_with(lambda figure: paint_effects(figure, rows))

    def _fill_months(self, months: list[str], choice: str | None) -> None:
        self.month.blockSignals(True)
        self.month.clear()
        for month in months:
            self.month.addItem(month_text(month), month)
        if len(months) > 1:
            self.month.addItem(ALL_MONTHS_TEXT, ALL_MONTHS)
        self.month.setCurrentIndex(max(0, self.month.findData(choice)))
        self.month.blockSignals(False)

    def _set_empty(self, empty: bool) -> None:
        self.empty.setVisible(empty)
        self.body.setVisible(not empty)
        self.controls.setVisible(not empty)

    # --- costs ----------------------------------------------------------------------

    def edit_costs(self) -> None:
        costs = self.loaded["costs"] if self.loaded else {}
        dialog = CostsDialog(self, costs)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        values = dialog.values()
        self.ctx.run(self, lambda shop, p, c: shop.effects.set_costs(**values),
                     lambda _result: self.reload())


def summary_html(row, choice: str, window: int) -> str:
    """The whole shop's result in a sentence, and the verdict in its colour."""
    colour = EFFECT_COLOURS[verdict_tone(row["verdict"])]
    lines = [(f"<b>{month_text(choice)}</b>（計画の月の1日から{window}日以内の購入）: "
              f"フォローしたお客様 {int(row['treated']):,}人の購入率 "
              f"{cell_format.text('percent', row['treated_rate']) or '—'}、"
              f"比較用にお休みしたお客様 {int(row['control']):,}人では "
              f"{cell_format.text('percent', row['control_rate']) or '—'}。")]
    if pd.notna(row["lift"]):
        lines[0] += (f"差 {points(row['lift'])}ポイント（95%区間 {points(row['lift_low'])}〜"
                     f"{points(row['lift_high'])}）。")
    lines.append(f"<span style='color:{colour}; font-weight:bold'>判定: {row['verdict']}</span>")
    if not row["window_complete"]:
        lines.append(f"集計期間（{window}日）がまだ終わっていない計画があります。"
                     "購入したお客様は、これから増えることがあります。")
    return "<br>".join(lines)
