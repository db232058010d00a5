"""Files are read and written in chunks: the result must not depend on where
the chunk boundaries fall."""
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

from engine import BadFileError, Shop
from engine.store.schema import DEFERRABLE_INDEXES
from tests.support.snapshot import SAMPLES, figures, meta, sample_files, snapshot

RAKUTEN = SAMPLES / "rakuten" / "rakuten_202509.csv"


def chunked_shop(rows: int) -> Shop:
    shop = Shop(":memory:")
    shop.imports.chunk_rows = rows
    return shop


@pytest.mark.parametrize("folder", [SAMPLES, SAMPLES / "messy"], ids=["samples", "messy"])
@pytest.mark.parametrize("rows", [1, 7])
def test_tiny_chunks_still_match_truth(folder, rows):
    shop = chunked_shop(rows)
    for path in sample_files(folder):
        shop.imports.import_file(path)
    table = shop.customers.table(as_of=meta(folder)["as_of"])
    assert figures(table) == figures(pd.read_csv(folder / "truth.csv"))
    if folder == SAMPLES:
        m = meta()
        assert shop.db.scalar("SELECT count(*) FROM order_lines") == m["line_rows"]
        assert shop.db.scalar("SELECT count(*) FROM orders WHERE status = 'valid'") == m["valid_orders"]


def test_an_order_across_a_chunk_boundary_keeps_all_its_lines():
    # rakuten_202509.csv rows 2–3 are one order of two lines; a 1-row chunk cuts it.
    whole, chunked = Shop(":memory:"), chunked_shop(1)
    for shop in (whole, chunked):
        shop.imports.import_file(RAKUTEN)
    query = ("SELECT o.order_no, o.amount, o.digest, count(l.id) AS lines FROM orders o "
             "JOIN order_lines l ON l.order_id = o.id GROUP BY o.id ORDER BY o.order_no")
    assert chunked.db.query(query) == whole.db.query(query)
    assert any(row["lines"] > 1 for row in whole.db.query(query))


def scattered_copy(tmp_path):
    """The September export with its first order's second line moved to the end."""
    lines = RAKUTEN.read_bytes().decode("cp932").splitlines(keepends=True)
    assert lines[1].split(",")[0] == lines[2].split(",")[0]
    scattered = [lines[0], lines[1]] + lines[3:] + [lines[2]]
    path = tmp_path / "scattered.csv"
    path.write_bytes("".join(scattered).encode("cp932"))
    return path


def test_scattered_lines_of_one_order_are_still_one_order(tmp_path):
    path = scattered_copy(tmp_path)
    whole, chunked = Shop(":memory:"), chunked_shop(2)
    results = [shop.imports.import_file(path) for shop in (whole, chunked)]
    assert results[0].orders_added == results[1].orders_added
    assert results[0].lines == results[1].lines
    query = "SELECT order_no, amount, digest FROM orders ORDER BY order_no"
    assert chunked.db.query(query) == whole.db.query(query)
    # The chunked attempt was rolled back before the whole file was read: one import.
    assert chunked.db.scalar("SELECT count(*) FROM imports") == 1
    assert chunked.db.scalar("SELECT count(*) FROM operations") == 1


def late_error_copy(tmp_path) -> tuple[Path, int]:
    """The September export with a non-numeric 単価 in its last row, and that row."""
    lines = RAKUTEN.read_bytes().decode("cp932").splitlines(keepends=True)
    last = lines[-1].split('","')
    last[-2] = "四千円"
    lines[-1] = '","'.join(last)
    path = tmp_path / "late_error.csv"
    path.write_bytes("".join(lines).encode("cp932"))
    return path, len(lines)


def same_orders_copy(tmp_path, name: str = "copy.csv") -> Path:
    """The September export with other bytes (a trailing blank line), same orders."""
    copy = tmp_path / name
    copy.write_bytes(RAKUTEN.read_bytes() + b"\r\n")
    return copy


def test_a_bad_row_in_a_late_chunk_rolls_back_the_earlier_chunks(tmp_path):
    path, bad_row = late_error_copy(tmp_path)
    shop = chunked_shop(2)
    shop.imports.import_file(SAMPLES / "base" / "base_202507.csv")
    before = snapshot(shop)
    with pytest.raises(BadFileError) as info:
        shop.imports.import_file(path)
    assert (info.value.row, info.value.column) == (bad_row, "単価")
    assert snapshot(shop) == before
    assert shop.db.scalar("SELECT count(*) FROM imports") == 1


