import os
import subprocess
import sys

import pytest

import engine
from gui.context import AppContext
from gui.main_window import MainWindow, TABS
from tests.support.engine_side import engine_shop, on_engine
from tests.support.paths import ROOT
from tests.support.sample_shop import settle

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


def test_window_opens_on_today_then_the_seven_tabs_of_the_spec(qtbot):
    ctx = AppContext(engine_shop())
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    titles = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert titles == ["今日の仕事", "ダッシュボード", "取込", "顧客", "セグメント・フォロー",
                      "アンケート", "カスタマージャーニー", "印刷"]
    assert len(TABS) == 8
    assert window.tabs.currentIndex() == 0
    assert "メモリ上のデータベース" in window.windowTitle()


def test_a_tab_is_built_when_first_shown_or_asked_for(qtbot):
    ctx = AppContext(engine_shop())
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    assert window.built_tab("今日の仕事") is window.tabs.widget(0)
    assert [window.built_tab(title) for title, _ in TABS[1:]] == [None] * 7
    ctx.data_changed.emit()
    assert window.built_tab("ダッシュボード") is None
    window.tabs.setCurrentIndex(1)
    dashboard = window.built_tab("ダッシュボード")
    assert dashboard is not None and window.tabs.currentWidget() is dashboard
    customers = window.tab("顧客")
    assert window.tabs.widget(3) is customers and window.tabs.currentIndex() == 1
    assert window.tabs.tabText(3) == "顧客" and window.tabs.count() == 8


def test_worker_runs_op_off_the_ui_thread_and_reports_success(qtbot):
    import threading

    ctx = AppContext(engine_shop())
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    seen = {}

    def op(shop, progress, cancel):
        progress(0.5, "半分")
        return (threading.current_thread() is threading.main_thread(),
                shop.db.scalar("SELECT count(*) FROM customers"))

    with qtbot.waitSignal(ctx.data_changed, timeout=5000):
        ctx.run(window, op, lambda r: seen.update(result=r), label="テスト", changes_data=True)
    assert seen["result"] == (False, 0)


def test_cancelled_op_calls_cancelled_not_success(qtbot):
    from engine.errors import CancelledError
    from gui.worker import QueryOp

    ctx = AppContext(engine_shop())
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    calls = []

    def op(shop, progress, cancel):
        query.cancel()
        if cancel():
            raise CancelledError()
        return 1

    query = QueryOp(window, ctx.shop, op, success=calls.append,
                    cancelled=lambda: calls.append("cancelled"))
    with qtbot.waitSignal(query.signals.cancelled, timeout=5000):
        query.run_in_background()
    assert calls == ["cancelled"]


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("OTOKUI_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def window(qtbot, home):
    window = MainWindow(AppContext(engine_shop()))
    qtbot.addWidget(window)
    yield window
    window.ctx.close()


def menu_texts(window):
    return {menu.title(): [a.text() for a in menu.actions() if not a.isSeparator()]
            for menu in (a.menu() for a in window.menuBar().actions())}


def test_menus_hold_the_file_and_help_commands(window):
    assert menu_texts(window) == {
        "ファイル(&F)": ["データベースを開く…", "新しいデータベース…", "デモのお店を開く",
                        "共有データベースに接続…", "バックアップを作成", "バックアップから復元…", "メールの設定…",
                        "メールの文面…", "同意リストを取り込む…", "終了"],
        "ヘルプ(&H)": ["使い方（毎月の流れ）", "バージョン情報", "ログフォルダを開く"],
    }


def test_the_mail_menu_items_open_their_dialogs(qtbot, window):
    from gui.mail_settings import MailSettingsDialog
    from gui.mail_template_dialog import MailTemplateDialog
    actions = {a.text(): a for a in window.menuBar().actions()[0].menu().actions()}
    for text, kind in (("メールの設定…", MailSettingsDialog), ("メールの文面…", MailTemplateDialog)):
        actions[text].trigger()
        settle(qtbot)
        dialogs = [d for d in window.findChildren(kind) if d.isVisible()]
        assert len(dialogs) == 1
        dialogs[0].done(0)


def test_opening_another_database_rebuilds_the_tabs_and_remembers_it(qtbot, window, tmp_path):
    from gui.startup import database_to_open
    from tests.support.snapshot import SAMPLES

    path = tmp_path / "店" / "shop.db"
    with engine.Shop(path) as shop:
        shop.imports.import_file(SAMPLES / "rakuten" / "rakuten_202507.csv")
    old_tab = window.tab("取込")
    assert database_to_open() is None
    with qtbot.waitSignal(window.ctx.shop_changed):
        window.switch_to(path)
    assert window.tab("取込") is not old_tab
    assert window.windowTitle() == "Otokui（お得意様） — shop.db"
    assert str(path) in window.db_label.text()
    qtbot.waitUntil(lambda: window.counts_label.text() == "顧客 10人　注文 10件")
    qtbot.waitUntil(lambda: window.tab("取込").history.rowCount() == 1)
    assert database_to_open() == path.resolve()


def test_a_file_that_is_not_a_database_is_refused_and_the_shop_stays(qtbot, window, tmp_path,
                                                                     error_dialogs):
    bogus = tmp_path / "memo.db"
    bogus.write_bytes(b"not a database at all" * 100)
    shop = window.ctx.shop
    window.switch_to(bogus)
    qtbot.waitUntil(lambda: bool(error_dialogs))
    assert window.ctx.shop is shop
    assert "memo.db" in error_dialogs.pop()


def test_status_bar_counts_follow_data_changed(qtbot, window):
    from tests.support.snapshot import SAMPLES

    qtbot.waitUntil(lambda: window.counts_label.text() == "顧客 0人　注文 0件")
    shop = window.ctx.shop
    on_engine(lambda: shop.imports.import_file(SAMPLES / "base" / "base_202507.csv"))
    window.ctx.data_changed.emit()
    qtbot.waitUntil(lambda: window.counts_label.text() == "顧客 5人　注文 5件")
    cancelled = on_engine(lambda: shop.db.scalar("SELECT order_no FROM orders LIMIT 1"))
    on_engine(lambda: shop.db.execute("UPDATE orders SET status = 'cancelled' WHERE order_no = ?",
                                      (cancelled,)))
    window.ctx.data_changed.emit()
    # A customer whose only order was cancelled is not counted.
    qtbot.waitUntil(lambda: window.counts_label.text() == "顧客 4人　注文 4件")


def test_keyboard_shortcuts_switch_tabs_and_find_customers(qtbot):
    from PySide6.QtCore import Qt

    window = MainWindow(AppContext(engine_shop()))
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitActive(window):
        window.activateWindow()
    for number in range(1, 9):
        qtbot.keyClick(window, Qt.Key(Qt.Key.Key_0 + number), Qt.KeyboardModifier.ControlModifier)
        assert window.tabs.currentIndex() == number - 1
    window.tabs.setCurrentIndex(0)
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.tabText(window.tabs.currentIndex()) == "顧客"
    assert window.tab("顧客").search.hasFocus()


def test_f1_opens_the_monthly_routine_guide(qtbot):
    from PySide6.QtCore import Qt

    from gui.help_dialog import HelpDialog

    window = MainWindow(AppContext(engine_shop()))
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitActive(window):
        window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_F1)
    guides = [w for w in window.findChildren(HelpDialog) if w.isVisible()]
    assert len(guides) == 1
    text = guides[0].text.toPlainText()
    assert "毎月の流れ" in text and "Ctrl+F" in text and "PDFを保存しただけでは" in text
    guides[0].close()


