"""The main window: 今日の仕事 and the seven tabs over one shop (SPEC §5), the menus and
the status bar.

Files or folders dropped anywhere on the window go to the 取込 tab.

A tab is built the first time it is shown (or asked for through ``tab()``): until
then it is an empty placeholder. The window opens on 今日の仕事, and building the
others at once would import what only they need (matplotlib for the charts of
ダッシュボード and セグメント・フォロー, ~0.45 s) before the first screen.
"""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Callable

import shiboken6
from PySide6.QtCore import QEvent, QObject, QSize, Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QDropEvent, QKeySequence
from PySide6.QtWidgets import (QApplication, QFileDialog, QLabel, QMainWindow, QMessageBox,
                               QTabWidget, QVBoxLayout, QWidget)

import engine
from engine.errors import OtokuiError
from engine.store.paths import log_dir
from gui import state
from gui.context import AppContext
from gui.errors import show_error
from gui.server_connect import MENU_LABEL as SERVER_MENU_LABEL
from gui.server_connect import ServerPlace
from gui.server_link import ConnectionBanner, ServerLink
from gui.widgets.as_of_bar import AsOfBar

APP_TITLE = "Otokui（お得意様）"
DB_FILTER = "Otokuiデータベース (*.db);;すべてのファイル (*)"
IMPORT_TAB = "取込"
CUSTOMERS_TAB = "顧客"
TODAY_TAB = "今日の仕事"


def _lazy(module: str, name: str) -> Callable[[AppContext], QWidget]:
    def build(ctx: AppContext) -> QWidget:
        return getattr(importlib.import_module(module), name)(ctx)
    return build


# (title, factory). Tabs take the AppContext and refresh on ctx.data_changed.
TABS: list[tuple[str, Callable[[AppContext], QWidget]]] = [
    (TODAY_TAB, _lazy("gui.today.tab", "TodayTab")),
    ("ダッシュボード", _lazy("gui.dashboard.tab", "DashboardTab")),
    (IMPORT_TAB, _lazy("gui.importing.tab", "ImportTab")),
    (CUSTOMERS_TAB, _lazy("gui.customers.tab", "CustomersTab")),
    ("セグメント・フォロー", _lazy("gui.followups.tab", "FollowupTab")),
    ("アンケート", _lazy("gui.surveys.tab", "SurveysTab")),
    ("カスタマージャーニー", _lazy("gui.journeys.tab", "JourneyTab")),
    ("印刷", _lazy("gui.printing.tab", "PrintingTab")),
]

# Customers with a valid order, as in the 顧客 tab (not those who only cancelled).
CUSTOMERS_SQL = ("SELECT count(*) FROM customers c WHERE c.deleted_at IS NULL AND EXISTS "
                 "(SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.status = 'valid')")
ORDERS_SQL = "SELECT count(*) FROM orders WHERE status = 'valid'"
_DRAG_EVENTS = (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop)
PREFERRED_SIZE = QSize(1280, 820)
# availableGeometry leaves out the taskbar but not the window's own title bar and frame.
FRAME_ROOM = QSize(16, 40)


def initial_size(available: QSize) -> QSize:
    """The preferred size, or less on a small screen (a 1366×768 laptop, or 1920×1080
    at 150 %, which leaves 1280×672 after the taskbar)."""
    return PREFERRED_SIZE.boundedTo(available - FRAME_ROOM)


def dropped_paths(mime) -> list[Path]:
    """Local files and folders carried by a drag (URLs from a browser are ignored)."""
    if mime is None or not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


