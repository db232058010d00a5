"""PostgreSQL's versions of the schema's triggers, as PL/pgSQL trigger functions.

* The summary tables' marks (figures.py; SQLite's are in migration 12): the same
  five triggers by the same names, noting the customers and months a change of
  an order or a customer moves, for the refresh before COMMIT.
* The undo journal (journal.py): SQLite makes TEMP triggers per operation, which
  PostgreSQL has not. Here every journaled table has one lasting trigger that
  records a row's before-image only while the transaction's setting
  ``otokui.op`` names an operation, and only for rows with an id up to
  ``otokui.start_<table>`` (rows the operation inserts are undone by id range).
  ``PostgresDialect.begin_journal`` sets both, ``end_journal`` clears the first;
  the settings end with the transaction anyway.

:func:`install` (re)creates all of them; it runs when a shop's schema is created
and when a shop copied by ``migrate`` (which copies tables, not triggers) opens.
"""
from __future__ import annotations

from engine.store.figures import TRIGGERS as FIGURE_TRIGGERS
from engine.store.schema import JOURNALED_TABLES

_MARK_ORDER = """
CREATE OR REPLACE FUNCTION otokui_figures_mark_order() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        INSERT INTO figures_dirty_customers (customer_id) VALUES (OLD.customer_id)
            ON CONFLICT DO NOTHING;
        INSERT INTO figures_dirty_months (month) VALUES (substr(OLD.order_date, 1, 7))
            ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO figures_dirty_customers (customer_id) VALUES (NEW.customer_id)
            ON CONFLICT DO NOTHING;
        INSERT INTO figures_dirty_months (month) VALUES (substr(NEW.order_date, 1, 7))
            ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$
"""

_MARK_CUSTOMER = """
CREATE OR REPLACE FUNCTION otokui_figures_mark_customer() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO figures_dirty_customers (customer_id) VALUES (OLD.id)
            ON CONFLICT DO NOTHING;
        RETURN NULL;
    END IF;
    INSERT INTO figures_dirty_customers (customer_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
    INSERT INTO figures_dirty_months (month)
        SELECT DISTINCT substr(order_date, 1, 7) FROM orders
        WHERE customer_id = NEW.id AND status = 'valid'
        ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$
"""

# (name, table and event, condition, function): migration 12's triggers.
_FIGURE_TRIGGERS = (
    ("figures_order_insert", "AFTER INSERT ON orders", "NEW.status = 'valid'",
     "otokui_figures_mark_order"),
    ("figures_order_delete", "AFTER DELETE ON orders", "OLD.status = 'valid'",
     "otokui_figures_mark_order"),
    ("figures_order_update", "AFTER UPDATE ON orders",
     "(OLD.status = 'valid' OR NEW.status = 'valid') AND ("
     "OLD.status IS DISTINCT FROM NEW.status OR OLD.amount IS DISTINCT FROM NEW.amount "
     "OR OLD.order_date IS DISTINCT FROM NEW.order_date "
     "OR OLD.ordered_at IS DISTINCT FROM NEW.ordered_at "
     "OR OLD.customer_id IS DISTINCT FROM NEW.customer_id)", "otokui_figures_mark_order"),
    ("figures_customer_deleted", "AFTER UPDATE OF deleted_at ON customers",
     "OLD.deleted_at IS DISTINCT FROM NEW.deleted_at", "otokui_figures_mark_customer"),
    ("figures_customer_removed", "AFTER DELETE ON customers", None,
     "otokui_figures_mark_customer"),
)
assert tuple(t[0] for t in _FIGURE_TRIGGERS) == FIGURE_TRIGGERS

# The before-image is the row as JSON (row_to_json), as SQLite's json_object gives it.
_JOURNAL = """
CREATE OR REPLACE FUNCTION otokui_journal() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    op bigint := nullif(current_setting('otokui.op', true), '')::bigint;
BEGIN
    IF op IS NULL
       OR OLD.id > current_setting('otokui.start_' || TG_TABLE_NAME)::bigint THEN
        RETURN NULL;
    END IF;
    INSERT INTO journal (op_id, seq, tbl, row_id, before)
    SELECT op, (SELECT coalesce(max(seq), 0) + 1 FROM journal WHERE op_id = op),
           TG_TABLE_NAME, OLD.id, row_to_json(OLD)::text
    WHERE NOT EXISTS (SELECT 1 FROM journal
                      WHERE tbl = TG_TABLE_NAME AND row_id = OLD.id AND op_id = op);
    RETURN NULL;
END $$
"""


def figure_trigger_sql() -> list[str]:
    """The summary tables' triggers (dropped by figures.suspend, put back by resume)."""
    statements = []
    for name, event, condition, function in _FIGURE_TRIGGERS:
        when = f" WHEN ({condition})" if condition else ""
        statements.append(f"CREATE OR REPLACE TRIGGER {name} {event} FOR EACH ROW{when} "
                          f"EXECUTE FUNCTION {function}()")
    return statements


def install_sql() -> list[str]:
    """Every trigger function and trigger, created or replaced."""
    statements = [_MARK_ORDER, _MARK_CUSTOMER, _JOURNAL] + figure_trigger_sql()
    statements += [f"CREATE OR REPLACE TRIGGER journal_{table} AFTER UPDATE OR DELETE ON "
                   f"{table} FOR EACH ROW EXECUTE FUNCTION otokui_journal()"
                   for table in JOURNALED_TABLES]
    return statements


def installed(conn) -> bool:
    """Whether every trigger is in place."""
    names = list(FIGURE_TRIGGERS) + [f"journal_{t}" for t in JOURNALED_TABLES]
    count = conn.execute(
        "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE c.relnamespace = current_schema()::regnamespace AND t.tgname = ANY(?)",
        (names,)).fetchone()[0]
    return count == len(names)


def install(conn) -> None:
    for statement in install_sql():
        conn.execute(statement)
