import pytest

import engine
from gui.context import AppContext
from gui.main_window import MainWindow, TABS

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


def test_window_has_the_seven_tabs_of_the_spec(qtbot):
    ctx = AppContext(engine.Shop(":memory:"))
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    titles = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert titles == ["ダッシュボード", "取込", "顧客", "セグメント・フォロー",
                      "アンケート", "カスタマージャーニー", "印刷"]
    assert len(TABS) == 7
    assert "メモリ上のデータベース" in window.windowTitle()


def test_worker_runs_op_off_the_ui_thread_and_reports_success(qtbot):
    import threading

    ctx = AppContext(engine.Shop(":memory:"))
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

    ctx = AppContext(engine.Shop(":memory:"))
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
