"""The SQL that differs between the stores (engine/store/dialects.py), run in both:
moving rows to another customer past unique keys as SQLite's UPDATE OR IGNORE
does, lists, insert-or-ignore, the highest id handed out."""
import pytest

from engine.imports import identity

STAMP = "2026-01-01 10:00:00"


@pytest.fixture
def shop(empty_shop):
    """Customers 1–3; a survey answered by all three and a second one by 2 and 3."""
    with empty_shop.db.transaction() as conn:
        for cid in (1, 2, 3):
            conn.execute("INSERT INTO customers (id, name, created_at, info_at) "
                         "VALUES (?, ?, ?, ?)", (cid, f"客{cid}", STAMP, f"2025-0{cid}-01"))
        for sid in (1, 2):
            conn.execute("INSERT INTO surveys (id, title, created_at) VALUES (?, ?, ?)",
                         (sid, f"調査{sid}", STAMP))
        for survey, customer in ((1, 1), (1, 2), (1, 3), (2, 2), (2, 3)):
            conn.execute("INSERT INTO survey_responses (survey_id, customer_id, answered_on, "
                         "updated_at) VALUES (?, ?, ?, ?)", (survey, customer, "2025-12-01", STAMP))
    return empty_shop


def test_a_merge_keeps_the_kept_customers_answers_and_one_of_the_others(shop):
    with shop.db.transaction():
        identity.merge_customers(shop.db, 1, [2, 3], manual=True)
    # Survey 1: customer 1's own answer stays, 2's and 3's go; survey 2: the first of
    # 2 and 3 to move (2) becomes 1's, the other goes.
    assert shop.db.query("SELECT id, survey_id, customer_id FROM survey_responses ORDER BY id") \
        == [{"id": 1, "survey_id": 1, "customer_id": 1}, {"id": 4, "survey_id": 2, "customer_id": 1}]
    assert shop.db.query("SELECT id FROM customers") == [{"id": 1}]
    assert shop.db.query("SELECT kept_id, merged_id, manual FROM customer_merges ORDER BY id") == [
        {"kept_id": 1, "merged_id": 2, "manual": 1}, {"kept_id": 1, "merged_id": 3, "manual": 1}]


def test_lists_insert_or_ignore_and_the_last_id(shop):
    dialect, conn = shop.db.dialect, shop.db.conn
    with shop.db.transaction():
        listed, param = dialect.in_list("name", ["客1", "客3", "客9"])
        assert [r[0] for r in conn.execute(f"SELECT id FROM customers WHERE {listed} ORDER BY id",
                                           (param,))] == [1, 3]
        listed, param = dialect.in_list("id", [])
        assert conn.execute(f"SELECT count(*) FROM customers WHERE {listed}", (param,)
                            ).fetchone()[0] == 0
        insert = dialect.insert_or_ignore("products", ("code", "name"))
        conn.executemany(insert, [("A", "茶"), ("B", "菓子"), ("A", "別の茶")])
        assert shop.db.query("SELECT code, name FROM products ORDER BY id") == [
            {"code": "A", "name": "茶"}, {"code": "B", "name": "菓子"}]
        # Ids given by hand count (the customers above), and the sequence's own: the
        # ignored row took an id too, in both stores.
        assert dialect.last_id(conn, "customers") == 3
        assert dialect.last_id(conn, "products") == 3
        staged, params = dialect.staged_ids(conn, "stage_test", [3, 1])
        assert [r[0] for r in conn.execute(
            f"SELECT name FROM customers WHERE id IN {staged} ORDER BY id", params)] == ["客1", "客3"]


def test_many_rows_inserted_leaving_out_those_a_key_holds(shop):
    """(COPY and one INSERT on PostgreSQL; SQLite's INSERT OR IGNORE row by row.)"""
    dialect, conn = shop.db.dialect, shop.db.conn
    with shop.db.transaction():
        conn.execute("INSERT INTO products (code, name) VALUES ('A', '茶')")
        dialect.insert_rows_or_ignore(conn, "products", ["code", "name"],
                                      iter([("B", "菓子"), ("A", "別の茶"), ("C", "器"),
                                            ("B", "別の菓子")]))
        dialect.insert_rows_or_ignore(conn, "identity_keys", ["key", "customer_id"],
                                      [("tel:0901", 1), ("tel:0902", 2), ("tel:0901", 3)])
    assert shop.db.query("SELECT code, name FROM products ORDER BY code") == [
        {"code": "A", "name": "茶"}, {"code": "B", "name": "菓子"}, {"code": "C", "name": "器"}]
    assert shop.db.query("SELECT key, customer_id FROM identity_keys ORDER BY key") == [
        {"key": "tel:0901", "customer_id": 1}, {"key": "tel:0902", "customer_id": 2}]
    # Nothing of the working copy is left behind.
    with shop.db.transaction():
        dialect.insert_rows_or_ignore(conn, "products", ["code", "name"], [("D", "皿")])
    assert shop.db.scalar("SELECT count(*) FROM products") == 4