def test_one_as_of_date_for_every_tab(qtbot):
    """The 基準日 above the tabs: each tab's figures follow it, and 今日 brings it back."""
    from datetime import date

    import pandas as pd
    from PySide6.QtCore import QDate

    from tests.support.sample_shop import sample_shop, settle
    from tests.support.snapshot import SAMPLES

    truth = pd.read_csv(SAMPLES / "truth.csv")
    window = MainWindow(AppContext(sample_shop()))
    qtbot.addWidget(window)
    window.resize(1280, 700)
    window.show()
    bar = window.as_of_bar
    assert bar.date_edit.date().toPython() == date.today() == window.ctx.as_of
    assert not bar.today_button.isEnabled()
    day = date(2025, 8, 31)
    with qtbot.waitSignal(window.ctx.as_of_changed):
        bar.date_edit.setDate(QDate(2025, 8, 31))
    assert window.ctx.as_of == day and bar.today_button.isEnabled()
    settle(qtbot)
    customers = int((truth["first_purchase"] <= day.isoformat()).sum())
    assert 0 < customers < len(truth)
    assert window.tab("今日の仕事").summary.text().startswith("2025-08-31 までの仕事")
    window.tabs.setCurrentWidget(window.tab("ダッシュボード"))
    settle(qtbot)
    assert window.tab("ダッシュボード").loaded["kpis"]["customers"] == customers

    window.tabs.setCurrentWidget(window.tab("顧客"))
    settle(qtbot)
    listed = window.tab("顧客")
    listed.model.show_all()
    assert listed.model.rowCount() == customers
    shop = window.ctx.shop
    # A customer who also bought after the 基準日: the detail counts only what came before.
    later = truth[(truth["first_purchase"] <= "2025-08-31") & (truth["last_purchase"] > "2025-08-31")]
    customer_id = on_engine(lambda: shop.db.scalar(
        "SELECT customer_id FROM orders WHERE name = ? LIMIT 1", (later.iloc[0]["name"],)))
    before = on_engine(lambda: shop.db.query(
        "SELECT count(*) AS n, max(order_date) AS last FROM orders WHERE customer_id = ? "
        "AND status = 'valid' AND order_date <= '2025-08-31'", (customer_id,)))[0]
    listed.detail.show_customer(customer_id)
    settle(qtbot)
    assert listed.detail.figures["purchase_count"].text() == f"{before['n']}回"
    recency = (day - date.fromisoformat(before["last"])).days
    assert listed.detail.figures["recency_days"].text() == f"{recency}日"

    window.tabs.setCurrentWidget(window.tab("セグメント・フォロー"))
    settle(qtbot)
    assert int(window.tab("セグメント・フォロー").clusters.model.frame["customers"].sum()) == customers

    printing = window.tab("印刷")
    window.tabs.setCurrentWidget(printing)
    labels = printing.labels
    for box in labels.cluster_boxes.values():
        box.setChecked(True)
    labels.load_targets()
    settle(qtbot)
    targets_then = labels.model.rowCount()
    # Back to today: every customer has bought by now, and the shown targets reload.
    bar.today_button.click()
    assert window.ctx.as_of == date.today() and not bar.today_button.isEnabled()
    settle(qtbot)
    assert labels.model.rowCount() > targets_then
    window.tabs.setCurrentWidget(window.tab("ダッシュボード"))
    settle(qtbot)
    assert window.tab("ダッシュボード").loaded["kpis"]["customers"] == len(truth)


