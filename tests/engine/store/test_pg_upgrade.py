"""A shop on a PostgreSQL server made by an older Otokui is brought up to date
(engine/store/pg_upgrade.py) on a real server: from every earlier schema version
the tables, columns, keys, indexes and triggers end as a new shop's, the rows
stay, the summary tables are filled; a change the difference cannot express is
refused when the migration is written."""
import psycopg
import pytest

from engine import Shop
from engine.store import dialect, pg_upgrade
from engine.store.schema import SCHEMA_VERSION


def catalog(url: str) -> dict:
    """Everything about a database's schema that an upgrade must get right."""
    with psycopg.connect(url) as conn:
        def rows(sql):
            return sorted(tuple(r) for r in conn.execute(sql))
        return {
            "columns": rows("SELECT table_name, column_name, ordinal_position, data_type, "
                            "is_nullable, column_default, collation_name, is_identity "
                            "FROM information_schema.columns WHERE table_schema = current_schema()"),
            "constraints": rows("SELECT conrelid::regclass::text, contype, "
                                "pg_get_constraintdef(oid) FROM pg_constraint "
                                "WHERE connamespace = current_schema()::regnamespace"),
            "indexes": rows("SELECT tablename, indexname, indexdef FROM pg_indexes "
                            "WHERE schemaname = current_schema()"),
            "triggers": rows("SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) "
                             "FROM pg_trigger WHERE NOT tgisinternal"),
            "version": rows("SELECT version FROM otokui_schema"),
        }


def make_old_shop(url: str, version: int) -> None:
    """A database as an Otokui of schema ``version`` left it (tables and version; that
    Otokui's triggers are not needed: the upgrade puts every trigger back)."""
    with psycopg.connect(url) as conn:
        for statement in dialect.schema_sql(version):
            conn.execute(statement)


@pytest.fixture(scope="module")
def new_shop_catalog(postgres_module_url):
    Shop(postgres_module_url).close()
    return catalog(postgres_module_url)


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
def test_an_older_shop_ends_with_the_schema_of_a_new_one(postgres_url, new_shop_catalog,
                                                          version):
    make_old_shop(postgres_url, version)
    assert catalog(postgres_url)["version"] == [(version,)]
    Shop(postgres_url).close()
    assert catalog(postgres_url) == new_shop_catalog


def test_the_rows_stay_and_the_summary_tables_are_filled(postgres_url):
    # Version 11: before the summary tables (12) and the monthly figures (13).
    make_old_shop(postgres_url, 11)
    with psycopg.connect(postgres_url) as conn:
        conn.execute("INSERT INTO customers (id, name, created_at) "
                     "VALUES (7, '山田 花子', '2025-01-01 00:00:00')")
        for number, (day, amount) in enumerate([("2025-01-10", 3000), ("2025-03-05", 4500)], 1):
            conn.execute(
                "INSERT INTO orders (id, customer_id, source, order_no, ordered_at, order_date, "
                "amount, status, digest) VALUES (%s, 7, 'rakuten', %s, %s, %s, %s, 'valid', %s)",
                (number, f"A-{number}", day + " 10:00:00", day, amount, f"d{number}"))
    with Shop(postgres_url) as shop:
        figures = shop.db.query("SELECT * FROM customer_figures")
        months = shop.db.query("SELECT month, sales, orders FROM month_figures ORDER BY month")
        names = [r["name"] for r in shop.db.query("SELECT name FROM customers")]
    assert names == ["山田 花子"]
    assert figures == [{"customer_id": 7, "purchase_count": 2, "total_amount": 7500,
                        "first_purchase": "2025-01-10", "last_purchase": "2025-03-05"}]
    assert months == [{"month": "2025-01", "sales": 3000, "orders": 1},
                      {"month": "2025-03", "sales": 4500, "orders": 1}]


def test_a_failed_upgrade_leaves_the_shop_as_it_was(postgres_url, monkeypatch):
    make_old_shop(postgres_url, 10)
    before = catalog(postgres_url)
    real = pg_upgrade.upgrade_sql
    monkeypatch.setattr(pg_upgrade, "upgrade_sql",
                        lambda found: real(found)[:-2] + ["SELECT 1/0"] + real(found)[-2:])
    with pytest.raises(psycopg.errors.DivisionByZero):
        Shop(postgres_url)
    assert catalog(postgres_url) == before


def test_a_newer_shop_is_refused(postgres_url):
    from engine.errors import DatabaseTooNewError
    Shop(postgres_url).close()
    with psycopg.connect(postgres_url) as conn:
        conn.execute(f"UPDATE otokui_schema SET version = {SCHEMA_VERSION + 1}")
    with pytest.raises(DatabaseTooNewError):
        Shop(postgres_url)


def test_a_change_the_difference_cannot_express_is_refused():
    old = dialect.table("customers")
    dropped = dialect.Table(old.name, old.columns[:-1], old.primary_key, old.identity,
                            old.uniques, old.checks, old.foreign_keys, old.indexes)
    with pytest.raises(pg_upgrade.UpgradeNotDerivable, match="customers"):
        pg_upgrade._new_columns(99, old, dropped)
    added = dialect.Table(old.name, old.columns + (dialect.Column("staff", "TEXT", True, "''"),),
                          old.primary_key, old.identity, old.uniques, old.checks,
                          old.foreign_keys, old.indexes)
    assert pg_upgrade._new_columns(99, old, added) == [
        'ALTER TABLE "customers" ADD COLUMN "staff" text COLLATE "C" NOT NULL DEFAULT \'\'']


def test_insert_or_ignore_is_spelled_for_postgresql():
    assert pg_upgrade.data_sql(13) == [
        "INSERT INTO figures_dirty_months (month) VALUES ('*') ON CONFLICT DO NOTHING"]
