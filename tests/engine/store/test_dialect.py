"""The PostgreSQL schema derived from SQLite's (engine/store/dialect.py): the same tables,
columns and indexes on a real server (tests/support/postgres.py), the schema version,
identity ids, and SQLite's index text in PostgreSQL's words."""
import psycopg

from engine.store import dialect
from engine.store.schema import SCHEMA_VERSION


def test_the_postgresql_schema_has_the_tables_and_columns_of_sqlite(postgres_url):
    with psycopg.connect(postgres_url) as conn:
        for statement in dialect.schema_sql():
            conn.execute(statement)
        pg_columns = {}
        for table, column in conn.execute(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"):
            pg_columns.setdefault(table, []).append(column)
        pg_indexes = {r[0] for r in conn.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")}
        version = conn.execute("SELECT version FROM otokui_schema").fetchone()[0]
        identity = conn.execute(
            "SELECT is_identity, data_type FROM information_schema.columns "
            "WHERE table_name = 'orders' AND column_name = 'id'").fetchone()
        tail = conn.execute("SELECT indexdef FROM pg_indexes WHERE indexname = "
                            "'customers_phone_tail'").fetchone()[0]
    reference = dialect.reference_connection()
    sqlite_columns = {
        name: [r[1] for r in reference.execute(f'PRAGMA table_info("{name}")')]
        for (name,) in reference.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'")}
    sqlite_indexes = {r[0] for r in reference.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}
    reference.close()
    assert pg_columns.pop("otokui_schema") == ["version"]
    assert pg_columns == sqlite_columns
    assert len(pg_columns) == 37
    assert sqlite_indexes <= pg_indexes
    assert version == SCHEMA_VERSION == 14
    assert identity == ("YES", "bigint")
    assert tail.endswith('USING btree ("right"(phone_digits, 4))')


def test_sqlite_index_text_is_translated_for_postgresql():
    assert dialect.translate_index(
        "CREATE INDEX customers_given_name ON customers(substr(name, instr(name, ' ') + 1))\n"
        "        WHERE instr(name, ' ') > 0") == (
        'CREATE INDEX "customers_given_name" ON "customers" '
        "(substr(name, strpos(name, ' ') + 1)) WHERE strpos(name, ' ') > 0")
    assert dialect.translate_index(
        "CREATE INDEX customers_phone_tail ON customers(substr(phone_digits, -4))") == (
        'CREATE INDEX "customers_phone_tail" ON "customers" (right(phone_digits, 4))')


def test_tables_come_after_the_tables_they_refer_to():
    order = [t.name for t in dialect.tables()]
    for t in dialect.tables():
        for _, target, _, _ in t.foreign_keys:
            assert order.index(target) < order.index(t.name), (t.name, target)
    assert order.index("customers") < order.index("orders") < order.index("order_lines")
    assert dialect.table("followup_targets").checks == ("held_out IN (0, 1)",)
    assert dialect.table("order_lines").foreign_keys == (
        (("order_id",), "orders", ("id",), "CASCADE"),)
