"""印刷: DM address labels and target lists, and insert lists for new orders (SPEC §5–6)."""
from __future__ import annotations

from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from gui.printing.insert_list_page import InsertListPage
from gui.printing.label_targets_page import LabelTargetsPage
from gui.widgets.lazy_refresh import RefreshOnShow


class PrintingTab(RefreshOnShow, QWidget):
    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.labels = LabelTargetsPage(ctx)
        self.inserts = InsertListPage(ctx)
        self.pages = QTabWidget()
        self.pages.addTab(self.labels, "宛名ラベル・対象者リスト")
        self.pages.addTab(self.inserts, "同梱物リスト")
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        self.watch(ctx)

    def refresh(self) -> None:
        self.labels.refresh()
