"""One engine thread runs every engine job, in order."""
import threading

import pytest

from engine.errors import NotFoundError
from gui.engine_thread import EngineThread


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

