"""The crash hook: a Japanese dialog naming the log folder, details expandable, logged."""
import logging
import sys

import pytest
from PySide6.QtWidgets import QMessageBox

from engine.app.logs import setup_logging
from gui import crash


@pytest.fixture
def shown(monkeypatch):
    """Dialogs that would be shown, without blocking the test on exec()."""
    boxes = []

    def fake_exec(box):
        boxes.append(box)
        return QMessageBox.StandardButton.Ok
    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    return boxes


@pytest.fixture
def log_path(tmp_path):
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield setup_logging(tmp_path / "logs")
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)


CUSTOMER = "佐藤 太郎"  # data, as an exception message might quote it


def _exc_info():
    try:
        raise RuntimeError(f"注文 A-1 の {CUSTOMER} で失敗")
    except RuntimeError:
        return sys.exc_info()


def test_hook_shows_japanese_dialog_with_log_folder(qapp, monkeypatch, shown, log_path):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    crash.install(log_path)
    sys.excepthook(*_exc_info())
    [box] = shown
    assert "予期しないエラー" in box.text()
    assert str(log_path.parent) in box.text()
    assert box.icon() == QMessageBox.Icon.Critical
    details = box.detailedText()
    assert str(log_path) in details
    assert "RuntimeError: 注文 A-1 の 佐藤 太郎 で失敗" in details
    assert "_exc_info" in details


def test_hook_logs_the_stack_without_the_message(qapp, shown, log_path):
    crash.handle_exception(*_exc_info(), log_path)
    text = log_path.read_text("utf-8")
    assert "CRITICAL gui.crash: Unexpected error" in text
    assert "builtins.RuntimeError" in text and "_exc_info" in text
    assert "佐藤" not in text


def test_keyboard_interrupt_is_not_a_crash(qapp, monkeypatch, shown, log_path):
    passed = []
    monkeypatch.setattr(sys, "__excepthook__", lambda *info: passed.append(info[0]))
    crash.handle_exception(KeyboardInterrupt, KeyboardInterrupt(), None, log_path)
    assert passed == [KeyboardInterrupt] and shown == []


def test_failing_dialog_falls_back_to_stderr(qapp, monkeypatch, log_path):
    def broken_exec(box):
        raise RuntimeError("no display")
    monkeypatch.setattr(QMessageBox, "exec", broken_exec)
    passed = []
    monkeypatch.setattr(sys, "__excepthook__", lambda *info: passed.append(info[0]))
    crash.handle_exception(*_exc_info(), log_path)
    assert passed == [RuntimeError]
    assert "Could not show the crash dialog" in log_path.read_text("utf-8")
