"""The SQL that differs between the two stores, asked of ``db.dialect``.

Services write one SQL text for both stores (``?`` parameters; the PostgreSQL
connection translates them, see pg_connection.py) and ask the dialect for the
few pieces whose spelling differs: a list parameter, "insert or ignore", the
highest id handed out, moving rows to another customer past unique keys, the
undo journal's recording and foreign-key checks. ``SQLITE`` keeps SQLite's SQL
exactly as the services wrote it before; ``POSTGRES`` is PostgreSQL's (14+).

(dialect.py is the other direction: the SQLite schema written as PostgreSQL DDL.)
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from engine.store import dialect as pg_schema


def json_list(values) -> str:
    """Values as one JSON array, for ``IN (SELECT value FROM json_each(?))``: one
    parameter instead of a temporary table filled row by row."""
    return json.dumps(_plain_list(values), ensure_ascii=False)


def _plain_list(values) -> list:
    if hasattr(values, "tolist"):
        # pandas and numpy arrays give their values as Python objects in C, not
        # one element at a time through the array's own iteration.
        values = values.tolist()
    return [v if isinstance(v, str) else int(v) for v in values]


def _packed(columns: Mapping[str, object]) -> tuple[str, str] | None:
    """Integer ``columns`` as one JSON array with each row's values packed into one
    number (the bits each column needs, from its largest value), and the SELECT list
    that unpacks them from json_each's ``value``: SQLite walks the array in order.
    None when they do not fit in 63 bits together, or a value is negative."""
    import numpy as np
    arrays = [np.asarray(v, dtype=np.int64) for v in columns.values()]
    widths = [max(int(a.max(initial=0)).bit_length(), 1) for a in arrays]
    if sum(widths) > 63 or any(a.min(initial=0) < 0 for a in arrays):
        return None
    packed = np.zeros(len(arrays[0]), dtype=np.int64)
    unpack, shift = [], 0
    for name, array, width in zip(columns, arrays, widths):
        packed |= array << shift
        unpack.append(f"(value >> {shift}) & {(1 << width) - 1} AS {name}")
        shift += width
    return ", ".join(unpack), json.dumps(packed.tolist())


class SqliteDialect:
    name = "sqlite"
    # Conditions that always / never hold.
    true = "1"
    false = "0"

    def in_list(self, column: str, values) -> tuple[str, object]:
        """``column`` is one of ``values``: the SQL condition and its one parameter."""
        return f"{column} IN (SELECT value FROM json_each(?))", json_list(values)

    def insert_or_ignore(self, table: str, columns: Iterable[str]) -> str:
        """An INSERT of one row that does nothing when a unique key already holds it."""
        columns = list(columns)
        return (f"INSERT OR IGNORE INTO {table} ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))})")

    def integer_or_blank(self) -> str:
        """A parameter for an INTEGER column given as text, '' meaning NULL."""
        return "NULLIF(?, '')"

    def insert_rows(self, conn, table: str, columns: list[str], rows: Iterable,
                    marks: list[str] | None = None) -> None:
        """Insert many rows of ``columns``; ``marks``: each column's parameter SQL
        (``?``, or :meth:`integer_or_blank`), all ``?`` by default. NaN is NULL."""
        marks = marks or ["?"] * len(columns)
        conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) "
                         f"VALUES ({', '.join(marks)})", rows)


    def insert_rows_or_ignore(self, conn, table: str, columns: list[str], rows: Iterable) -> None:
        """Insert many rows; those a unique key already holds (or an earlier row of
        ``rows``) are left out, as :meth:`insert_or_ignore` does one at a time."""
        conn.executemany(self.insert_or_ignore(table, columns), rows)
    def limit(self, count: int) -> int | None:
        """The parameter of ``LIMIT ?`` for at most ``count`` rows (-1: all)."""
        return count

    def holds(self, flag: str) -> str:
        """A condition from an expression that is 1 or 0."""
        return flag

    def day_number(self, day: str) -> str:
        """A 'YYYY-MM-DD' text as a number of days (differences are days apart)."""
        return f"julianday({day})"

    def temp(self, name: str) -> str:
        """The name of this connection's TEMP table ``name``, qualified."""
        return f"temp.{name}"

    def create_temp_index(self, name: str, table: str, columns: str) -> str:
        return f"CREATE INDEX temp.{name} ON {table} ({columns})"

    def count_true(self, condition: str) -> str:
        """The aggregate counting the rows where ``condition`` holds."""
        return f"sum({condition})"

    def group_concat(self, expression: str, separator: str | None = None,
                     order: str | None = None) -> str:
        """The aggregate joining ``expression``'s texts with ``separator`` (SQL; None:
        a comma). ``order``: the rows' order where the store needs one to keep
        several such aggregates of one query aligned (SQLite's all follow its scan)."""
        return (f"group_concat({expression})" if separator is None
                else f"group_concat({expression}, {separator})")

    def unix_day(self, day: str) -> str:
        """A 'YYYY-MM-DD' text as an integer: days since 1970-01-01."""
        return f"CAST(julianday({day}) - 2440587.5 AS INTEGER)"

    def spelled(self, sql: str) -> str:
        """``sql`` with SQLite's names of text functions in this store's: for queries
        that must match an index's expression (search as you type)."""
        return sql

    def last_id(self, conn, table: str) -> int:
        """The highest id an AUTOINCREMENT table has ever handed out (0 before its
        first row); ids above it are free while we hold the write transaction."""
        row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (table,)).fetchone()
        return row[0] if row else 0

    def claim_ids(self, conn, table: str, last: int) -> None:
        """Ids up to ``last`` were given by hand: never hand them out again (SQLite's
        AUTOINCREMENT counts ids given by hand itself)."""

    def reassign(self, conn, table: str, column: str, keep: int, others: list[int]) -> None:
        """Rows of ``others`` go to ``keep`` where no unique key of ``table`` holds
        that row for ``keep`` already (those stay behind: the caller deletes them)."""
        marks = ",".join("?" * len(others))
        conn.execute(f"UPDATE OR IGNORE {table} SET {column} = ? WHERE {column} IN ({marks})",
                     [keep, *others])

    def staged_ids(self, conn, name: str, ids: list[int]) -> tuple[str, list]:
        """A subquery of ``ids`` (and its parameters) for ``WHERE id IN …``: in SQLite a
        TEMP table, filled row by row, which SQLite searches faster than json_each."""
        conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} (value INTEGER PRIMARY KEY)")
        conn.execute(f"DELETE FROM temp.{name}")
        conn.executemany(f"INSERT INTO temp.{name} VALUES (?)", ((i,) for i in ids))
        return f"(SELECT value FROM temp.{name})", []

    # --- rows staged in order (marketing/plan_store.py) ----------------------
    def create_temp_table(self, name: str, columns: Mapping[str, str]) -> str:
        """CREATE TEMP TABLE ``name`` of ``columns`` (name → SQLite's declared type)."""
        return (f"CREATE TEMP TABLE {name} ("
                + ", ".join(f"{c} {t}" for c, t in columns.items()) + ")")

    def create_temp_unique_index(self, name: str, table: str, columns: str) -> str:
        return f"CREATE UNIQUE INDEX temp.{name} ON {table} ({columns})"

    def in_source_order(self, order: str) -> str:
        """What ends a SELECT whose rows must come in ``order`` where SQLite's outer
        loop (see ``join_in_order``) already gives them in it."""
        return ""

    def numbers_source(self, columns: Mapping[str, object]) -> tuple[str, tuple] | None:
        """Integer ``columns`` (equally long arrays) as a FROM source of their rows in
        order, and its parameters: one JSON array with each row's values packed into
        one number, unpacked as json_each walks it (binding 229k rows one at a time
        took about five times as long). None when they do not fit (see _packed)."""
        packed = _packed(columns)
        if packed is None:
            return None
        select, text = packed
        return f"(SELECT {select} FROM json_each(?))", (text,)

    def stage_numbers(self, conn, name: str, columns: Mapping[str, object]) -> None:
        """A TEMP table ``name`` of integer ``columns`` whose ``rowid`` is the arrays'
        order: filled from one packed JSON array, else bound row by row."""
        import numpy as np
        conn.execute(f"DROP TABLE IF EXISTS temp.{name}")
        conn.execute(f"CREATE TEMP TABLE {name} ({', '.join(f'{c} INTEGER' for c in columns)})")
        packed = _packed(columns)
        if packed is None:
            conn.executemany(f"INSERT INTO temp.{name} VALUES ({', '.join('?' * len(columns))})",
                             zip(*(np.asarray(v, dtype=np.int64).tolist()
                                   for v in columns.values())))
            return
        select, text = packed
        conn.execute(f"INSERT INTO temp.{name} SELECT {select} FROM json_each(?)", (text,))

    def staged_rows(self, conn, name: str, columns: Mapping[str, str],
                    rows: list[tuple]) -> tuple[str, tuple]:
        """A FROM source of ``rows`` (``columns``: name → SQLite's declared type) and
        its parameters: in SQLite the TEMP table ``name``, filled row by row (drop it
        with :meth:`drop_staged`)."""
        conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} ("
                     + ", ".join(f"{c} {t}" for c, t in columns.items()) + ")")
        conn.execute(f"DELETE FROM temp.{name}")
        conn.executemany(f"INSERT INTO temp.{name} VALUES ({', '.join('?' * len(columns))})",
                         rows)
        return f"temp.{name}", ()

    def drop_staged(self, conn, name: str) -> None:
        conn.execute(f"DROP TABLE temp.{name}")

    def day_after(self, day: str, days: int) -> str:
        """The 'YYYY-MM-DD' text ``days`` days after the one of ``day`` (SQL)."""
        return f"date({day}, '+{int(days)} days')"

    def temp_tables(self, conn) -> list[str]:
        """The names of this connection's TEMP tables."""
        return [r[0] for r in conn.execute(
            "SELECT name FROM temp.sqlite_master WHERE type = 'table' ORDER BY name")]

    def index_definitions(self, conn, names: Iterable[str]) -> list[tuple[str, str]]:
        """(name, CREATE INDEX text) of those of ``names`` that exist."""
        names = list(names)
        return conn.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' "
            f"AND name IN ({', '.join('?' * len(names))})", names).fetchall()

    def drop_index(self, conn, name: str) -> None:
        conn.execute(f"DROP INDEX {name}")

    def trigger_definitions(self, conn, names: Iterable[str]) -> list[tuple[str, str]]:
        """(name, CREATE TRIGGER text) of those of ``names`` that exist."""
        return conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
            "AND name IN (SELECT value FROM json_each(?))", (json.dumps(list(names)),)).fetchall()

    def drop_trigger(self, conn, name: str) -> None:
        conn.execute(f"DROP TRIGGER {name}")

    def begin_journal(self, conn, op_id: int, starts: Mapping[str, int],
                      columns: Mapping[str, list[str]]) -> None:
        """From now on, copy the before-image of every row with an id up to
        ``starts[table]`` that is updated or deleted into ``journal`` for ``op_id``:
        TEMP triggers, which only this connection sees."""
        for table, start in starts.items():
            image = "json_object(" + ", ".join(f"'{c}', OLD.{c}" for c in columns[table]) + ")"
            body = (
                f"INSERT INTO journal (op_id, seq, tbl, row_id, before) "
                f"SELECT {op_id}, (SELECT coalesce(max(seq), 0) + 1 FROM journal "
                f"WHERE op_id = {op_id}), '{table}', OLD.id, {image} "
                f"WHERE NOT EXISTS (SELECT 1 FROM journal WHERE tbl = '{table}' "
                f"AND row_id = OLD.id AND op_id = {op_id});")
            for event in ("UPDATE", "DELETE"):
                conn.execute(
                    f"CREATE TEMP TRIGGER journal_{table}_{event.lower()} "
                    f"BEFORE {event} ON main.{table} WHEN OLD.id <= {start} "
                    f"BEGIN {body} END")

    def end_journal(self, conn, tables: Iterable[str]) -> None:
        for table in tables:
            for event in ("update", "delete"):
                conn.execute(f"DROP TRIGGER IF EXISTS temp.journal_{table}_{event}")

    def defer_foreign_keys(self, conn) -> None:
        """Foreign keys are checked at the end (see :meth:`foreign_keys_broken`)."""
        conn.execute("PRAGMA defer_foreign_keys = ON")

    def foreign_keys_broken(self, conn) -> bool:
        """Whether a row points at a row that is not there (after deferring)."""
        return bool(conn.execute("PRAGMA foreign_key_check").fetchall())

    # A join whose tables are read in the order written: SQLite's planner keeps a
    # CROSS JOIN's order; PostgreSQL's plans every join itself.
    join_in_order = "CROSS JOIN"

    # -- erasure (engine/store/redaction.py) and other named-parameter lists --------

    def ids_of(self, name: str) -> str:
        """A subquery of the ids in the named parameter ``:name``, given as
        :meth:`ids_value` makes it."""
        return f"(SELECT value FROM json_each(:{name}))"

    def ids_value(self, ids) -> object:
        return json_list(ids)

    def json_value(self, document: str, key: str) -> str:
        """The scalar at ``key`` of the JSON text ``document`` (a before-image)."""
        return f"json_extract({document}, '$.{key}')"

    def json_id(self, document: str, key: str) -> str:
        """The same as an integer, to compare with ids."""
        return self.json_value(document, key)

    def json_set(self, document: str, values: Mapping[str, str]) -> str:
        """The JSON text ``document`` with ``values`` (key → SQL expression: a text
        literal, a named parameter of text, a coalesce of texts or an integer) set."""
        return (f"json_set({document}, "
                + ", ".join(f"'$.{key}', {value}" for key, value in values.items()) + ")")

    def has_table(self, conn, name: str) -> bool:
        """Whether the database has table ``name`` (an old backup may lack newer ones)."""
        return conn.execute("SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = ?)",
                            (name,)).fetchone()[0] == 1

    def overwrite_freed(self, conn, on: bool) -> None:
        """Whether deleted and overwritten bytes are zeroed in the file (SQLite's
        secure_delete; a server keeps no file of this program's)."""
        conn.execute(f"PRAGMA secure_delete = {'ON' if on else 'OFF'}")