class MainWindow(QMainWindow):
    def __init__(self, ctx: AppContext):
        super().__init__()
        self.ctx = ctx
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self._built: dict[str, QWidget] = {}
        self.tabs.currentChanged.connect(self._tab_shown)
        self.as_of_bar = AsOfBar(ctx)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.banner = ConnectionBanner()
        layout.addWidget(self.banner)
        layout.addWidget(self.as_of_bar)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.db_label = QLabel()
        self.db_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.counts_label = QLabel()
        # Who on another PC changed the shared database (gui/server_link.py).
        self.notice_label = QLabel()
        self.notice_label.setContentsMargins(0, 0, 16, 0)
        self.statusBar().addWidget(self.db_label, 1)
        self.statusBar().addPermanentWidget(self.notice_label)
        self.statusBar().addPermanentWidget(self.counts_label)
        self._build_menus()
        self.resize(initial_size(self.screen().availableGeometry().size()))
        self.setAcceptDrops(True)
        # Widgets that take drops themselves (text fields, lists) would swallow files
        # dropped on them; the filter sends files to the import tab from anywhere.
        QApplication.instance().installEventFilter(self)
        ctx.shop_changed.connect(self.build_tabs)
        ctx.data_changed.connect(self.refresh_status)
        self.server_link: ServerLink | None = None
        ctx.shop_changed.connect(self._watch_server)
        self._watch_server()
        self.build_tabs()
        # The 基準日 field is the first in the window: focused, a stray keystroke
        # would change every figure.
        self.tabs.tabBar().setFocus()
        self.refresh_status()

    # -- tabs ---------------------------------------------------------------------------
    def build_tabs(self) -> None:
        """(Re)create the tabs for the current shop, e.g. after opening another file: a
        placeholder for each, and the real tab for the one on screen."""
        current = self.tabs.currentIndex()
        blocked = self.tabs.blockSignals(True)
        try:
            while self.tabs.count():
                widget = self.tabs.widget(0)
                self.tabs.removeTab(0)
                # At once, not deleteLater: the old tabs must not refresh against the closed shop.
                shiboken6.delete(widget)
            self._built.clear()
            for title, _factory in TABS:
                self.tabs.addTab(QWidget(), title)
            self.tabs.setCurrentIndex(max(current, 0))
        finally:
            self.tabs.blockSignals(blocked)
        self._build_at(self.tabs.currentIndex())
        self._show_location()

    def _show_location(self) -> None:
        """The window title and the status bar name the database (and on a shared one,
        who works here)."""
        shop = self.ctx.shop
        if self.ctx.on_server:
            place = ServerPlace.of(shop.db.url)
            self.setWindowTitle(f"{APP_TITLE} — 共有: {place.title}（{shop.staff}）")
            self.db_label.setText(f"共有データベース: {place.host}:{place.port}/{place.dbname}"
                                  f"　担当: {shop.staff}")
            return
        path = shop.path
        self.setWindowTitle(f"{APP_TITLE} — {path.name if path else 'メモリ上のデータベース'}")
        self.db_label.setText(f"データベース: {path or 'メモリ上（保存されません）'}")

    def location_text(self) -> str:
        if self.ctx.on_server:
            place = ServerPlace.of(self.ctx.shop.db.url)
            return f"共有: {place.host}:{place.port}/{place.dbname}"
        return str(self.ctx.shop.path or "メモリ上")

    # -- a shared database --------------------------------------------------------------
    def _watch_server(self) -> None:
        """A ServerLink for a shop on a server (gui/server_link.py); none for a file."""
        self.stop_watching_server()
        if self.ctx.on_server:
            self.server_link = ServerLink(self.ctx, self, self.banner, self.notice_label).start()

    def stop_watching_server(self) -> None:
        if self.server_link is not None:
            self.server_link.stop()
            self.server_link.deleteLater()
            self.server_link = None
        self.banner.hide()

    def connect_server(self) -> None:
        """ファイル → 共有データベースに接続…: the dialog; once connected, its shop in
        the window, and the one opened at the next start."""
        from gui.server_connect import ask_and_connect
        from gui.startup import remember_database
        if self._importing():
            return
        # The fields filled in for the shop open now, or the one used last.
        url = self.ctx.shop.db.url if self.ctx.on_server else state.load().get("server")
        connected = ask_and_connect(self, url)
        if connected is not None:
            shop, url = connected
            self.ctx.set_shop(shop)
            remember_database(url)

    def tab(self, title: str) -> QWidget:
        """The tab called ``title``, built now if it was not yet."""
        for index, (name, _factory) in enumerate(TABS):
            if name == title:
                return self._build_at(index)
        raise KeyError(title)

    def built_tab(self, title: str) -> QWidget | None:
        """The tab called ``title`` if it was built, else None (without building it)."""
        return self._built.get(title)

    def _build_at(self, index: int) -> QWidget:
        """The real tab at ``index``, put in place of its placeholder on first use.

        It is inserted before the placeholder, made current if the placeholder was,
        and the placeholder removed: no other tab is shown (and refreshed) meanwhile.
        It loads its data when shown, like any tab (gui/widgets/lazy_refresh.py).
        """
        title, factory = TABS[index]
        if title in self._built:
            return self._built[title]
        widget = factory(self.ctx)
        self._built[title] = widget
        placeholder = self.tabs.widget(index)
        current = self.tabs.currentIndex()
        blocked = self.tabs.blockSignals(True)
        try:
            self.tabs.insertTab(index, widget, title)
            if current == index:
                self.tabs.setCurrentIndex(index)
            self.tabs.removeTab(index + 1)
        finally:
            self.tabs.blockSignals(blocked)
        shiboken6.delete(placeholder)
        if title == TODAY_TAB:
            widget.customer_requested.connect(self.show_customer)
            widget.mail_settings_requested.connect(self.mail_settings)
        return widget

    def _tab_shown(self, index: int) -> None:
        if index >= 0:
            self._build_at(index)

    # -- status bar ---------------------------------------------------------------------
    def refresh_status(self) -> None:
        """Customer and order counts and the newest order's date, read on the worker so
        a running job never blocks us."""
        def count(shop, progress, cancel):
            return (shop.db.scalar(CUSTOMERS_SQL), shop.db.scalar(ORDERS_SQL),
                    shop.analysis.newest_order_date())
        self.ctx.run(self, count, self._show_counts)

    def _show_counts(self, counts: tuple) -> None:
        customers, orders, newest = counts
        self.counts_label.setText(f"顧客 {customers:,}人　注文 {orders:,}件")
        self.as_of_bar.show_newest_order(newest)

    # -- drag and drop ------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if dropped_paths(event.mimeData()):
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:
        if dropped_paths(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = dropped_paths(event.mimeData())
        if not paths:
            return
        event.acceptProposedAction()
        importer = self.tab(IMPORT_TAB)
        self.tabs.setCurrentWidget(importer)
        importer.import_paths(paths)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (event.type() in _DRAG_EVENTS and isinstance(watched, QWidget)
                and watched is not self and watched.window() is self
                and dropped_paths(event.mimeData())):
            {QEvent.Type.DragEnter: self.dragEnterEvent, QEvent.Type.DragMove: self.dragMoveEvent,
             QEvent.Type.Drop: self.dropEvent}[event.type()](event)
            return True
        return super().eventFilter(watched, event)

    def closeEvent(self, event) -> None:
        # At exit the shop closes after the queued engine jobs: a running import stops at
        # its next step (rolled back) rather than keep the program going unseen.
        importer = self.built_tab(IMPORT_TAB)
        if importer is not None:
            importer.cancel()
        self.stop_watching_server()
        super().closeEvent(event)

    # -- menus --------------------------------------------------------------------------
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("ファイル(&F)")
        self._action(file_menu, "データベースを開く…", self.open_database, QKeySequence.StandardKey.Open)
        self._action(file_menu, "新しいデータベース…", self.new_database, QKeySequence.StandardKey.New)
        self._action(file_menu, "デモのお店を開く", self.open_demo)
        self._action(file_menu, SERVER_MENU_LABEL, self.connect_server)
        file_menu.addSeparator()
        self._action(file_menu, "バックアップを作成", self.create_backup)
        self._action(file_menu, "バックアップから復元…", self.restore_backup)
        file_menu.addSeparator()
        self._action(file_menu, "メールの設定…", self.mail_settings)
        self._action(file_menu, "メールの文面…", self.mail_templates)
        self._action(file_menu, "同意リストを取り込む…", self.import_consents)
        file_menu.addSeparator()
        self._action(file_menu, "終了", self.close, QKeySequence.StandardKey.Quit)
        help_menu = self.menuBar().addMenu("ヘルプ(&H)")
        self._action(help_menu, "使い方（毎月の流れ）", self.show_guide, QKeySequence.StandardKey.HelpContents)
        self._action(help_menu, "バージョン情報", self.show_about)
        # Ctrl+1 … Ctrl+8 for the tabs, Ctrl+F for customer search, from anywhere.
        for number in range(1, len(TABS) + 1):
            self._shortcut(f"Ctrl+{number}",
                           lambda _checked=False, index=number - 1: self.tabs.setCurrentIndex(index))
        self._shortcut(QKeySequence.StandardKey.Find, self.find_customer)
        self._action(help_menu, "ログフォルダを開く", self.open_log_folder)

    def _shortcut(self, keys, slot) -> None:
        action = QAction(self)
        action.setShortcut(QKeySequence(keys))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        self.addAction(action)

    def show_customer(self, customer_id: int) -> None:
        """Open one customer in the 顧客 tab (a double-click in 今日の仕事)."""
        customers = self.tab(CUSTOMERS_TAB)
        self.tabs.setCurrentWidget(customers)
        customers.select_customer(customer_id)

    def find_customer(self) -> None:
        customers = self.tab(CUSTOMERS_TAB)
        self.tabs.setCurrentWidget(customers)
        customers.search.setFocus()
        customers.search.selectAll()

    def show_guide(self) -> None:
        from gui.help_dialog import HelpDialog
        HelpDialog(self).show()

    def _action(self, menu, text: str, slot, shortcut=None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def open_database(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "データベースを開く", self._folder(), DB_FILTER)
        if name:
            self.switch_to(Path(name))

    def new_database(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, "新しいデータベース", str(Path(self._folder()) / "otokui.db"), DB_FILTER,
            options=QFileDialog.Option.DontConfirmOverwrite)
        if not name:
            return
        path = Path(name)
        if path.exists():
            show_error(self, OtokuiError(f"{path.name} はすでにあります。別の名前にするか、"
                                         "「データベースを開く…」で開いてください。"))
            return
        self.switch_to(path)

    def open_demo(self) -> None:
        from gui.startup import open_demo

        def built(path: Path | None) -> None:
            if path is not None:
                self.switch_to(path)
        open_demo(self, built)

    def switch_to(self, path: Path) -> None:
        """Open (or create) the database at ``path`` on the engine thread, then rebuild
        every tab for it (``shop_changed``); the current shop stays if it cannot open."""
        from gui.recovery import check_in_background, open_shop
        from gui.startup import remember_database
        if self.ctx.shop.path is not None and path.resolve() == self.ctx.shop.path.resolve():
            return
        if self._importing():
            return

        def opened(shop) -> None:
            if shop is not None:
                self.ctx.set_shop(shop)
                remember_database(path)
                check_in_background(self.ctx, self)
        open_shop(path, self, opened)

    def _importing(self) -> bool:
        """A running import would send its remaining files to the new database (said to
        the user); other long jobs keep a modal progress dialog up, which keeps the menu
        out of reach."""
        importer = self.built_tab(IMPORT_TAB)
        if importer is not None and importer.busy():
            show_error(self, OtokuiError("処理中です。終わってから開き直してください。"))
            return True
        return False

    def _folder(self) -> str:
        path = self.ctx.shop.path
        return str(path.parent) if path else str(Path.home())

    def create_backup(self) -> None:
        from gui.backup_dialog import create_backup
        create_backup(self, self.ctx)

    def restore_backup(self) -> None:
        from gui.backup_dialog import BackupDialog
        BackupDialog(self, self.ctx).open()

    def mail_settings(self) -> None:
        from gui.mail_settings import open_mail_settings
        open_mail_settings(self, self.ctx)

    def mail_templates(self) -> None:
        from gui.mail_template_dialog import open_mail_templates
        open_mail_templates(self, self.ctx)

    def import_consents(self) -> None:
        from gui.consent_import import import_consents
        import_consents(self, self.ctx)

    def show_about(self) -> None:
        import PySide6
        QMessageBox.about(
            self, "バージョン情報",
            f"<b>{APP_TITLE}</b> バージョン {engine.__version__}<br>"
            "通販ショップのための顧客管理（既存顧客CRM）<br><br>"
            f"データベース: {self.location_text()}<br>"
            f"Qt {PySide6.__version__}・フォント IPAexゴシック（IPAフォントライセンス）")

    def open_log_folder(self) -> None:
        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
