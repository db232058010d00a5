"""Progress of a job made of steps reaches the user as one bar from 0 to 1."""
import pytest

from engine.errors import CancelledError
from engine.progress import check_cancel, reporter, wrap_callback


def test_a_step_reports_its_own_range_onto_its_share():
    heard = []
    whole = lambda fraction, message: heard.append((round(fraction, 6), message))  # noqa: E731
    step = wrap_callback(whole, 0.2, 0.6)
    step(0.0, "a")
    step(0.5, "b")
    step(1.0, "c")
    inner = wrap_callback(step, 0.5, 1.0)  # a step of a step
    inner(0.5, "d")
    assert heard == [(0.2, "a"), (0.4, "b"), (0.6, "c"), (0.5, "d")]


def test_no_callback_means_silence():
    reporter(None)(0.5, "nobody listens")
    wrap_callback(None, 0.0, 0.5)(1.0, "nor here")


def test_cancel_raises_only_when_asked():
    check_cancel(None)
    check_cancel(lambda: False)
    with pytest.raises(CancelledError):
        check_cancel(lambda: True)