class PostgresDialect(SqliteDialect):
    name = "postgresql"
    true = "TRUE"
    false = "FALSE"

    def in_list(self, column: str, values) -> tuple[str, object]:
        return f"{column} = ANY(?)", _plain_list(values)

    def insert_or_ignore(self, table: str, columns: Iterable[str]) -> str:
        columns = list(columns)
        return (f"INSERT INTO {table} ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))}) ON CONFLICT DO NOTHING")

    def integer_or_blank(self) -> str:
        return "NULLIF(?, '')::bigint"

    def insert_rows(self, conn, table: str, columns: list[str], rows: Iterable,
                    marks: list[str] | None = None) -> None:
        # COPY, with each value made what the column takes (COPY does not cast
        # as INSERT does: 500.0 is no bigint to it).
        self._copy(conn, table, table, columns, rows, marks)

    def _copy(self, conn, target: str, table: str, columns: list[str], rows: Iterable,
              marks: list[str] | None = None) -> None:
        """COPY ``rows`` into ``target``, whose ``columns`` are ``table``'s."""
        marks = marks or ["?"] * len(columns)
        types = {c.name: c.type for c in pg_schema.table(table).columns}
        convert = [_to_integer_or_blank if mark == self.integer_or_blank()
                   else _COPY_VALUE[types[column]] for column, mark in zip(columns, marks)]
        with conn.raw.cursor() as cursor, cursor.copy(
                f"COPY {target} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([f(v) for f, v in zip(convert, row)])

    def insert_rows_or_ignore(self, conn, table: str, columns: list[str], rows: Iterable) -> None:
        # COPY into a working copy, then one INSERT that leaves out what a key holds.
        listed = ", ".join(columns)
        staging = f"pg_temp.ignoring_{table}"
        conn.execute(f"CREATE TEMP TABLE ignoring_{table} AS SELECT {listed} FROM {table} "
                     "WITH NO DATA")
        try:
            self._copy(conn, staging, table, columns, rows)
            conn.execute(f"INSERT INTO {table} ({listed}) SELECT {listed} FROM {staging} "
                         "ON CONFLICT DO NOTHING")
        finally:
            conn.execute(f"DROP TABLE {staging}")

    def limit(self, count: int) -> int | None:
        return None if count < 0 else count

    def holds(self, flag: str) -> str:
        return f"({flag}) = 1"

    def day_number(self, day: str) -> str:
        return f"({day}::date - date '1970-01-01')"

    def temp(self, name: str) -> str:
        return f"pg_temp.{name}"

    def create_temp_index(self, name: str, table: str, columns: str) -> str:
        return f"CREATE INDEX {name} ON pg_temp.{table} ({columns})"

    def count_true(self, condition: str) -> str:
        return f"count(*) FILTER (WHERE {condition})"

    def group_concat(self, expression: str, separator: str | None = None,
                     order: str | None = None) -> str:
        by = f" ORDER BY {order}" if order else ""
        separator = separator or "','"
        return f"string_agg(({expression})::text, {separator}{by})"

    def unix_day(self, day: str) -> str:
        return f"({day}::date - date '1970-01-01')"

    def spelled(self, sql: str) -> str:
        return pg_schema.spelled(sql)

    def last_id(self, conn, table: str) -> int:
        # Rows inserted with ids given by hand do not move the sequence; until
        # claim_ids moves it at the end of the operation the highest id counts too.
        return conn.execute(
            f"SELECT greatest((SELECT CASE WHEN is_called THEN last_value ELSE 0 END "
            f"FROM {_sequence(conn, table)}), (SELECT coalesce(max(id), 0) FROM {table}))"
        ).fetchone()[0]

    def claim_ids(self, conn, table: str, last: int) -> None:
        if last > 0:
            conn.execute(f"SELECT setval('{_sequence(conn, table)}', ?) "
                         f"WHERE ? > (SELECT CASE WHEN is_called THEN last_value ELSE 0 END "
                         f"FROM {_sequence(conn, table)})", (last, last))

    def reassign(self, conn, table: str, column: str, keep: int, others: list[int]) -> None:
        # As SQLite's UPDATE OR IGNORE: one customer at a time, each row moving only
        # when no row of ``keep`` already has the rest of its unique key.
        keys = [key for key in pg_schema.table(table).uniques if column in key]
        clash = " OR ".join(
            "EXISTS (SELECT 1 FROM {t} k WHERE k.{c} = ? AND ".format(t=table, c=column)
            + " AND ".join(f"k.{part} IS NOT DISTINCT FROM {table}.{part}"
                           for part in key if part != column) + ")"
            for key in keys)
        for other in others:
            if clash:
                conn.execute(f"UPDATE {table} SET {column} = ? WHERE {column} = ? "
                             f"AND NOT ({clash})", [keep, other] + [keep] * len(keys))
            else:
                conn.execute(f"UPDATE {table} SET {column} = ? WHERE {column} = ?",
                             (keep, other))

    def staged_ids(self, conn, name: str, ids: list[int]) -> tuple[str, list]:
        return "(SELECT unnest(?::bigint[]) AS value)", [_plain_list(ids)]

    def create_temp_table(self, name: str, columns: Mapping[str, str]) -> str:
        return (f"CREATE TEMP TABLE {name} ("
                + ", ".join(f"{c} {pg_schema.TYPES[t]}" for c, t in columns.items()) + ")")

    def create_temp_unique_index(self, name: str, table: str, columns: str) -> str:
        return f"CREATE UNIQUE INDEX {name} ON pg_temp.{table} ({columns})"

    def in_source_order(self, order: str) -> str:
        return f" ORDER BY {order}"

    def numbers_source(self, columns: Mapping[str, object]) -> tuple[str, tuple] | None:
        # One bigint array per column, WITH ORDINALITY numbering the rows as SQLite's
        # rowid. Each array goes as its text ('{1,2,3}'): psycopg's dumping of a list
        # looks at every element (a third of a second for a big shop's plan).
        import numpy as np
        names = ", ".join(columns)
        arrays = ", ".join("?::bigint[]" for _ in columns)
        return (f"(SELECT * FROM unnest({arrays}) WITH ORDINALITY AS u({names}, rowid))",
                tuple("{" + ",".join(map(str, np.asarray(v, dtype=np.int64).tolist())) + "}"
                      for v in columns.values()))

    def stage_numbers(self, conn, name: str, columns: Mapping[str, object]) -> None:
        conn.execute(f"DROP TABLE IF EXISTS pg_temp.{name}")
        conn.execute(f"CREATE TEMP TABLE {name} ("
                     + ", ".join(f"{c} bigint" for c in columns) + ", rowid bigint)")
        select, params = self.numbers_source(columns)
        conn.execute(f"INSERT INTO pg_temp.{name} SELECT * FROM {select} s", params)

    def staged_rows(self, conn, name: str, columns: Mapping[str, str],
                    rows: list[tuple]) -> tuple[str, tuple]:
        # One array per column, unnested side by side: nothing is written.
        arrays = [list(values) for values in zip(*rows)] if rows else [[] for _ in columns]
        unnest = ", ".join(f"?::{pg_schema.TYPES[t]}[]" for t in columns.values())
        return (f"(SELECT * FROM unnest({unnest}) AS {name}({', '.join(columns)}))",
                tuple(arrays))

    def drop_staged(self, conn, name: str) -> None:
        pass

    def day_after(self, day: str, days: int) -> str:
        return f"to_char(({day})::date + {int(days)}, 'YYYY-MM-DD')"

    def temp_tables(self, conn) -> list[str]:
        return [r[0] for r in conn.execute(
            "SELECT relname::text FROM pg_class WHERE relnamespace = pg_my_temp_schema()"
            " AND relkind = 'r' ORDER BY relname")]

    def index_definitions(self, conn, names: Iterable[str]) -> list[tuple[str, str]]:
        return conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND indexname = ANY(?) ORDER BY indexname", (list(names),)).fetchall()

    def drop_index(self, conn, name: str) -> None:
        conn.execute(f"DROP INDEX {pg_schema.quote(name)}")

    def trigger_definitions(self, conn, names: Iterable[str]) -> list[tuple[str, str]]:
        return conn.execute(
            "SELECT t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal "
            "AND t.tgname = ANY(?) ORDER BY t.tgname", (list(names),)).fetchall()

    def drop_trigger(self, conn, name: str) -> None:
        table = conn.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE c.relnamespace = current_schema()::regnamespace AND t.tgname = ?",
            (name,)).fetchone()[0]
        conn.execute(f"DROP TRIGGER {pg_schema.quote(name)} ON {pg_schema.quote(table)}")

    def begin_journal(self, conn, op_id: int, starts: Mapping[str, int],
                      columns: Mapping[str, list[str]]) -> None:
        # The journal's triggers are part of the schema (pg_triggers.py); they
        # record while the transaction's settings name an operation.
        settings = [("otokui.op", str(op_id))] + [
            (f"otokui.start_{table}", str(start)) for table, start in starts.items()]
        conn.execute("SELECT " + ", ".join("set_config(?, ?, true)" for _ in settings),
                     [value for pair in settings for value in pair])

    def end_journal(self, conn, tables: Iterable[str]) -> None:
        conn.execute("SELECT set_config('otokui.op', '', true)")

    def defer_foreign_keys(self, conn) -> None:
        conn.execute("SET CONSTRAINTS ALL DEFERRED")

    def foreign_keys_broken(self, conn) -> bool:
        import psycopg
        try:
            conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
        except psycopg.errors.ForeignKeyViolation:
            return True
        return False

    join_in_order = "JOIN"

    def ids_of(self, name: str) -> str:
        return f"(SELECT unnest(CAST(:{name} AS bigint[])))"

    def ids_value(self, ids) -> object:
        return _plain_list(ids)

    def json_value(self, document: str, key: str) -> str:
        return f"(CAST({document} AS jsonb) ->> '{key}')"

    def json_id(self, document: str, key: str) -> str:
        return f"CAST({self.json_value(document, key)} AS bigint)"

    def json_set(self, document: str, values: Mapping[str, str]) -> str:
        # to_jsonb must know each value's type: integers are numbers, the rest text.
        text = f"CAST({document} AS jsonb)"
        for key, value in values.items():
            typed = value if value.lstrip("-").isdigit() else f"CAST({value} AS text)"
            text = f"jsonb_set({text}, '{{{key}}}', to_jsonb({typed}))"
        return f"CAST({text} AS text)"

    def has_table(self, conn, name: str) -> bool:
        return conn.execute("SELECT to_regclass(?) IS NOT NULL", (name,)).fetchone()[0]

    def overwrite_freed(self, conn, on: bool) -> None:
        pass


def _to_integer(value):
    if value is None or value != value:
        return None
    return int(round(value)) if isinstance(value, float) else int(value)


def _to_integer_or_blank(value):
    return None if value == "" else _to_integer(value)


def _to_float(value):
    return None if value is None or value != value else float(value)


def _to_text(value):
    return None if value is None or value != value else value


_COPY_VALUE = {"INTEGER": _to_integer, "REAL": _to_float, "TEXT": _to_text, "BLOB": _to_text}


def _sequence(conn, table: str) -> str:
    """The identity sequence of ``table``'s id (looked up once per connection)."""
    known = conn.sequences
    if table not in known:
        known[table] = conn.execute("SELECT pg_get_serial_sequence(?, 'id')",
                                    (pg_schema.quote(table),)).fetchone()[0]
    return known[table]


SQLITE = SqliteDialect()
POSTGRES = PostgresDialect()


def of(conn) -> SqliteDialect:
    """The dialect of a connection (for functions handed ``conn`` alone)."""
    from engine.store.pg_connection import PgConnection
    return POSTGRES if isinstance(conn, PgConnection) else SQLITE
