"""A throwaway PostgreSQL server for the tests of the PostgreSQL store.

``OTOKUI_TEST_POSTGRES`` (a ``postgresql://`` URL of a server where the user may
create databases) is used when set. Otherwise a cluster is made with the server's
own programs (``initdb`` into a temporary folder, ``pg_ctl start`` on a free port
of 127.0.0.1, its socket in that folder, stopped and deleted at the end). The
programs are looked for on PATH, through ``pg_config --bindir``, in Debian's
/usr/lib/postgresql/*/bin and in the ``pgserver`` package (PostgreSQL built into a
wheel). PostgreSQL refuses to run as root: as root the server runs as the
``postgres`` account, or ``nobody``.

Without a server the tests are skipped, unless ``OTOKUI_REQUIRE_POSTGRES=1``
(set by .ci/run), which makes that a failure: CI can never skip them silently.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count
from pathlib import Path

import pytest

URL_ENV = "OTOKUI_TEST_POSTGRES"
REQUIRE_ENV = "OTOKUI_REQUIRE_POSTGRES"
PROGRAMS = ("initdb", "pg_ctl", "postgres")
SERVER_SETTINGS = "-c listen_addresses=127.0.0.1 -c max_connections=400"
# Tests need no durability; benchmarks keep PostgreSQL's (as a shop's server runs).
FAST_SETTINGS = " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
_names = count(1)


def unavailable(reason: str):
    """Skip, or fail when CI requires the server."""
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"PostgreSQL is required ({REQUIRE_ENV}=1) but {reason}", pytrace=False)
    pytest.skip(reason)


def candidate_bindirs() -> list[Path]:
    found = []
    on_path = shutil.which("pg_ctl")
    if on_path:
        found.append(Path(os.path.realpath(on_path)).parent)
    pg_config = shutil.which("pg_config")
    if pg_config:
        result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                                check=False)
        if result.returncode == 0 and result.stdout.strip():
            found.append(Path(result.stdout.strip()))
    found += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    try:
        import pgserver  # only its binaries are used
        found.append(Path(pgserver.__file__).parent / "pginstall" / "bin")
    except ImportError:
        pass
    return [d for d in dict.fromkeys(found) if all((d / p).exists() for p in PROGRAMS)]


def _server_user() -> pwd.struct_passwd | None:
    """The unprivileged account a root process runs the server as (None: not root)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def local_server(durable: bool = False) -> Iterator[str]:
    """Start a throwaway cluster; yield the URL of its ``postgres`` database.
    ``durable``: with PostgreSQL's default fsync and commit settings (benchmarks)."""
    bindirs = candidate_bindirs()
    if not bindirs:
        unavailable("no PostgreSQL server programs (initdb, pg_ctl) were found")
    bindir = bindirs[0]
    user = _server_user()
    if os.geteuid() == 0 and user is None:
        unavailable("running as root with no unprivileged account for the server")
    folder = Path(tempfile.mkdtemp(prefix="otokui-pg-"))
    data = folder / "data"
    run_as = {} if user is None else {"user": user.pw_uid, "group": user.pw_gid,
                                      "extra_groups": []}
    if user is not None:
        os.chown(folder, user.pw_uid, user.pw_gid)
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    started = False
    try:
        subprocess.run([str(bindir / "initdb"), "-D", str(data), "-U", "postgres",
                        "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"],
                       check=True, capture_output=True, env=env, cwd=folder, **run_as)
        port = _free_port()
        result = subprocess.run(
            [str(bindir / "pg_ctl"), "start", "-w", "-t", "60", "-D", str(data),
             "-l", str(folder / "server.log"),
             "-o", f"-p {port} -k {folder} {SERVER_SETTINGS}"
                   + ("" if durable else FAST_SETTINGS)],
            check=False, capture_output=True, env=env, cwd=folder, **run_as)
        if result.returncode != 0:
            log = (folder / "server.log").read_text(errors="replace")
            raise RuntimeError(f"pg_ctl start failed: {result.stderr!r}\n{log}")
        started = True
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres?sslmode=disable"
    finally:
        if started:
            subprocess.run([str(bindir / "pg_ctl"), "stop", "-m", "immediate", "-D", str(data)],
                           check=False, capture_output=True, env=env, cwd=folder, **run_as)
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def server(durable: bool = False) -> Iterator[str]:
    """The server's maintenance URL: from OTOKUI_TEST_POSTGRES, or a local cluster."""
    if os.environ.get(URL_ENV):
        yield os.environ[URL_ENV]
        return
    with local_server(durable) as url:
        yield url


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server (dropped afterwards); yields its URL."""
    import psycopg
    name = f"otokui_test_{os.getpid()}_{next(_names)}"
    url = empty_database(server_url, name)
    try:
        yield url
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def empty_database(server_url: str, name: str) -> str:
    """The database ``name`` on the server made again, empty; its URL."""
    import psycopg
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0')
    return database_url(server_url, name)


def database_url(server_url: str, name: str) -> str:
    """The URL of the database ``name`` on the server of ``server_url``."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo
    params = conninfo_to_dict(server_url)
    params["dbname"] = name
    return _as_url(make_conninfo(**params))


