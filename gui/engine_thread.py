"""The one thread that owns the window's shop: it opens it, runs every engine job, closes it.

The shop's SQLite connection keeps SQLite's default ``check_same_thread``, so an
engine call made on the UI thread raises ``sqlite3.ProgrammingError`` at once
instead of freezing the window behind an import. Jobs run one at a time in the
order they were queued, so a job queued after another sees everything it wrote.
The thread lives as long as the program: a shop opened on it can only be used on it.
"""
from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future
from typing import Callable, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

_STOP = object()


class EngineThread:
    """A thread with a queue of jobs; see the module docstring."""

    def __init__(self):
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._unfinished = 0
        self._idle = threading.Condition()
        self._stopped = False
        # A daemon, so a test or a crash that never stops it cannot keep the process alive;
        # the application stops it itself once the shop is closed (gui/app.py).
        self._thread = threading.Thread(target=self._loop, name="otokui-engine", daemon=True)
        self._thread.start()

    def submit(self, job: Callable[[], None]) -> None:
        """Queue ``job``; it must handle its own errors (QueryOp reports them to the user)."""
        with self._idle:
            if self._stopped:
                raise RuntimeError("the engine thread has been stopped")
            self._unfinished += 1
        self._jobs.put(job)

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn()`` on the engine thread after the queued jobs, wait, and return its result
        (or raise its error). For start-up, exit and tests: a tab uses ``ctx.run``, since
        waiting here freezes the window for as long as the queue takes."""
        if self.is_current():
            raise RuntimeError("call() on the engine thread would wait for itself")
        future: Future = Future()

        def job() -> None:
            try:
                future.set_result(fn())
            except BaseException as exc:  # noqa: BLE001 — raised again in the caller
                future.set_exception(exc)
        self.submit(job)
        return future.result()

    def is_current(self) -> bool:
        return threading.current_thread() is self._thread

    def busy(self) -> bool:
        with self._idle:
            return self._unfinished > 0

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until every queued job has finished; False if ``timeout`` seconds passed first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._unfinished == 0, timeout)

    def stop(self) -> None:
        """Finish the queued jobs, then end the thread (at exit, after the shop is closed)."""
        with self._idle:
            if self._stopped:
                return
            self._stopped = True
        self._jobs.put(_STOP)
        self._thread.join()

    def _loop(self) -> None:
        while (job := self._jobs.get()) is not _STOP:
            try:
                job()
            except BaseException:  # noqa: BLE001 — one broken job must not end the thread
                log.exception("engine job failed")
            finally:
                with self._idle:
                    self._unfinished -= 1
                    self._idle.notify_all()


_engine: EngineThread | None = None


def engine_thread() -> EngineThread:
    """The program's engine thread, started on first use (from the UI thread)."""
    global _engine
    if _engine is None:
        _engine = EngineThread()
    return _engine
