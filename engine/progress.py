"""Progress and cancel for long engine jobs (after Orange's callbacks).

A long job takes ``progress(fraction, message)`` to report how far it is (0…1)
and ``cancel()``, which returns True once the user asked to stop; the job then
raises CancelledError, having changed nothing. A job made of steps hands each
step ``wrap_callback(progress, start, end)``, so the step reports its own 0…1
and the user sees one bar going from 0 to 1.
"""
from __future__ import annotations

from typing import Callable

from engine.errors import CancelledError

Progress = Callable[[float, str], None]
Cancel = Callable[[], bool]


def _silent(fraction: float, message: str) -> None:
    """Reports to no one."""


def reporter(progress: Progress | None) -> Progress:
    """``progress``, or a callback that ignores what it is told."""
    return progress if progress is not None else _silent


def wrap_callback(progress: Progress | None, start: float, end: float) -> Progress:
    """A callback mapping a step's own 0…1 onto ``start``…``end`` of ``progress``."""
    report = reporter(progress)

    def step(fraction: float, message: str) -> None:
        report(start + (end - start) * fraction, message)
    return step


def check_cancel(cancel: Cancel | None) -> None:
    """Raise CancelledError if the user asked to stop."""
    if cancel is not None and cancel():
        raise CancelledError()
