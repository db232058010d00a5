"""The main window: seven tabs over one shop (SPEC §5)."""
from __future__ import annotations

import importlib
from typing import Callable

from PySide6.QtWidgets import QLabel, QMainWindow, QTabWidget, QWidget

import engine
from gui.context import AppContext


def _lazy(module: str, name: str) -> Callable[[AppContext], QWidget]:
    def build(ctx: AppContext) -> QWidget:
        return getattr(importlib.import_module(module), name)(ctx)
    return build


def _shop_tab(module: str, name: str) -> Callable[[AppContext], QWidget]:
    """Tabs written against a bare ``shop`` refresh on ``data_changed``."""
    def build(ctx: AppContext) -> QWidget:
        tab = getattr(importlib.import_module(module), name)(ctx.shop)
        ctx.data_changed.connect(tab.refresh)
        return tab
    return build


# (title, factory). Tabs take the AppContext and refresh on ctx.data_changed.
TABS: list[tuple[str, Callable[[AppContext], QWidget]]] = [
    ("ダッシュボード", _lazy("gui.tabs.dashboard_tab", "DashboardTab")),
    ("取込", _lazy("gui.tabs.import_tab", "ImportTab")),
    ("顧客", _lazy("gui.tabs.customers_tab", "CustomersTab")),
    ("セグメント・フォロー", _lazy("gui.tabs.followup_tab", "FollowupTab")),
    ("アンケート", _shop_tab("gui.tabs.surveys_tab", "SurveysTab")),
    ("カスタマージャーニー", _shop_tab("gui.tabs.journey_tab", "JourneyTab")),
    ("印刷", _lazy("gui.tabs.printing_tab", "PrintingTab")),
]


class MainWindow(QMainWindow):
    def __init__(self, ctx: AppContext):
        super().__init__()
        self.ctx = ctx
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.setCentralWidget(self.tabs)
        self.status = QLabel()
        self.statusBar().addPermanentWidget(self.status)
        self.resize(1280, 820)
        ctx.shop_changed.connect(self.build_tabs)
        self.build_tabs()

    def build_tabs(self) -> None:
        """(Re)create every tab for the current shop, e.g. after opening another file."""
        current = self.tabs.currentIndex()
        while self.tabs.count():
            widget = self.tabs.widget(0)
            self.tabs.removeTab(0)
            widget.deleteLater()
        for title, factory in TABS:
            self.tabs.addTab(_build_or_placeholder(factory, self.ctx), title)
        self.tabs.setCurrentIndex(max(current, 0))
        path = self.ctx.shop.path
        self.setWindowTitle(f"Otokui（お得意様） {engine.__version__} — {path or 'メモリ上のデータベース'}")

    def tab(self, title: str) -> QWidget:
        for index in range(self.tabs.count()):
            if self.tabs.tabText(index) == title:
                return self.tabs.widget(index)
        raise KeyError(title)


def _build_or_placeholder(factory, ctx) -> QWidget:
    try:
        return factory(ctx)
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("gui.tabs."):
            raise
        return QLabel("この画面は準備中です。")