def _as_url(conninfo: str) -> str:
    """``key=value`` connection parameters as a postgresql:// URL."""
    from urllib.parse import quote, urlencode

    from psycopg.conninfo import conninfo_to_dict
    params = conninfo_to_dict(conninfo)
    user = params.pop("user", "")
    password = params.pop("password", None)
    host = params.pop("host", "")
    port = params.pop("port", "")
    dbname = params.pop("dbname", "")
    auth = quote(user, safe="") + (":" + quote(password, safe="") if password else "")
    netloc = (auth + "@" if auth else "") + (host if "/" not in host else "")
    if port:
        netloc += f":{port}"
    if "/" in host:
        params["host"] = host
    query = ("?" + urlencode(params)) if params else ""
    return f"postgresql://{netloc}/{quote(dbname, safe='')}{query}"


class ServerShops:
    """Opens every ``Shop(":memory:")`` on the test server instead (``--store
    postgresql``): each a new database copied from a template with the schema
    (CREATE DATABASE … TEMPLATE, much faster than creating the schema). A shop's
    database is dropped after the test in which the shop was let go (``drop_unused``),
    the rest at the end of the session."""

    TEMPLATE = f"otokui_template_{os.getpid()}"

    def __init__(self, server_url: str):
        self.server_url = server_url
        self.made: list[str] = []
        self.unused: list[str] = []
        self.opened_since_drop = 0

    def _url(self, name: str) -> str:
        return database_url(self.server_url, name)

    def _admin(self, *statements: str) -> None:
        import psycopg
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)

    def new_database(self) -> str:
        name = f"otokui_shop_{os.getpid()}_{next(_names)}"
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.TEMPLATE}"')
        self.made.append(name)
        self.opened_since_drop += 1
        return name

    def drop_unused(self) -> None:
        """Drop the databases of the shops no longer held by anything."""
        if not self.opened_since_drop:
            return
        import gc
        gc.collect()   # a shop and its services refer to each other
        names, self.unused = self.unused, []
        self.opened_since_drop = 0
        self._admin(*(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in names))
        self.made = [name for name in self.made if name not in names]

    @contextmanager
    def redirecting_memory_shops(self) -> Iterator[ServerShops]:
        import weakref

        from engine import shop as shop_module
        from engine.store.pg_database import PostgresDatabase
        self._admin(f'DROP DATABASE IF EXISTS "{self.TEMPLATE}"',
                    f'CREATE DATABASE "{self.TEMPLATE}" ENCODING \'UTF8\' TEMPLATE template0')
        PostgresDatabase(self._url(self.TEMPLATE)).close()
        original = shop_module.Shop.__init__
        servers = self

        def __init__(self, path=None, **kwargs):
            if str(path) == ":memory:":
                name = servers.new_database()
                weakref.finalize(self, servers.unused.append, name)
                path = servers._url(name)
            original(self, path, **kwargs)

        shop_module.Shop.__init__ = __init__
        try:
            yield self
        finally:
            shop_module.Shop.__init__ = original
            for name in [*self.made, self.TEMPLATE]:
                self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
