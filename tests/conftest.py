"""Shared by every test; imports no Qt, so the engine tests run without it.

Tests that do use Qt (the GUI, the printing commands) draw offscreen.
"""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _plans_hold_no_one_out_unless_asked(monkeypatch):
    """The hand-computed plans everywhere count every targeted customer as planned;
    a test of the comparison group (比較用にお休み) asks for a share explicitly."""
    monkeypatch.setattr("engine.marketing.holdout.DEFAULT_SHARE", 0.0)


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server for the session (tests/support/postgres.py): its
    maintenance URL. Skipped without one, unless OTOKUI_REQUIRE_POSTGRES=1."""
    from tests.support.postgres import server
    with server() as url:
        yield url


@pytest.fixture
def postgres_url(postgres_server):
    """The URL of a new, empty database on that server, dropped after the test."""
    from tests.support.postgres import fresh_database
    with fresh_database(postgres_server) as url:
        yield url


@pytest.fixture(scope="module")
def postgres_module_url(postgres_server):
    """A new, empty database for a module's tests to share, dropped after them."""
    from tests.support.postgres import fresh_database
    with fresh_database(postgres_server) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_shop(request):
    """An empty shop in each store (SQLite in memory; PostgreSQL: a new database on
    the test server), for the engine tests that must hold in both."""
    from engine import Shop
    if request.param == "sqlite":
        if request.config.getoption("--store") == "postgresql":
            pytest.skip("the run on PostgreSQL opens every shop there")
        yield Shop(":memory:")
        return
    with Shop(request.getfixturevalue("postgres_url")) as shop:
        yield shop


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "sqlite_only(reason): the test is about the SQLite file itself (pages, "
                   "PRAGMAs, the file's backups); skipped when the suite runs on PostgreSQL")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--store") != "postgresql":
        return
    for item in items:
        marker = item.get_closest_marker("sqlite_only")
        if marker is not None:
            reason = marker.args[0] if marker.args else marker.kwargs.get("reason", "")
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {reason}"))


def pytest_addoption(parser):
    parser.addoption(
        "--store", choices=("sqlite", "postgresql"), default="sqlite",
        help="the store the engine tests' shops live in: SQLite in memory (default) or, "
             "with postgresql, a new database on the test server for every Shop(':memory:')")


@pytest.fixture(scope="session", autouse=True)
def _shops_on_the_chosen_store(request):
    """With ``--store postgresql`` every ``Shop(":memory:")`` of the tests opens a new,
    empty database on the test server instead (created from a template that already
    holds the schema), so the whole engine suite runs on the PostgreSQL store."""
    if request.config.getoption("--store") != "postgresql":
        yield None
        return
    from tests.support.postgres import ServerShops
    server_url = request.getfixturevalue("postgres_server")
    with ServerShops(server_url).redirecting_memory_shops() as shops:
        yield shops


@pytest.fixture(autouse=True)
def _drop_the_databases_of_shops_let_go(_shops_on_the_chosen_store):
    """With ``--store postgresql``: after each test, the databases of the shops that
    nothing holds any more are dropped (the server's disk stays small)."""
    yield
    if _shops_on_the_chosen_store is not None:
        _shops_on_the_chosen_store.drop_unused()
