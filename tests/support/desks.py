"""Several desktops on one shop: a follow-up task to fight over, and what one
desktop (a process of its own) does with it — importable by spawned processes."""
from __future__ import annotations

from engine import Shop
from engine.errors import ConflictError

TASK_ACTION = "お礼の電話"


def add_customer_and_task(shop: Shop, name: str = "佐藤 花子") -> tuple[int, int]:
    """A customer with one open phone task of 2026-12 (written directly: the plan
    generator is not what these tests are about): (customer id, task id)."""
    with shop.db.transaction() as conn:
        customer_id = conn.execute(
            "INSERT INTO customers (name, created_at) VALUES (?, '2026-11-01 09:00:00')",
            (name,)).lastrowid
        task_id = conn.execute(
            "INSERT INTO followup_tasks (month, customer_id, step, cluster, due_date,"
            " planned_medium, medium, action) VALUES ('2026-12', ?, 1, 'new', '2026-12-07',"
            " 'phone', 'phone', ?)", (customer_id, TASK_ACTION)).lastrowid
    return customer_id, task_id


def _outcome(work) -> tuple[str, str]:
    try:
        work()
    except ConflictError as exc:
        return "conflict", str(exc)
    return "ok", ""


def desk(location: str, staff: str, job: str, target: int, text: str, barrier, results) -> None:
    """One desktop: open the shop as ``staff``, wait for the others, then check off
    task ``target`` (``job`` "check_off") or save ``text`` as customer ``target``'s
    note, having started from an empty one ("note"); puts (staff, outcome, message,
    stored note) on ``results``."""
    with Shop(location, staff=staff) as shop:
        barrier.wait(timeout=60)
        if job == "check_off":
            outcome = _outcome(lambda: shop.followups.check_off(target, done_on="2026-12-07"))
            results.put((staff, *outcome, ""))
            return
        try:
            shop.customers.set_notes(target, text, seen="")
        except ConflictError as exc:
            results.put((staff, "conflict", str(exc), exc.current))
            return
        results.put((staff, "ok", "", text))
