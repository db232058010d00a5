"""Engine jobs off the UI thread (STYLE §3, after Anki's QueryOp).

Every engine call runs on the one engine thread (gui/engine_thread.py), the only
thread that may use the window's shop, while the window stays responsive::

    QueryOp(parent, shop, op=lambda shop, progress, cancel: shop.imports.import_file(path,
            progress=progress, cancel=cancel),
            success=self._show_result).with_progress("取り込み中…").run_in_background()

``progress(fraction, message)`` may be called from the op as often as it likes;
the dialog is updated through a queued signal.  ``cancel()`` returns True once the
user pressed キャンセル; engine calls raise ``CancelledError`` when they see it.
"""
from __future__ import annotations

import logging
import threading
import traceback
from typing import Any, Callable

from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, Qt, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from engine.app.logs import describe_exception
from engine.errors import CancelledError, OtokuiError
from gui.engine_thread import engine_thread

log = logging.getLogger(__name__)


class _Signals(QObject):
    progress = Signal(float, str)
    finished = Signal(object)
    failed = Signal(object, str)
    cancelled = Signal()


class _Job:
    def __init__(self, op: Callable, shop, signals: _Signals, cancel_event: threading.Event):
        self.op = op
        self.shop = shop
        self.signals = signals
        self.cancel_event = cancel_event

    def run(self) -> None:
        try:
            result = self.op(self.shop, self.signals.progress.emit, self.cancel_event.is_set)
        except CancelledError:
            self.signals.cancelled.emit()
        except Exception as exc:  # shown to the user; its stack (not its message) is logged
            text = traceback.format_exc()
            if not isinstance(exc, OtokuiError):
                # A message can quote a customer's data: the log keeps types and stacks.
                log.error("engine job failed\n%s", describe_exception(exc))
            self.signals.failed.emit(exc, text)
        else:
            self.signals.finished.emit(result)


class QueryOp(QObject):
    """Run ``op(shop, progress, cancel)`` on the engine thread, then a callback on the UI thread.

    ``success(result)`` runs on success; ``failure(exc)`` on an error (default: the
    friendly error dialog); ``cancelled()`` when the user cancelled. ``progress(fraction,
    message)`` runs on the UI thread for widgets that show progress themselves.
    ``parent`` may be None before the window exists (start-up); ``shop`` is None for
    jobs that open a shop or build a file.
    """

    def __init__(self, parent: QWidget | None, shop, op: Callable[[Any, Callable, Callable], Any],
                 success: Callable[[Any], None] | None = None,
                 failure: Callable[[BaseException], None] | None = None,
                 cancelled: Callable[[], None] | None = None,
                 progress: Callable[[float, str], None] | None = None):
        # Without a parent the op would be garbage once this call returns, and its
        # callbacks never run: the application keeps it instead.
        super().__init__(parent if parent is not None else QCoreApplication.instance())
        self.parent_widget = parent
        self.shop = shop
        self.op = op
        self.success = success
        self.failure = failure
        self.on_cancelled = cancelled
        self.on_progress = progress
        self.label: str | None = None
        self.cancellable = True
        self.cancel_event = threading.Event()
        self.dialog: QProgressDialog | None = None
        self.signals = _Signals()
        self.running = False

    def with_progress(self, label: str, cancellable: bool = True) -> "QueryOp":
        """Show a progress dialog (after 300 ms); without ``cancellable`` it has no
        キャンセル button, for jobs that cannot stop halfway (opening a database)."""
        self.label = label
        self.cancellable = cancellable
        return self

    def cancel(self) -> None:
        self.cancel_event.set()

    def run_in_background(self) -> "QueryOp":
        if self.label is not None:
            dialog = QProgressDialog(self.label, "キャンセル", 0, 1000, self.parent_widget)
            dialog.setWindowTitle("Otokui")
            dialog.setWindowModality(Qt.WindowModality.WindowModal)
            dialog.setMinimumDuration(300)
            dialog.setAutoClose(False)
            dialog.setAutoReset(False)
            dialog.setValue(0)
            if not self.cancellable:
                dialog.setCancelButton(None)
            dialog.canceled.connect(self.cancel)
            self.dialog = dialog
        self.signals.progress.connect(self._on_progress)
        self.signals.finished.connect(self._on_finished)
        self.signals.failed.connect(self._on_failed)
        self.signals.cancelled.connect(self._on_cancelled)
        self.running = True
        engine_thread().submit(_Job(self.op, self.shop, self.signals, self.cancel_event).run)
        return self

    def _on_progress(self, fraction: float, message: str) -> None:
        if self.on_progress is not None and not self.cancel_event.is_set():
            self.on_progress(fraction, message)
        dialog = self.dialog
        if dialog is not None and not self.cancel_event.is_set():
            # A modal dialog's setValue() processes events, so the job may finish (and
            # this op drop its dialog) in there: keep using the one we started with.
            dialog.setValue(int(max(0.0, min(1.0, fraction)) * 1000))
            if message:
                dialog.setLabelText(message)

    def _close_dialog(self) -> None:
        self.running = False
        if self.dialog is not None:
            self.dialog.canceled.disconnect(self.cancel)
            self.dialog.close()
            self.dialog.deleteLater()
            self.dialog = None

    def _on_finished(self, result) -> None:
        self._close_dialog()
        if self.success is not None:
            self.success(result)

    def _on_failed(self, exc: BaseException, text: str) -> None:
        self._close_dialog()
        if self.failure is not None:
            self.failure(exc)
        else:
            from gui.errors import show_error
            show_error(self.parent_widget, exc, text)

    def _on_cancelled(self) -> None:
        self._close_dialog()
        if self.on_cancelled is not None:
            self.on_cancelled()


def wait_for_worker(timeout_ms: int = 30000) -> bool:
    """Tests: block until queued engine jobs are done."""
    return engine_thread().wait_idle(timeout_ms / 1000)


def wait_for(start: Callable[[Callable[[Any], None]], None]) -> Any:
    """Start-up only, before the window exists: ``start(done)`` begins an asynchronous
    step that calls ``done(result)`` on every outcome; a local event loop runs until it
    does, so the step's dialogs (progress, questions, errors) work meanwhile."""
    loop = QEventLoop()
    results: list = []

    def done(result) -> None:
        results.append(result)
        loop.quit()
    start(done)
    if not results:
        loop.exec()
    return results[0]
