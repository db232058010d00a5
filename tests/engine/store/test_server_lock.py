"""The server's lock for big changes (engine/store/server_lock.py), held by other
processes on a real PostgreSQL server: the second desktop is told who does what
since when, or waits for them; a killed holder frees it; a restore waits its turn."""
from __future__ import annotations

import multiprocessing
import re
import time
from datetime import datetime

import psycopg
import pytest

from engine.errors import CancelledError
from engine.store import server_lock
from engine.store.server_backups import ServerBackups
from engine.store.server_lock import BusyError, held
from engine.store.transfer import migrate
from tests.support.survey_shop import build_shop


def _hold(url: str, activity: str, who: str, ready, release) -> None:
    """Another desktop: take the lock, say so, keep it until told (or killed)."""
    with held(url, activity, who):
        ready.set()
        release.wait(60)


@pytest.fixture
def other_desktop(postgres_url):
    """Start another process holding the lock as 山田 importing; yields the process
    and the event that makes it let go."""
    context = multiprocessing.get_context("spawn")
    ready, release = context.Event(), context.Event()
    process = context.Process(target=_hold, args=(postgres_url, "取込", "山田（PC-1）", ready,
                                                  release), daemon=True)
    process.start()
    assert ready.wait(60), "the other desktop never took the lock"
    yield process, release
    if process.is_alive():
        # (Never after a kill: the event's own lock may have died with the process.)
        release.set()
        process.join(10)
    if process.is_alive():
        process.kill()
    process.join(10)


def test_the_second_desktop_is_told_who_does_what_since_when(postgres_url, other_desktop):
    with pytest.raises(BusyError) as caught:
        with held(postgres_url, "復元", "佐藤（PC-2）"):
            pass
    message = str(caught.value)
    match = re.fullmatch(r"山田（PC-1）が取込をしています（(\d\d):(\d\d)から）。"
                         r"終わってから、もう一度お試しください。", message)
    assert match, message
    now = datetime.now()
    assert abs((now.hour * 60 + now.minute) - (int(match[1]) * 60 + int(match[2]))) <= 1
    with psycopg.connect(postgres_url) as conn:
        found = server_lock.holder(conn)
    assert (found.activity, found.who) == ("取込", "山田（PC-1）")


def test_waiting_ends_when_the_other_desktop_is_done(postgres_url, other_desktop):
    process, release = other_desktop
    messages = []
    started = time.monotonic()
    # The other desktop finishes a second from now.
    threading_timer = __import__("threading").Timer(1.0, release.set)
    threading_timer.start()
    with held(postgres_url, "復元", "佐藤（PC-2）", wait=True,
              progress=lambda f, m: messages.append(m)):
        waited = time.monotonic() - started
        with psycopg.connect(postgres_url) as conn:
            assert server_lock.holder(conn).who == "佐藤（PC-2）"
    assert waited >= 1.0
    assert messages[0] == messages[0].split("。")[0] + "。終わるのを待っています…"
    assert messages[0].startswith("山田（PC-1）が取込をしています（")


def test_waiting_can_be_cancelled(postgres_url, other_desktop):
    polls = []
    with pytest.raises(CancelledError):
        with held(postgres_url, "復元", wait=True, cancel=lambda: polls.append(1) or len(polls) > 3):
            pytest.fail("the lock was held by the other desktop")


def test_a_killed_holder_frees_the_lock_at_once(postgres_url, other_desktop):
    process, _ = other_desktop
    process.kill()
    process.join(10)
    deadline = time.monotonic() + 10
    while True:
        try:
            with held(postgres_url, "取込", "佐藤（PC-2）"):
                break
        except BusyError:
            # The server notices the closed connection within moments.
            assert time.monotonic() < deadline, "the lock outlived its holder"
            time.sleep(0.1)


def test_a_restore_is_refused_while_another_desktop_imports(postgres_url, tmp_path,
                                                             other_desktop):
    path = tmp_path / "tiny.db"
    build_shop(path).close()
    migrate(path, postgres_url)
    backups = ServerBackups(postgres_url, tmp_path / "backups")
    made = backups.create("手動")
    with psycopg.connect(postgres_url) as conn:
        conn.execute("UPDATE orders SET amount = 1 WHERE id = 1")
    with pytest.raises(BusyError, match="山田（PC-1）が取込をしています"):
        backups.restore(made.path)
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT amount FROM orders WHERE id = 1").fetchone()[0] == 1
    assert [b.reason for b in backups.list()] == ["手動"]


def test_any_staff_name_travels_intact(postgres_url):
    """Quotes, percent signs, comment ends and Japanese survive the trip."""
    name = '佐藤 "さっちゃん" 100% */ 本店'
    with held(postgres_url, "取込", name):
        with psycopg.connect(postgres_url) as conn:
            found = server_lock.holder(conn)
    assert (found.activity, found.who) == ("取込", name)
    with psycopg.connect(postgres_url) as conn:
        assert server_lock.holder(conn) is None


def test_the_lock_is_free_the_moment_the_work_ends(postgres_url):
    """One desktop importing file after file: the next import never finds the lock
    still held by the last (whose server process may outlive close() a moment)."""
    for _ in range(30):
        with held(postgres_url, "取込", "山田（PC-1）"):
            pass
        with held(postgres_url, "取込", "山田（PC-1）"):
            pass
