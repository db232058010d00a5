"""Reading and normalising a big export in a second process while this one writes.

Parsing (CSV, normalising, digests) and writing to SQLite each take about half of
a big import and both are CPU-bound Python, so on two cores they overlap only in
two processes. The parsing process reads the database (read-only, its last
committed state: the state before this import) to leave out orders already
stored unchanged, and sends the finished batches through a bounded queue. A shop
on a PostgreSQL server is read the same way, over a connection of the parser's own.

The process is started with ``spawn`` on every platform (Windows has nothing
else), which imports the main module again: a script that imports big files
through the engine needs the ``if __name__ == "__main__":`` guard, as main.py has.
"""
from __future__ import annotations

import multiprocessing
import os
import queue as queues
import threading
from pathlib import Path
from typing import Iterator

from engine.errors import OtokuiError
from engine.imports.formats import FormatPreset
from engine.imports.order_frame import KnownOrders, OrderBatch, iter_batches
from engine.imports.reader import OpenedFile, python_text
from engine.store.database import connect_read_only

# Below this many lines the second process's start (about a second) is not worth it.
PARALLEL_MIN_LINES = 200_000
# Rows per batch: smaller than the one-process chunks, so two processes' batches
# in memory at once stay within the import's memory budget.
PARALLEL_CHUNK_ROWS = 50_000
# Batches the parser may run ahead of the writer.
_AHEAD = 2
_LINE_COLUMNS = ["order_no", "line_no", "product_code", "product_name", "unit_price",
                 "quantity", "amount"]


class ParserProcessLost(Exception):
    """The parsing process could not start or ended without a word."""


def parallel_batches(opened: OpenedFile, preset: FormatPreset, db_path: Path | str,
                     rows: int = PARALLEL_CHUNK_ROWS) -> Iterator[tuple[OrderBatch, float]]:
    """The same batches as ``iter_batches(opened, preset, rows, KnownOrders(…))``,
    produced by a second process. ``db_path``: the database file, or the URL of a
    shop on a PostgreSQL server. Close the iterator to stop that process."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue(maxsize=_AHEAD)
    process = context.Process(target=_produce, args=(opened, preset, str(db_path), rows, results),
                              name="otokui-parser", daemon=True)
    try:
        process.start()
    except Exception as exc:  # noqa: BLE001 — any failure to start means: parse here instead
        raise ParserProcessLost(str(exc)) from exc
    try:
        while True:
            try:
                message = results.get(timeout=0.5)
            except queues.Empty:
                if not process.is_alive():
                    raise ParserProcessLost(f"exit code {process.exitcode}") from None
                continue
            if message[0] == "batch":
                yield message[1], message[2]
            elif message[0] == "error":
                raise message[1]
            elif message[0] == "lost":
                raise ParserProcessLost(message[1])
            else:
                return
    finally:
        if process.is_alive():
            process.terminate()
        process.join(timeout=10)
        results.close()
        results.cancel_join_thread()


def _produce(opened: OpenedFile, preset: FormatPreset, db_path: str, rows: int,
             results) -> None:
    """The parsing process: every batch, then ("done",), ("error", OtokuiError) for a
    problem with the file, or ("lost", text) for anything else (the writer then
    imports in one process, where a real problem shows up again)."""
    _die_with_parent()
    with python_text():
        try:
            conn, dialect = _read_only(db_path)
            try:
                known = KnownOrders(conn, preset.name, dialect)
                for batch, fraction in iter_batches(opened, preset, rows, known):
                    results.put(("batch", _for_writer(batch), fraction))
            finally:
                conn.close()
            results.put(("done",))
        except OtokuiError as exc:
            results.put(("error", exc))
        except BaseException as exc:  # noqa: BLE001 — every other failure: parse in one process
            results.put(("lost", f"{type(exc).__name__}: {exc}"))


def _read_only(location: str):
    """A connection that reads the shop's last committed state, and its dialect."""
    from engine.store import postgres
    if postgres.is_url(location):
        from engine.store.dialects import POSTGRES
        from engine.store.pg_connection import PgConnection
        return PgConnection(postgres.connect(location, autocommit=True)), POSTGRES
    from engine.store.dialects import SQLITE
    return connect_read_only(location), SQLITE


def _die_with_parent() -> None:
    """End this process the moment the importing one is gone (killed, crashed):
    an orphan would parse on for minutes and hold the database files open."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()   # returns when the parent's end of a pipe closes, however it ended
        os._exit(1)
    threading.Thread(target=watch, name="otokui-parent-watch", daemon=True).start()


def _for_writer(batch: OrderBatch) -> OrderBatch:
    """Only the line columns the writer uses travel (orders travel whole)."""
    if len(batch.lines):
        batch.lines = batch.lines[_LINE_COLUMNS]
    return batch
