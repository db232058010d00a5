"""Other desktops hear of a change on a real PostgreSQL server (LISTEN/NOTIFY,
engine/store/server_changes.py): when it commits and only then, never their own,
and after a lost connection as "anything may have changed"."""
from __future__ import annotations

import multiprocessing
import queue
import time

import psycopg
import pytest

from engine.store.server_changes import ChangeListener, ChangeNotice, announce


def _change_elsewhere(url: str, what: str, who: str) -> None:
    """Another desktop: one change, announced inside its transaction, committed."""
    with psycopg.connect(url) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS memo (body text)")
        conn.execute("INSERT INTO memo VALUES ('電話しました')")
        announce(conn, what, who)


def heard(received: queue.Queue, seconds: float = 10.0) -> ChangeNotice | None:
    try:
        return received.get(timeout=seconds)
    except queue.Empty:
        return None


@pytest.fixture
def listener(postgres_url):
    received: queue.Queue = queue.Queue()
    with ChangeListener(postgres_url, received.put) as listening:
        assert listening.listening
        yield listening, received


def test_another_desktops_committed_change_is_heard(postgres_url, listener):
    listening, received = listener
    process = multiprocessing.get_context("spawn").Process(
        target=_change_elsewhere, args=(postgres_url, "tasks", "山田（PC-1）"))
    process.start()
    process.join(60)
    assert process.exitcode == 0
    assert heard(received) == ChangeNotice("tasks", "山田（PC-1）")
    assert listening.generation == 1


def test_a_rolled_back_change_and_this_desktops_own_are_not_heard(postgres_url, listener):
    listening, received = listener
    with psycopg.connect(postgres_url) as conn:
        announce(conn, "orders", "佐藤")
        conn.rollback()
        announce(conn, "orders", "佐藤")      # this program's own notice
        conn.commit()
    assert heard(received, 2.0) is None
    assert listening.generation == 0
    # The same notice from a program that is not this one is heard.
    with psycopg.connect(postgres_url) as conn:
        conn.execute("SELECT pg_notify('otokui_changes', %s)",
                     ('{"sender": "another", "what": "orders", "who": "佐藤"}',))
    assert heard(received) == ChangeNotice("orders", "佐藤")


def test_a_lost_connection_is_reported_as_anything_may_have_changed(postgres_url, listener):
    listening, received = listener
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        killed = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND query LIKE 'LISTEN%%'").fetchall()
    assert killed == [(True,)]
    # Connected again after a pause: told that notices may have been missed.
    assert heard(received, 15.0) == ChangeNotice(reconnected=True)
    deadline = time.monotonic() + 10
    while not listening.listening:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    with psycopg.connect(postgres_url) as conn:
        conn.execute("SELECT pg_notify('otokui_changes', %s)",
                     ('{"sender": "another", "what": "customers"}',))
    assert heard(received) == ChangeNotice("customers")


def test_losing_the_connection_is_told_once_until_it_is_back(postgres_url):
    received: queue.Queue = queue.Queue()
    with ChangeListener(postgres_url, received.put,
                        on_lost=lambda: received.put("lost")) as listening:
        assert listening.listening
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = current_database() AND query LIKE 'LISTEN%%'")
        assert heard(received) == "lost"
        assert heard(received, 15.0) == ChangeNotice(reconnected=True)
    assert received.empty()


def test_a_shops_committed_writes_are_heard_by_the_other_desktops(postgres_url, tmp_path,
                                                                   monkeypatch):
    """Every write transaction of a shop on the server announces itself on commit,
    naming who; one that fails (a refused file) is never heard."""
    from engine import Shop
    from engine.errors import BadFileError
    from engine.store import server_lock
    from tests.support.snapshot import SAMPLES

    monkeypatch.setenv("OTOKUI_HOME", str(tmp_path))
    received: queue.Queue = queue.Queue()
    with Shop(postgres_url) as shop, \
            ChangeListener(postgres_url, received.put, sender="another desktop"):
        while not received.empty():       # opening a new shop wrote its schema
            received.get()
        bad = tmp_path / "bad.csv"
        bad.write_bytes(b"\x00\x01\x02 not an export")
        with pytest.raises(BadFileError):
            shop.imports.import_file(bad)
        assert heard(received, 2.0) is None
        shop.imports.import_file(SAMPLES / "rakuten" / "rakuten_202507.csv")
        notice = heard(received)
        assert notice == ChangeNotice("", server_lock.staff_name())


def test_an_erasure_tells_the_other_desktops(postgres_url, tmp_path, monkeypatch):
    """(They delete the server shop's backups they keep: gui/server_link.py.)"""
    from engine import Shop
    from engine.customers.privacy import ERASURE_NOTICE
    from tests.support.snapshot import SAMPLES

    monkeypatch.setenv("OTOKUI_HOME", str(tmp_path))
    received: queue.Queue = queue.Queue()
    with Shop(postgres_url, staff="山田（PC-1）") as shop:
        shop.imports.import_file(SAMPLES / "rakuten" / "rakuten_202507.csv")
        customer = shop.db.scalar("SELECT min(id) FROM customers")
        with ChangeListener(postgres_url, received.put, sender="another desktop"):
            shop.privacy.delete_customer(customer)
            notices = {heard(received), heard(received)}
    assert notices == {ChangeNotice(ERASURE_NOTICE, "山田（PC-1）"), ChangeNotice("", "山田（PC-1）")}
