"""宛名ラベル・対象者リスト: choose who gets a DM, then print labels or the list."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QGridLayout, QGroupBox,
                               QHBoxLayout, QLabel, QLineEdit, QMessageBox, QPushButton,
                               QSpinBox, QStackedWidget, QVBoxLayout, QWidget)

from engine.analysis.rfm import CLUSTER_LABELS, CLUSTERS
from engine.errors import OtokuiError
from engine.marketing.dm_targets import NO_CYCLES
from engine.printing.label_layout import barcode_points
from engine.text import format_postal
from gui.errors import show_error
from gui.printing import label_sheet_dialog
from gui.printing.dialogs import add_buttons, preview, print_pages, save_pdf
from gui.widgets.confirm import confirm
from gui.widgets.file_dialogs import save_path
from gui.widgets.table_model import Column, TableModel
from gui.widgets.table_view import table_view

TARGET_COLUMNS = [
    Column("customer_id", "顧客番号", "int", 4),
    Column("name", "氏名", "text", 7),
    Column("kana", "フリガナ", "text", 8),
    Column("postal_code", "郵便番号", "text", 5),
    Column("address", "住所", "text", 0),
    Column("phone", "電話番号", "phone", 8),
    Column("cluster", "クラスター", "cluster", 6),
    Column("recency_days", "経過日数", "days", 4),
    Column("purchase_count", "回数", "int", 3),
    Column("total_amount", "累計購入額", "yen", 5),
]
WAYS = [("clusters", "クラスターで選ぶ"), ("due", "購入サイクル（買い替え時期・時期超過）"),
        ("followups", "月のDMフォロー（未完了）"), ("ids", "顧客番号を指定")]


class LabelTargetsPage(QWidget):
    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.selection = None
        self.selection_month = None  # the follow-up month the selection came from

        self.way = QComboBox()
        for key, text in WAYS:
            self.way.addItem(text, key)
        self.cluster_boxes = {code: QCheckBox(CLUSTER_LABELS[code]) for code in CLUSTERS}
        clusters = QWidget()
        row = QHBoxLayout(clusters)
        row.setContentsMargins(0, 0, 0, 0)
        for box in self.cluster_boxes.values():
            row.addWidget(box)
        self.month = QLineEdit(date.today().strftime("%Y-%m"))
        self.month.setPlaceholderText("YYYY-MM")
        self.ids = QLineEdit()
        self.ids.setPlaceholderText("例: 12 35 108（空白またはカンマ区切り）")
        self.way_inputs = QStackedWidget()
        for widget in (clusters, QLabel("最後に買った商品の消費サイクルを過ぎたお客様"),
                       self.month, self.ids):
            self.way_inputs.addWidget(widget)
        self.way.currentIndexChanged.connect(self.way_inputs.setCurrentIndex)
        self.show_button = QPushButton("対象を表示")
        self.show_button.clicked.connect(self.load_targets)
        self.summary = QLabel("対象を選んで「対象を表示」を押してください。")
        self.summary.setWordWrap(True)

        self.sheet = QComboBox()
        self.sheet.setMinimumContentsLength(18)
        self.sheet.currentIndexChanged.connect(self._sheet_changed)
        self.start = QSpinBox(minimum=1, maximum=12)
        self.start.setToolTip("使いかけの用紙では、最初に印刷するラベルの位置（左上から横へ 1, 2, …）")
        self.offset_x = QDoubleSpinBox(minimum=-10, maximum=10, decimals=1, singleStep=0.1,
                                       suffix=" mm")
        self.offset_y = QDoubleSpinBox(minimum=-10, maximum=10, decimals=1, singleStep=0.1,
                                       suffix=" mm")
        for box in (self.offset_x, self.offset_y):
            box.setToolTip("印刷がずれるときの補正。右・下へずらすならプラスの値。")
            box.editingFinished.connect(self.save_offset)
        add_sheet = QPushButton("用紙を登録…")
        add_sheet.clicked.connect(self.add_sheet)
        # Printing or saving a PDF is not mailing: a DM counts as sent only when the
        # user says so (it once marked 263 follow-ups done for a PDF saved by default).
        self.record_button = QPushButton("発送したDMを記録…")
        self.record_button.setToolTip("印刷したラベルのDMを発送したら押してください。"
                                      "接触履歴に残し、今月のDMフォローを完了にします。")
        self.record_button.clicked.connect(self.record_sent)
        self.record_button.setEnabled(False)
        self.outlines = QCheckBox("ラベルの枠線も印刷する（試し刷り用）")
        self.outlines.setToolTip("白紙に試し刷りして、ラベルの位置を確かめるときに使います。"
                                 "枠線付きの印刷は発送の記録に使えません。")
        self.barcode_note = QLabel()
        self.barcode_note.setWordWrap(True)

        self.model = TableModel(TARGET_COLUMNS, self)
        self.view = table_view(self.model)

        choose = QGroupBox("対象")
        grid = QGridLayout(choose)
        grid.addWidget(self.way, 0, 0)
        grid.addWidget(self.way_inputs, 0, 1)
        grid.addWidget(self.show_button, 0, 2)
        grid.addWidget(self.summary, 1, 0, 1, 3)
        grid.setColumnStretch(1, 1)

        # The choice, the label settings and the list each get a box of their own, the
        # choice above the other two: side by side they needed a 1,500-pixel window.
        paper = QGroupBox("宛名ラベル")
        grid = QGridLayout(paper)
        grid.addWidget(QLabel("用紙"), 0, 0)
        grid.addWidget(self.sheet, 0, 1, 1, 3)
        grid.addWidget(add_sheet, 0, 4)
        grid.addWidget(QLabel("開始位置"), 0, 5)
        grid.addWidget(self.start, 0, 6)
        grid.addWidget(QLabel("印刷位置の補正"), 1, 0)
        grid.addWidget(QLabel("横"), 1, 1)
        grid.addWidget(self.offset_x, 1, 2)
        grid.addWidget(QLabel("縦"), 1, 3)
        grid.addWidget(self.offset_y, 1, 4)
        grid.addWidget(self.outlines, 2, 0, 1, 7)
        grid.addWidget(self.barcode_note, 3, 0, 1, 7)
        label_buttons = QHBoxLayout()
        add_buttons(label_buttons, [("印刷プレビュー…", self.preview_labels),
                                    ("印刷…", self.print_labels),
                                    ("PDFに保存…", lambda: self.save_labels_pdf())])
        label_buttons.addStretch(1)
        label_buttons.addWidget(self.record_button)
        grid.addLayout(label_buttons, 4, 0, 1, 7)
        grid.setColumnStretch(7, 1)
        target_list = QGroupBox("対象者リスト")
        list_buttons = QVBoxLayout(target_list)
        add_buttons(list_buttons, [("印刷プレビュー…", self.preview_list),
                                   ("PDFに保存…", lambda: self.save_list_pdf()),
                                   ("Excel・CSVに保存…", lambda: self.export_list())])
        list_buttons.addStretch(1)

        layout = QVBoxLayout(self)
        layout.addWidget(choose)
        below = QHBoxLayout()
        below.addWidget(paper, 1)
        below.addWidget(target_list)
        layout.addLayout(below)
        layout.addWidget(self.view, 1)
        # Clusters, R values and purchase cycles of the shown targets are as of the 基準日.
        ctx.as_of_changed.connect(self._as_of_changed)

    def _as_of_changed(self) -> None:
        if self.selection is not None:
            self.load_targets()

    # --- settings ------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload the sheets and the stored offset (they live in the shop's settings)."""
        def loaded(result):
            sheets, offset = result
            current = self.sheet.currentData()
            self.sheet.blockSignals(True)
            self.sheet.clear()
            for sheet in sheets:
                self.sheet.addItem(sheet.name, sheet)
            index = next((i for i, s in enumerate(sheets) if current and s.id == current.id),
                         next(i for i, s in enumerate(sheets) if s.id == "a4-12"))
            self.sheet.setCurrentIndex(index)
            self.sheet.blockSignals(False)
            self._sheet_changed()
            self.offset_x.setValue(offset[0])
            self.offset_y.setValue(offset[1])

        self.ctx.run(self, lambda shop, p, c: (shop.printing.sheets.all(),
                                               shop.printing.sheets.offset()), loaded)

    def _sheet_changed(self) -> None:
        sheet = self.sheet.currentData()
        if sheet is None:
            return
        self.start.setMaximum(sheet.per_page)
        points = barcode_points(sheet.label_width)
        if points is None:
            self.barcode_note.setText("この用紙は幅が狭いため、カスタマバーコードは印刷しません"
                                      "（幅 68mm 以上のラベルが必要です）。")
        else:
            self.barcode_note.setText(f"カスタマバーコードは {points:g}ポイントで印刷します。")

    def save_offset(self) -> None:
        x, y = self.offset_x.value(), self.offset_y.value()
        self.ctx.run(self, lambda shop, p, c: shop.printing.sheets.set_offset(x, y))

    def add_sheet(self) -> None:
        dialog = label_sheet_dialog.LabelSheetDialog(self, self.sheet.currentData())
        if dialog.exec():
            data = dialog.values()
            self.ctx.run(self, lambda shop, p, c: shop.printing.sheets.save_custom(data),
                         lambda sheet: self.refresh())

    # --- targets -------------------------------------------------------------------

    def choice(self) -> dict:
        """The engine arguments for what the user chose."""
        way = self.way.currentData()
        if way == "clusters":
            return {"clusters": [c for c, box in self.cluster_boxes.items() if box.isChecked()]}
        if way == "due":
            return {"due": True}
        if way == "followups":
            return {"followup_month": self.month.text().strip()}
        words = self.ids.text().replace(",", " ").replace("、", " ").split()
        if not all(w.isdigit() for w in words):
            raise OtokuiError("顧客番号は数字で、空白かカンマで区切って入力してください。")
        return {"customer_ids": [int(w) for w in words]}

    def load_targets(self) -> None:
        try:
            choice = self.choice()
        except OtokuiError as exc:
            show_error(self, exc)
            return

        def targets(shop, progress, cancel):
            if choice.get("due") and not shop.products.cycles_known():
                return None   # nobody can be due: said so below, not as an empty list
            return shop.printing.targets(**choice, as_of=as_of)

        def shown(selection):
            self.selection = selection
            self.selection_month = choice.get("followup_month")
            self.record_button.setEnabled(False)
            if selection is None:
                self.model.set_frame(pd.DataFrame(columns=[c.key for c in TARGET_COLUMNS]))
                self.summary.setText(NO_CYCLES)
                return
            shown_postal = selection.targets["postal_code"].map(format_postal).str.lstrip("〒")
            self.model.set_frame(selection.targets.assign(postal_code=shown_postal))
            if choice.get("due") and selection.targets.empty and selection.skipped.empty:
                self.summary.setText(f"基準日（{as_of.year}年{as_of.month}月{as_of.day}日）の時点で、最後に買った商品の"
                                     "消費サイクルを過ぎたお客様はいません。")
            else:
                self.summary.setText(selection.summary())

        as_of = self.ctx.as_of
        self.ctx.run(self, targets, shown, label="対象を選んでいます…")

    def _targets(self):
        if self.selection is None or self.selection.targets.empty:
            show_error(self, OtokuiError("先に対象を選んで「対象を表示」を押してください。"))
            return None
        return self.selection

    # --- output --------------------------------------------------------------------

    def _with_label_pages(self, then) -> None:
        selection = self._targets()
        if selection is None:
            return
        sheet_id, start = self.sheet.currentData().id, self.start.value()
        offset = (self.offset_x.value(), self.offset_y.value())
        outlines = self.outlines.isChecked()
        self.ctx.run(self, lambda shop, p, c: shop.printing.label_pages(
            selection.targets, sheet_id, start, offset, outlines, p, c),
            lambda pages: then(selection, pages), label="ラベルを配置しています…")

    def _labels_made(self, selection, printed: bool) -> None:
        """Labels for ``selection`` were printed or saved: they may now be recorded as
        sent; right after printing on paper the user is asked."""
        if self.outlines.isChecked() or selection is not self.selection:
            return   # a trial print on blank paper, or labels of an earlier choice
        self.record_button.setEnabled(True)
        if printed:
            self.record_sent(f"印刷したラベル {len(selection.targets)}枚のDMを発送しますか？\n")
        else:
            self.summary.setText(f"{selection.summary()}。発送したら「発送したDMを記録…」を"
                                 "押してください（PDFの保存だけでは記録しません）。")

    def record_sent(self, question: str = "") -> None:
        """After the user confirms: a DM touch for everyone the labels reach, and the
        month's DM follow-ups checked off."""
        selection, month = self.selection, self.selection_month
        if selection is None:
            return
        what = (f"{len(selection.customer_ids)}名の接触履歴にDM送付を記録"
                + (f"し、{month}のDMフォローを完了に" if month else "") + "します。")
        if not confirm(self, f"{question}DMを発送したときだけ記録してください。\n{what}",
                       "発送したので記録する"):
            return

        def recorded(count: int) -> None:
            self.record_button.setEnabled(False)
            self.summary.setText(f"{selection.summary()}。{count}名の接触履歴にDM送付を記録しました。")
        self.ctx.run(self, lambda shop, p, c: shop.printing.record_dm(
            selection, followup_month=month), recorded, changes_data=True)

    def preview_labels(self) -> None:
        def shown(selection, pages):
            if preview(self, pages, "宛名ラベル"):
                self._labels_made(selection, printed=True)
        self._with_label_pages(shown)

    def print_labels(self) -> None:
        def chosen(selection, pages):
            if print_pages(self, pages, "宛名ラベル"):
                self._labels_made(selection, printed=True)
        self._with_label_pages(chosen)

    def save_labels_pdf(self, path: Path | None = None) -> None:
        def chosen(selection, pages):
            target = path or save_path(self, "宛名ラベルをPDFに保存", "宛名ラベル.pdf",
                                           "PDF (*.pdf)")
            if target is not None:
                save_pdf(self.ctx, self, pages, target, "宛名ラベル",
                         lambda: self._labels_made(selection, printed=False))
        self._with_label_pages(chosen)

    def _with_list_pages(self, then) -> None:
        selection = self._targets()
        if selection is not None:
            self.ctx.run(self, lambda shop, p, c: shop.printing.target_list_pages(
                selection.targets), then)

    def preview_list(self) -> None:
        self._with_list_pages(lambda pages: preview(self, pages, "DM対象者リスト"))

    def save_list_pdf(self, path: Path | None = None) -> None:
        def chosen(pages):
            target = path or save_path(self, "対象者リストをPDFに保存", "DM対象者リスト.pdf",
                                           "PDF (*.pdf)")
            if target is not None:
                save_pdf(self.ctx, self, pages, target, "DM対象者リスト")
        self._with_list_pages(chosen)

    def export_list(self, path: Path | None = None) -> None:
        selection = self._targets()
        if selection is None:
            return
        target = path or save_path(self, "対象者リストを保存", "DM対象者リスト.xlsx",
                                       "Excel (*.xlsx);;CSV (*.csv)")
        if target is not None:
            self.ctx.run(self, lambda shop, p, c: shop.printing.export_target_list(
                selection.targets, target),
                lambda _none: QMessageBox.information(self, "Otokui", f"{target.name} に保存しました。")
                if path is None else None)
