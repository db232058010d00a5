"""The demo shop: a database built from the sample exports in resources/demo.

A first-time user can try every screen before importing their own orders. The
exports cover four months; the demo moves all order dates by whole months so
that the last month of orders is the month before ``today``, which makes the
follow-up lists, recency and monthly charts look like a shop in use today.
"""
from __future__ import annotations

import os
from datetime import date
from importlib.resources import as_file, files
from pathlib import Path
from typing import Callable

import pandas as pd

from engine.errors import CancelledError
from engine.paths import user_data_dir
from engine.shop import Shop

DEMO_FILE_NAME = "otokui_demo.db"
EXPORT_SUFFIXES = (".csv", ".txt", ".xlsx")
PRODUCT_LIST = "products.csv"


def demo_db_path() -> Path:
    """Where the demo database lives (the user data folder)."""
    return user_data_dir() / DEMO_FILE_NAME


def demo_exports() -> list:
    """The sample export files, oldest month first (names end in _YYYYMM)."""
    folder = files("resources") / "demo"
    entries = [e for e in folder.iterdir()
               if e.name.endswith(EXPORT_SUFFIXES) and e.name != PRODUCT_LIST]
    return sorted(entries, key=lambda e: (e.name.rsplit(".", 1)[0][-6:], e.name))


def build_demo(target: Path | None = None, today: date | None = None,
               progress: Callable[[float, str], None] | None = None,
               cancel: Callable[[], bool] | None = None) -> Path:
    """Build the demo database at ``target`` (default :func:`demo_db_path`) and return it.

    The database is built under a temporary name and moved into place at the end,
    so an interrupted build never leaves a half-filled demo behind.
    """
    target = Path(target or demo_db_path())
    report = progress or (lambda fraction, message: None)
    building = target.with_name(target.name + ".building")
    _remove(building)
    exports = demo_exports()
    try:
        with Shop(building) as shop:
            for number, entry in enumerate(exports):
                if cancel is not None and cancel():
                    raise CancelledError()
                report(number / (len(exports) + 1), f"デモのお店を準備しています（{entry.name}）")
                with as_file(entry) as path:
                    shop.imports.import_file(path)
            with as_file(files("resources") / "demo" / PRODUCT_LIST) as path:
                shop.products.import_cycles(path)
            shift_to_recent_months(shop, today or date.today())
    except BaseException:
        _remove(building)
        raise
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(building, target)
    report(1.0, "デモのお店を開きます")
    return target


def shift_to_recent_months(shop: Shop, today: date) -> int:
    """Move every order by whole months so its newest month is the one before ``today``.

    Days past a month's end are clipped to its last day (08-31 → 09-30). Returns
    the number of months moved.
    """
    with shop.db.lock:
        orders = pd.read_sql_query("SELECT id, ordered_at FROM orders", shop.db.conn)
    if orders.empty:
        return 0
    stamps = pd.to_datetime(orders["ordered_at"])
    newest = stamps.max()
    months = (today.year * 12 + today.month - 1) - (newest.year * 12 + newest.month)
    if months == 0:
        return 0
    shifted = stamps + pd.DateOffset(months=months)
    with shop.db.transaction() as conn:
        conn.executemany(
            "UPDATE orders SET ordered_at = ?, order_date = ? WHERE id = ?",
            zip(shifted.dt.strftime("%Y-%m-%d %H:%M:%S"), shifted.dt.strftime("%Y-%m-%d"),
                orders["id"].tolist()))
        conn.execute("UPDATE customers SET info_at = (SELECT max(o.ordered_at) FROM orders o "
                     "WHERE o.customer_id = customers.id) WHERE info_at != ''")
    return months


def _remove(path: Path) -> None:
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        candidate.unlink(missing_ok=True)