def test_the_same_bytes_again_are_recognised_without_reading_rows(tmp_path, monkeypatch):
    shop = Shop(":memory:")
    first = shop.imports.import_file(RAKUTEN)
    import engine.imports.service

    def no_reading(*args, **kwargs):
        raise AssertionError("rows were read")

    monkeypatch.setattr(engine.imports.service, "iter_batches", no_reading)
    again = shop.imports.import_file(RAKUTEN)
    assert again.already_imported
    assert (again.orders_unchanged, again.rows_read) == (first.orders_added, first.rows_read)


def without_stamps(tables: dict) -> dict:
    """The snapshot without creation times (two shops are built seconds apart)."""
    return {t: [{k: v for k, v in row.items() if k != "created_at"} for row in rows]
            for t, rows in tables.items()}


def index_definitions(shop) -> list[tuple]:
    if shop.db.dialect.name == "postgresql":
        return shop.db.conn.execute(
            "SELECT indexname, tablename, indexdef FROM pg_indexes "
            "WHERE schemaname = current_schema() ORDER BY indexname").fetchall()
    return shop.db.conn.execute(
        "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"
    ).fetchall()


@contextmanager
def traced(shop) -> Iterator[list[str]]:
    """The SQL statements ``shop``'s connection runs meanwhile (index names unquoted)."""
    statements: list[str] = []
    conn = shop.db.conn
    if shop.db.dialect.name == "sqlite":
        conn.set_trace_callback(statements.append)
        try:
            yield statements
        finally:
            conn.set_trace_callback(None)
        return
    original = conn.execute

    def execute(sql, params=()):
        statements.append(sql.replace('"', ""))
        return original(sql, params)
    conn.execute = execute
    try:
        yield statements
    finally:
        del conn.execute


@pytest.mark.parametrize("folder", [SAMPLES, SAMPLES / "messy"], ids=["samples", "messy"])
def test_bulk_imports_rebuild_the_indexes_and_match_truth(folder):
    # Every file counts as big: the secondary indexes are dropped and rebuilt.
    bulk, normal = chunked_shop(7), chunked_shop(7)
    bulk.imports.bulk_min_lines = 1
    normal.imports.bulk_min_lines = 10 ** 9
    with traced(bulk) as statements:
        for shop in (bulk, normal):
            for path in sample_files(folder):
                shop.imports.import_file(path)
    dropped = [s.split()[2] for s in statements if s.startswith("DROP INDEX")]
    rebuilt = [s.split()[2] for s in statements if s.startswith("CREATE INDEX")]
    assert dropped and sorted(dropped) == sorted(rebuilt)
    # The summary tables' rebuild builds its ranking index once over its new rows too.
    assert set(dropped) <= set(DEFERRABLE_INDEXES) | {"customer_figures_rank"}
    assert index_definitions(bulk) == index_definitions(normal)
    assert without_stamps(snapshot(bulk)) == without_stamps(snapshot(normal))
    table = bulk.customers.table(as_of=meta(folder)["as_of"])
    assert figures(table) == figures(pd.read_csv(folder / "truth.csv"))
    # The rebuilt indexes are consistent with their tables (a server's are by construction).
    if bulk.db.dialect.name == "sqlite":
        assert bulk.db.conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_bulk_mode_only_when_the_file_is_big_against_the_database():
    shop = Shop(":memory:")
    imports = shop.imports
    imports.bulk_min_lines = 100
    assert not imports._bulk(99)
    assert imports._bulk(100)
    if shop.db.dialect.name == "postgresql":
        shop.db.conn.execute("SELECT setval(pg_get_serial_sequence('order_lines', 'id'), 1000)")
    else:
        shop.db.conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('order_lines', 1000)")
    assert not imports._bulk(250)   # a fifth of 1,250 is 250: not more
    assert imports._bulk(251)


def test_a_failed_bulk_import_keeps_every_index(tmp_path):
    path, bad_row = late_error_copy(tmp_path)
    shop = chunked_shop(2)
    shop.imports.bulk_min_lines = 1
    shop.imports.import_file(SAMPLES / "base" / "base_202507.csv")
    indexes, before = index_definitions(shop), snapshot(shop)
    with pytest.raises(BadFileError):
        shop.imports.import_file(path)
    assert index_definitions(shop) == indexes
    assert snapshot(shop) == before


def test_an_import_that_finds_every_order_known_keeps_the_indexes(tmp_path):
    shop = chunked_shop(7)
    shop.imports.bulk_min_lines = 1
    shop.imports.import_file(RAKUTEN)
    copy = same_orders_copy(tmp_path)
    with traced(shop) as statements:
        again = shop.imports.import_file(copy)
    assert again.orders_added == again.orders_updated == 0 and again.orders_unchanged > 0
    assert not [s for s in statements if "INDEX" in s.upper().split("(")[0]]
