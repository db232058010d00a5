"""The demo shop: a database built from the sample exports in resources/demo.

A first-time user can try every screen before importing their own orders (a
survey with answers and a journey map come with it, resources/demo/examples.json). The
exports cover four months; engine/app/demo_history.py adds the 23 months before
them, so that 前年比 and the time axis have something to show. The demo then moves
all order dates by whole months so that the last month of orders is the month
before ``today``, which makes the follow-up lists, recency and monthly charts look
like a shop in use today.
"""
from __future__ import annotations

import json
import os
import tempfile
from datetime import date, timedelta
from importlib.resources import as_file, files
from pathlib import Path

import pandas as pd

from engine.app.demo_history import HISTORY_MONTHS, read_export, write_history
from engine.errors import OtokuiError
from engine.progress import Cancel, Progress, check_cancel, reporter
from engine.shop import Shop
from engine.store import postgres
from engine.store.paths import user_data_dir

DEMO_FILE_NAME = "otokui_demo.db"
EXPORT_SUFFIXES = (".csv", ".txt", ".xlsx")
PRODUCT_LIST = "products.csv"
EXAMPLES = "examples.json"


def demo_db_path() -> Path:
    """Where the demo database lives (the user data folder)."""
    return user_data_dir() / DEMO_FILE_NAME


def demo_exports() -> list:
    """The sample export files, oldest month first (names end in _YYYYMM)."""
    folder = files("resources") / "demo"
    entries = [e for e in folder.iterdir()
               if e.name.endswith(EXPORT_SUFFIXES) and e.name != PRODUCT_LIST]
    return sorted(entries, key=lambda e: (e.name.rsplit(".", 1)[0][-6:], e.name))


def build_demo(target: Path | str | None = None, today: date | None = None,
               progress: Progress | None = None,
               cancel: Cancel | None = None) -> Path | str:
    """Build the demo database at ``target`` (default :func:`demo_db_path`) and return it.

    The database is built under a temporary name and moved into place at the end,
    so an interrupted build never leaves a half-filled demo behind. ``target`` may
    be the URL of an empty database on a PostgreSQL server (a demo to try the
    shared store with): the demo is built there directly.
    """
    report = reporter(progress)
    if target is not None and postgres.is_url(str(target)):
        with Shop(str(target)) as shop:
            if shop.db.scalar("SELECT count(*) FROM orders"):
                raise OtokuiError(f"{shop.db.where} にはすでに注文があります。"
                                  "デモのお店は空のデータベースに作ってください。")
            _fill(shop, today or date.today(), report, cancel)
        report(1.0, "デモのお店を開きます")
        return str(target)
    target = Path(target or demo_db_path())
    building = target.with_name(target.name + ".building")
    _remove(building)
    try:
        with Shop(building) as shop:
            _fill(shop, today or date.today(), report, cancel)
    except BaseException:
        _remove(building)
        raise
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(building, target)
    report(1.0, "デモのお店を開きます")
    return target


def _fill(shop: Shop, today: date, report, cancel: Cancel | None) -> None:
    """The sample exports, the history before them, the product cycles and the
    examples imported into the empty ``shop``, dates moved up to ``today``."""
    exports = demo_exports()
    steps = len(exports) + 2
    with tempfile.TemporaryDirectory() as folder:
        for number, entry in enumerate(exports):
            check_cancel(cancel)
            report(number / steps, f"デモのお店を準備しています（{entry.name}）")
            with as_file(entry) as path:
                shop.imports.import_file(path)
        check_cancel(cancel)
        report(len(exports) / steps,
               f"デモのお店を準備しています（それ以前の{HISTORY_MONTHS}か月）")
        by_source: dict[str, list] = {}
        for entry in exports:
            by_source.setdefault(entry.name.split("_")[0], []).append(
                read_export(entry.name, entry.read_bytes()))
        for path in write_history(shop, by_source, Path(folder)):
            shop.imports.import_file(path)
    with as_file(files("resources") / "demo" / PRODUCT_LIST) as path:
        shop.products.import_cycles(path)
    shift_to_recent_months(shop, today)
    add_examples(shop, today)


def shift_to_recent_months(shop: Shop, today: date) -> int:
    """Move every order by whole months so its newest month is the one before ``today``.

    Days past a month's end are clipped to its last day (08-31 → 09-30). Returns
    the number of months moved.
    """
    orders = shop.db.frame("SELECT id, ordered_at FROM orders")
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


def add_examples(shop: Shop, today: date) -> None:
    """A survey answered by the best customers, a filled-in journey map
    (resources/demo/examples.json), e-mail consent for two in three customers with
    their own address and this month's follow-up plan, so those screens (今日の仕事
    first) have something to show."""
    add_consent_and_plan(shop, today)
    examples = json.loads((files("resources") / "demo" / EXAMPLES).read_text(encoding="utf-8"))
    survey = examples["survey"]
    survey_id = shop.surveys.create_from_template(survey["template"]).created
    questions = shop.surveys.get(survey_id).questions
    best = shop.customers.table(as_of=today)["customer_id"].tolist()
    for days_ago, (customer_id, values) in enumerate(zip(best, survey["responses"])):
        answers = {q.id: _answer(q, v) for q, v in zip(questions, values) if v != ""}
        shop.surveys.save_response(survey_id, int(customer_id), answers,
                                   answered_on=today - timedelta(days=1 + days_ago))
    journey = examples["journey"]
    map_id = shop.journeys.create(journey["name"], journey["cluster"], journey["persona"]).created
    layout = shop.journeys.get(map_id)
    rows = {lane.name: lane.id for lane in layout.rows}
    for stage in layout.stages:
        for row_name, text in journey["cells"].get(stage.name, {}).items():
            shop.journeys.set_cell(stage.id, rows[row_name], text)


def add_consent_and_plan(shop: Shop, today: date) -> None:
    from engine.customers.consent import relay_sql
    from engine.dates import add_months, first_day, month_of
    ids = [row["id"] for row in shop.db.query(
        f"SELECT id FROM customers WHERE email LIKE '%_@_%' AND NOT {relay_sql('email')} "
        "ORDER BY id")]
    with shop.db.transaction() as conn:
        conn.executemany(
            "INSERT INTO consents (customer_id, channel, value, recorded_on, source, created_at)"
            " VALUES (?, 'email', 'yes', ?, 'デモ: メルマガ登録', ?)",
            [(i, (today - timedelta(days=90)).isoformat(), today.isoformat())
             for n, i in enumerate(ids) if n % 3 != 2])
    # A plan of three months ago, carried out, with a comparison group: the dashboard's
    # 施策の効果 has a finished window to show.
    past = add_months(month_of(today), -3)
    shop.followups.generate(past, first_day(past), holdout_share=0.2)
    tasks = shop.followups.tasks(past)
    if len(tasks):
        shop.followups.check_off_many(tasks["task_id"], done_on=first_day(past) + timedelta(days=14))
    shop.followups.generate(month_of(today), today)


def _answer(question, value):
    """A choice is given by its option's label; scales and texts as they are."""
    if question.kind == "choice":
        return next(o.id for o in question.options if o.label == value)
    return value


def _remove(path: Path) -> None:
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        candidate.unlink(missing_ok=True)
