"""Bringing a shop on a PostgreSQL server up to the current schema version.

schema.py writes each version's change once, as SQLite SQL. The PostgreSQL
schema of any version is derived from it (dialect.tables(version)), so the step
from one version to the next is the difference between two derived schemas:
new tables (with their keys and indexes), new columns (``ADD COLUMN`` with
their default, as SQLite's), new UNIQUE and FOREIGN KEY constraints, indexes
made, dropped or changed, tables dropped. The migration's own data statements
(INSERT / UPDATE / DELETE) then run as written, ``INSERT OR IGNORE`` spelled
as PostgreSQL's ``ON CONFLICT DO NOTHING``. A change the difference cannot
express (a column dropped or redefined, a CHECK changed) raises
``UpgradeNotDerivable`` — the test that upgrades from every version finds it
when such a migration is written, so it is given its PostgreSQL steps by hand.

All of it runs in the one transaction that opens the shop: PostgreSQL's DDL is
transactional, so a failed upgrade leaves the shop as it was. The triggers are
put back afterwards (their functions may name new columns).
"""
from __future__ import annotations

import re

from engine.store import dialect
from engine.store.schema import MIGRATIONS, SCHEMA_VERSION

_DATA = re.compile(r"\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
_OR_IGNORE = re.compile(r"^\s*INSERT\s+OR\s+IGNORE\s+INTO\b", re.IGNORECASE)


class UpgradeNotDerivable(ValueError):
    """A migration changes the schema in a way the derived difference cannot express."""


def upgrade_sql(found: int, target: int = SCHEMA_VERSION) -> list[str]:
    """Every statement that takes a PostgreSQL shop from version ``found`` to ``target``."""
    statements: list[str] = []
    for version in range(found + 1, target + 1):
        statements += step_sql(version)
        statements += data_sql(version)
    statements.append(f"UPDATE {dialect.quote(dialect.VERSION_TABLE)} SET version = {target}")
    return statements


def step_sql(version: int) -> list[str]:
    """The schema difference between ``version - 1`` and ``version`` as PostgreSQL DDL."""
    before = {t.name: t for t in dialect.tables(version - 1)}
    after = dialect.tables(version)
    created, changed = [], []
    for t in after:
        old = before.get(t.name)
        if old is None:
            created.append(dialect.create_table_sql(t))
            changed += dialect.constraint_sql(t) + dialect.index_sql(t)
            continue
        created += _new_columns(version, old, t)
        changed += dialect.unique_sql(t, [k for k in t.uniques if k not in old.uniques])
        changed += dialect.foreign_key_sql(
            t, [k for k in t.foreign_keys if k not in old.foreign_keys])
        changed += _index_changes(old, t)
    gone = [name for name in before if name not in {t.name for t in after}]
    drops = [f"DROP TABLE {dialect.quote(name)} CASCADE" for name in gone]
    return drops + created + changed


def _new_columns(version: int, old: dialect.Table, new: dialect.Table) -> list[str]:
    old_columns = {c.name: c for c in old.columns}
    problems = [c.name for c in old.columns if c not in new.columns]
    problems += [f"UNIQUE {k}" for k in old.uniques if k not in new.uniques]
    problems += [f"FOREIGN KEY {k[0]}" for k in old.foreign_keys if k not in new.foreign_keys]
    if old.checks != new.checks or old.primary_key != new.primary_key:
        problems.append("CHECK / PRIMARY KEY")
    if problems:
        raise UpgradeNotDerivable(
            f"migration {version} changes {new.name} ({', '.join(problems)}): "
            "write its PostgreSQL steps in pg_upgrade.py")
    return [f"ALTER TABLE {dialect.quote(new.name)} ADD COLUMN {dialect.column_sql(new, c)}"
            for c in new.columns if c.name not in old_columns]


def _index_changes(old: dialect.Table, new: dialect.Table) -> list[str]:
    old_indexes, new_indexes = dict(old.indexes), dict(new.indexes)
    statements = [f"DROP INDEX {dialect.quote(name)}" for name, text in old.indexes
                  if new_indexes.get(name) != text]
    return statements + [dialect.translate_index(text) for name, text in new.indexes
                         if old_indexes.get(name) != text]


def data_sql(version: int) -> list[str]:
    """The migration's own data statements in PostgreSQL's spelling."""
    from engine.store.database import _split_sql
    statements = []
    for statement in _split_sql(MIGRATIONS[version - 1]):
        if not _DATA.match(statement):
            continue
        if _OR_IGNORE.match(statement):
            statement = _OR_IGNORE.sub("INSERT INTO", statement).rstrip().rstrip(";")
            statement += " ON CONFLICT DO NOTHING"
        statements.append(statement)
    return statements
