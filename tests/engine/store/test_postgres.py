"""Connecting to a PostgreSQL shop (engine/store/postgres.py): what a server that is down,
a missing database or a missing file is called; TLS preferred and the password from the
credential store; the test server's skip-or-fail rule."""
import pytest

from engine.store import postgres
from engine.store.transfer import MigrationError, migrate
from tests.support.survey_shop import build_shop


def test_a_server_that_is_down_is_named_with_what_to_do(tmp_path):
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Bound but not listening: nothing answers on the port.
    path = tmp_path / "tiny.db"
    build_shop(path).close()
    with pytest.raises(postgres.ServerUnavailableError) as caught:
        migrate(path, f"postgresql://otokui@127.0.0.1:{port}/shop")
    assert str(caught.value).startswith(
        f"PostgreSQLサーバー 127.0.0.1:{port} に接続できません。サーバーが起動しているか、"
        "サーバー名とポート番号、ファイアウォールの設定を確認してから、もう一度お試しください。")


def test_a_missing_database_and_a_missing_source_are_said_plainly(postgres_server, tmp_path):
    _, target = postgres.parse(postgres_server)
    url = f"postgresql://{target.user}@{target.host}:{target.port}/no_such_shop"
    with pytest.raises(postgres.ServerUnavailableError) as caught:
        postgres.connect(url)
    assert str(caught.value) == (
        f"PostgreSQLサーバー {target.where} にデータベース「no_such_shop」がありません。"
        "サーバーで作成してから（例: createdb）、もう一度お試しください。")
    with pytest.raises(MigrationError, match="移行元のファイル gone.db がありません"):
        migrate(tmp_path / "gone.db", tmp_path / "copy.db")


def test_the_url_gets_tls_preferred_and_the_password_from_the_credential_store(monkeypatch):
    class FakeKeyring:
        @staticmethod
        def get_password(service, user):
            return {("Otokui PostgreSQL", "shop@nas.local:5433/otokui"): "secret"}.get(
                (service, user))
    monkeypatch.setattr(postgres, "_keyring", lambda: FakeKeyring)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    seen = {}

    class Recording:
        @staticmethod
        def connect(**params):
            seen.update(params)

    monkeypatch.setattr(postgres, "_connection_class", lambda: Recording)
    postgres.connect("postgresql://shop@nas.local:5433/otokui")
    assert (seen["sslmode"], seen["password"], seen["host"], seen["port"]) == (
        "prefer", "secret", "nas.local", "5433")
    seen.clear()
    postgres.connect("postgresql://shop:given@nas.local:5433/otokui?sslmode=require")
    assert (seen["sslmode"], seen["password"]) == ("require", "given")
    assert postgres.describe("postgresql://shop:given@nas.local:5433/otokui") == \
        "postgresql://shop@nas.local:5433/otokui"


def test_without_a_server_the_tests_skip_unless_ci_requires_it(monkeypatch):
    from tests.support import postgres as support
    monkeypatch.delenv(support.REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="no server here"):
        support.unavailable("no server here")
    monkeypatch.setenv(support.REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception,
                       match="PostgreSQL is required \\(OTOKUI_REQUIRE_POSTGRES=1\\) but no server here"):
        support.unavailable("no server here")


def test_a_connection_let_go_unclosed_ends_its_session_quietly(postgres_url):
    """(A shop dropped without close(), its services and connection garbage together.)"""
    import gc
    import time

    import psycopg
    conn = postgres.connect(postgres_url)
    pid = conn.info.backend_pid
    cycle = {"conn": conn}
    cycle["self"] = cycle
    del conn, cycle
    gc.collect()
    with psycopg.connect(postgres_url) as other:
        deadline = time.monotonic() + 10
        while other.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s",
                            (pid,)).fetchone()[0]:
            assert time.monotonic() < deadline, "the session outlived its connection"
            time.sleep(0.05)
