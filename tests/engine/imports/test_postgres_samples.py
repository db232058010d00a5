"""The sample files imported into a shop on a real PostgreSQL server give exactly
what they give in SQLite: every row of the data and summary tables, the customer
table as of the samples' day (and truth.csv's figures), and the undo of each
import in reverse restores each earlier state of the PostgreSQL shop."""
from __future__ import annotations

import pandas as pd
import pytest

from engine import Shop
from engine.errors import CancelledError
from engine.store import pg_triggers
from engine.store.schema import DEFERRABLE_INDEXES
from tests.support.layouts import AS_OF, DROPS, import_dropped, paths
from tests.support.snapshot import SAMPLES, figures, meta, sample_files

# Every table an import writes, compared row by row (ordered by their keys).
COMPARED = {
    "customers": "id", "identity_keys": "id", "identity_separations": "id",
    "customer_merges": "id", "orders": "id", "order_lines": "id", "products": "id",
    "settings": "key", "customer_figures": "customer_id", "month_figures": "month",
    "customer_month_figures": "customer_id, month", "figures_dirty_customers": "customer_id",
    "figures_dirty_months": "month", "pending_parts": "id",
}
# Clock times of the run itself, not of the data.
CLOCK_COLUMNS = {"created_at", "kept_at"}


def rows(shop: Shop, table: str, order: str) -> list[dict]:
    found = shop.db.query(f"SELECT * FROM {table} ORDER BY {order}")
    return [{k: v for k, v in row.items() if k not in CLOCK_COLUMNS} for row in found]


def state(shop: Shop) -> dict[str, list[dict]]:
    return {table: rows(shop, table, order) for table, order in COMPARED.items()}


def imports(shop: Shop) -> list[tuple]:
    return [(r["file_name"], r["source"], r["rows_read"], r["orders_added"], r["orders_updated"],
             r["orders_unchanged"], r["lines"], r["customers_added"], r["errors"])
            for r in shop.db.query("SELECT * FROM imports ORDER BY id")]


@pytest.mark.parametrize("folder", [SAMPLES, SAMPLES / "messy"], ids=["samples", "messy"])
def test_samples_import_into_postgresql_as_into_sqlite(folder, postgres_url):
    files = sample_files(folder)
    as_of = meta(folder)["as_of"]
    lite = Shop(":memory:")
    with Shop(postgres_url) as server:
        for path in files:
            assert server.imports.import_file(path).summary() == \
                lite.imports.import_file(path).summary()
        assert state(server) == state(lite)
        assert imports(server) == imports(lite)
        assert server.db.scalar("SELECT count(*) FROM orders") == \
            meta(folder)["valid_orders"] + meta(folder)["cancelled_orders"]
        table = server.customers.table(as_of=as_of)
        pd.testing.assert_frame_equal(table, lite.customers.table(as_of=as_of))
        truth = pd.read_csv(folder / "truth.csv")
        assert len(table) == meta(folder)["customers"] == len(truth)
        assert figures(table) == figures(truth)
        # An earlier day: the figures come from the orders, not the summary tables.
        pd.testing.assert_frame_equal(server.customers.table(as_of="2025-09-15"),
                                      lite.customers.table(as_of="2025-09-15"))
        for day in (as_of, "2025-09-15"):
            pd.testing.assert_frame_equal(server.segments.summary(day), lite.segments.summary(day))


def test_the_same_files_again_change_nothing_on_postgresql(postgres_url):
    with Shop(postgres_url) as shop:
        for path in sample_files():
            shop.imports.import_file(path)
        before = state(shop)
        again = [shop.imports.import_file(path) for path in sample_files()]
        assert all(r.orders_added == 0 and r.already_imported for r in again)
        assert state(shop) == before


def test_every_layout_imports_into_postgresql_as_into_sqlite(postgres_url):
    """Twenty-odd real layouts (a Yahoo file kept for its partner included) with one
    cast of customers met in many channels. (Imports that merge customers: the
    PostgreSQL half of test_identity.py.)"""
    lite = Shop(":memory:")
    with Shop(postgres_url) as server:
        for (folder, names), _ in DROPS.items():
            files = paths(folder, names)
            assert [r.summary() for r in import_dropped(server, files)] == \
                [r.summary() for r in import_dropped(lite, files)]
        assert state(server) == state(lite)
        pd.testing.assert_frame_equal(server.customers.table(as_of=AS_OF),
                                      lite.customers.table(as_of=AS_OF))


@pytest.mark.parametrize("folder", [SAMPLES, SAMPLES / "messy"], ids=["samples", "messy"])
def test_undo_of_each_import_in_reverse_restores_every_postgresql_state(folder, postgres_url):
    with Shop(postgres_url) as shop:
        states, results = [state(shop)], []
        for path in sample_files(folder):
            results.append(shop.imports.import_file(path))
            states.append(state(shop))
        for result, earlier in zip(reversed(results), reversed(states[:-1])):
            shop.imports.undo(result.import_id)
            assert state(shop) == earlier, result.file_name
        assert shop.db.scalar("SELECT count(*) FROM customers") == 0
        assert shop.db.scalar("SELECT count(*) FROM journal") == 0
        # Ids stay handed out after an undo (as SQLite's AUTOINCREMENT keeps them).
        again = shop.imports.import_file(sample_files()[0])
        first = shop.db.scalar("SELECT min(id) FROM orders")
        assert first > max(r["id"] for r in states[-1]["orders"])
        assert again.orders_added == shop.db.scalar("SELECT count(*) FROM orders")


def test_bulk_imports_in_small_chunks_give_the_same_on_postgresql(postgres_url):
    """The path of a big file: indexes and the summary tables' triggers dropped
    and rebuilt at the end (bulk from the first line here), read in chunks of a
    few rows (a file whose orders straddle chunks is read again whole)."""
    lite = Shop(":memory:")
    with Shop(postgres_url) as server:
        for shop in (server, lite):
            shop.imports.bulk_min_lines = 1
            shop.imports.chunk_rows = 7
        for path in sample_files():
            assert server.imports.import_file(path).summary() == \
                lite.imports.import_file(path).summary()
        assert state(server) == state(lite)
        indexes = server.db.dialect.index_definitions(server.db.conn, DEFERRABLE_INDEXES)
        assert [name for name, _ in indexes] == sorted(DEFERRABLE_INDEXES)
        assert pg_triggers.installed(server.db.conn)
        pd.testing.assert_frame_equal(server.customers.table(as_of=meta()["as_of"]),
                                      lite.customers.table(as_of=meta()["as_of"]))


def test_a_cancelled_import_leaves_the_postgresql_shop_as_it_was(postgres_url):
    files = sample_files()
    with Shop(postgres_url) as shop:
        shop.imports.import_file(files[0])
        before = state(shop)
        asked = []

        def cancel() -> bool:
            # The fifth check comes once the orders and lines are written (before
            # the customers' details are updated).
            asked.append(shop.db.scalar("SELECT count(*) FROM orders"))
            return len(asked) >= 5
        with pytest.raises(CancelledError):
            shop.imports.import_file(files[1], cancel=cancel)
        assert asked[-1] > asked[0]
        assert state(shop) == before and not shop.db.conn.in_transaction
        assert shop.db.scalar("SELECT count(*) FROM imports") == 1
        assert shop.imports.import_file(files[1]).orders_added > 0
