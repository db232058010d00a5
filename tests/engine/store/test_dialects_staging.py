"""Rows staged for one statement and day arithmetic (engine/store/dialects.py), in
both stores: what the follow-up plan, the count program and the effect measurement
ask of the dialect."""
import pytest

BIG = 2**62 + 12345


@pytest.mark.parametrize("first", [[3, 1, 2], [BIG, 1, 2]])
def test_staged_numbers_keep_their_order(empty_shop, first):
    """Small numbers go in packed (SQLite) or as arrays (PostgreSQL); numbers too
    wide to pack one row at a time: the same rows, in the arrays' order, either way."""
    db = empty_shop.db
    dialect = db.dialect
    columns = {"a": first, "b": [7, 0, 5]}
    with db.transaction() as conn:
        dialect.stage_numbers(conn, "stage_test", columns)
        assert dialect.temp_tables(conn) == ["stage_test"]
        assert [tuple(r) for r in conn.execute(
            f"SELECT a, b FROM {dialect.temp('stage_test')} ORDER BY rowid")] == \
            list(zip(first, [7, 0, 5]))
        conn.execute(f"DROP TABLE {dialect.temp('stage_test')}")
        assert dialect.temp_tables(conn) == []
        source = dialect.numbers_source(columns)
        if source is None:
            assert dialect.name == "sqlite" and first[0] == BIG
        else:
            sql, params = source
            assert sorted(tuple(r) for r in conn.execute(f"SELECT a, b FROM {sql} s", params)) \
                == sorted(zip(first, [7, 0, 5]))


def test_staged_rows_join_like_a_table(empty_shop):
    db = empty_shop.db
    dialect = db.dialect
    with db.transaction() as conn:
        conn.executemany("INSERT INTO customers (id, name, created_at) VALUES (?, ?, '')",
                         [(1, "客1"), (2, "客2")])
        staged, params = dialect.staged_rows(
            conn, "stage_rows", {"position": "INTEGER", "customer": "INTEGER", "note": "TEXT"},
            [(0, 2, "二"), (1, 1, "一"), (2, 9, "ない")])
        rows = conn.execute(
            f"SELECT k.position, c.name, k.note FROM {staged} k JOIN customers c"
            " ON c.id = k.customer ORDER BY k.position", params).fetchall()
        dialect.drop_staged(conn, "stage_rows")
        assert [tuple(r) for r in rows] == [(0, "客2", "二"), (1, "客1", "一")]
        empty, params = dialect.staged_rows(conn, "stage_rows", {"n": "INTEGER"}, [])
        assert conn.execute(f"SELECT count(*) FROM {empty} k", params).fetchone()[0] == 0
        dialect.drop_staged(conn, "stage_rows")
        assert dialect.temp_tables(conn) == []


@pytest.mark.parametrize("day, days, after", [("2025-02-15", 30, "2025-03-17"),
                                              ("2024-02-28", 1, "2024-02-29"),
                                              ("2024-12-31", 90, "2025-03-31")])
def test_day_after_is_a_day_text(empty_shop, day, days, after):
    db = empty_shop.db
    assert db.scalar(f"SELECT {db.dialect.day_after('?', days)}", (day,)) == after
