"""The window's shop lives on one engine thread: the UI thread cannot use it, ctx.run can."""
import sqlite3
import threading

import pytest

from engine.errors import NotFoundError
from gui.context import AppContext
from gui.engine_thread import EngineThread
from gui.main_window import MainWindow
from gui.recovery import open_shop
from gui.worker import wait_for
from tests.support.engine_side import on_engine

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


@pytest.fixture
def engine():
    engine = EngineThread()
    yield engine
    engine.stop()


def test_jobs_run_in_order_on_one_thread_and_call_waits_for_them(engine):
    seen = []
    for number in range(5):
        engine.submit(lambda number=number: seen.append((number, threading.current_thread())))
    assert engine.call(lambda: len(seen)) == 5
    assert [number for number, _ in seen] == [0, 1, 2, 3, 4]
    assert {thread for _, thread in seen} == {engine._thread} != {threading.current_thread()}


def test_call_raises_the_jobs_error_and_the_thread_goes_on(engine):
    def fail():
        raise NotFoundError("ありません")
    with pytest.raises(NotFoundError, match="ありません"):
        engine.call(fail)
    assert engine.call(lambda: 42) == 42
    assert engine.wait_idle(1) and not engine.busy()


def test_call_from_a_job_is_refused_instead_of_waiting_forever(engine):
    with pytest.raises(RuntimeError, match="wait for itself"):
        engine.call(lambda: engine.call(lambda: 1))


def test_a_stopped_thread_takes_no_more_jobs(engine):
    engine.stop()
    assert not engine._thread.is_alive()
    with pytest.raises(RuntimeError):
        engine.submit(lambda: None)


def survey_ids(qtbot, window):
    """The survey ids, asked through ctx.run as a tab asks."""
    listed = []
    window.ctx.run(window, lambda shop, progress, cancel: [
        s["id"] for s in shop.surveys.list_surveys()], listed.append)
    qtbot.waitUntil(lambda: bool(listed))
    return listed[0]


def test_the_windows_shop_refuses_the_ui_thread_and_answers_through_ctx_run(
        qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("OTOKUI_HOME", str(tmp_path / "home"))
    # Opened as at start-up.
    shop = wait_for(lambda done: open_shop(tmp_path / "shop.db", None, done))
    window = MainWindow(AppContext(shop))
    qtbot.addWidget(window)
    created = []
    with qtbot.waitSignal(window.ctx.data_changed):
        window.ctx.run(window, lambda shop, progress, cancel: shop.surveys.create_from_template(
            "churn_reasons").created, created.append, changes_data=True)
    with pytest.raises(sqlite3.ProgrammingError, match="same thread"):
        shop.surveys.list_surveys()
    assert survey_ids(qtbot, window) == created

    # Opened again through ファイル → 開く.
    with qtbot.waitSignal(window.ctx.shop_changed):
        window.switch_to(tmp_path / "other.db")
    other = window.ctx.shop
    assert other.path == tmp_path / "other.db"
    with pytest.raises(sqlite3.ProgrammingError, match="same thread"):
        other.surveys.list_surveys()
    assert survey_ids(qtbot, window) == []
    window.ctx.close()  # at exit; from the UI thread, closing would raise as well
    for closed in (shop, other):
        with pytest.raises(sqlite3.ProgrammingError, match="closed database"):
            on_engine(lambda: closed.db.scalar("SELECT 1"))


CELL_MESSAGE = "山田 太郎 090-1234-5678 のセルを読めません"


def test_a_failing_job_logs_its_stack_but_not_its_message(qtbot, caplog):
    from PySide6.QtWidgets import QWidget

    from gui.worker import QueryOp, wait_for_worker

    def fail(shop, progress, cancel):
        raise ValueError(CELL_MESSAGE)   # the traceback shows this line, not the message
    failures = []
    parent = QWidget()
    qtbot.addWidget(parent)
    QueryOp(parent, None, fail, failure=failures.append).run_in_background()
    assert wait_for_worker(10000)
    qtbot.waitUntil(lambda: bool(failures))
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "gui.worker")
    assert "builtins.ValueError" in logged and "fail" in logged
    assert "山田" not in logged and "090" not in logged