# What a window may take: 1366×768 less a 40-pixel taskbar, and 1920×1080 at 150 %
# less a 72-pixel taskbar (1280×672 in the scaled pixels widgets are laid out in).
SCREENS = {"1366×768": (1366, 728), "1920×1080 at 150%": (1280, 672)}
# A title bar and frame around the window.
FRAME = (16, 40)


@pytest.fixture
def real_look(qapp):
    """Sizes as the user sees them: the program's font and style (tests otherwise run
    with Qt's defaults, whose narrower fallback font hid a 1,531-pixel window)."""
    from gui.app import setup_application

    font, style = qapp.font(), qapp.style().name()
    setup_application()
    yield
    qapp.setFont(font)
    qapp.setStyle(style)


@pytest.mark.parametrize("screen", SCREENS)
def test_every_tab_fits_a_laptop_screen(qtbot, real_look, screen):
    from PySide6.QtCore import QSize

    from tests.support.sample_shop import sample_shop, settle

    available = QSize(*SCREENS[screen])
    window = MainWindow(AppContext(sample_shop()))
    qtbot.addWidget(window)
    window.show()
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        settle(qtbot)
        needed = window.minimumSizeHint() + QSize(*FRAME)
        assert needed.width() <= available.width(), window.tabs.tabText(index)
        assert needed.height() <= available.height(), window.tabs.tabText(index)


def test_the_first_window_is_sized_from_the_screen(qtbot):
    from PySide6.QtCore import QSize

    from gui.main_window import FRAME_ROOM, initial_size

    assert FRAME_ROOM == QSize(*FRAME)
    assert initial_size(QSize(1366, 728)) == QSize(1280, 688)
    assert initial_size(QSize(1280, 672)) == QSize(1264, 632)
    assert initial_size(QSize(2560, 1400)) == QSize(1280, 820)
    window = MainWindow(AppContext(engine_shop()))
    qtbot.addWidget(window)
    # The offscreen test screen is 800×800: the window asks for no more than fits
    # (its minimum size may still make it wider).
    assert window.height() <= window.screen().availableGeometry().height() - 40


def test_cluster_checkboxes_are_never_cut(qtbot, real_look):
    from tests.support.sample_shop import settle

    window = MainWindow(AppContext(engine_shop()))
    qtbot.addWidget(window)
    # As a maximised window on a 1366×768 screen: the window manager, not the layout,
    # decides the size.
    window.setFixedSize(1366, 728)
    window.show()
    window.tabs.setCurrentWidget(window.tab("印刷"))
    settle(qtbot)
    boxes = window.tab("印刷").labels.cluster_boxes
    assert [box.text() for box in boxes.values()][:2] == ["TOP1%", "TOP10%"]
    for box in boxes.values():
        assert box.isVisible() and box.width() >= box.sizeHint().width(), box.text()


def test_the_as_of_date_does_not_take_the_first_keystrokes(qtbot):
    window = MainWindow(AppContext(engine_shop()))
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitActive(window):
        window.activateWindow()
    assert window.focusWidget() is window.tabs.tabBar()


def test_the_first_screen_does_not_import_matplotlib(tmp_path):
    """Tabs are built when first shown: the window opens on 今日の仕事 without importing
    matplotlib (~0.45 s of start-up), which the ダッシュボード's charts then bring in.
    In a fresh process, as these tests have long imported it."""
    script = """if True:
        import sys
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from gui.context import AppContext
        from gui.main_window import MainWindow
        from tests.support.sample_shop import sample_shop, settle

        class Bot:
            def wait(self, ms):
                app.processEvents()
        window = MainWindow(AppContext(sample_shop()))
        window.show()
        settle(Bot())
        before = 'matplotlib' in sys.modules
        window.tabs.setCurrentWidget(window.tab('ダッシュボード'))
        settle(Bot())
        print(window.tab('今日の仕事').summary.text() != '', before, 'matplotlib' in sys.modules)
        window.ctx.close()
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(QT_QPA_PLATFORM="offscreen", OTOKUI_HOME=str(tmp_path / "home"))
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split()[-3:] == ["True", "False", "True"]
