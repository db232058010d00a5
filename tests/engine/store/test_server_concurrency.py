"""Several desktops at once, each a process of its own, on one shop on the test
server (and, for comparison, on one SQLite file): two check off the same task, two
save the same customer's note — one wins, the others are told who, nothing is
recorded twice and nothing is silently lost."""
import multiprocessing

import pytest

from engine import Shop
from engine.store.staff import when_text
from tests.support.desks import add_customer_and_task, desk

STAFF = ("山田", "鈴木", "佐藤")


@pytest.fixture(params=["postgresql", "sqlite"])
def location(request, tmp_path):
    if request.param == "sqlite":
        if request.config.getoption("--store") == "postgresql":
            pytest.skip("the run on PostgreSQL opens every shop there")
        return str(tmp_path / "shop.db")
    return request.getfixturevalue("postgres_url")


def _race(location: str, job: str, target: int, texts: dict[str, str]) -> list[tuple]:
    """Each of STAFF in a process of its own does ``job`` at the same moment (a
    barrier); their (staff, outcome, message, note) sorted by staff."""
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(len(STAFF)), context.Queue()
    desks = [context.Process(target=desk, args=(location, staff, job, target,
                                               texts.get(staff, ""), barrier, results))
             for staff in STAFF]
    for process in desks:
        process.start()
    outcomes = [results.get(timeout=120) for _ in desks]
    for process in desks:
        process.join(timeout=60)
        assert process.exitcode == 0
    return sorted(outcomes)


def test_desktops_checking_off_one_task_at_once_record_it_once(location):
    with Shop(location, staff="準備") as shop:
        customer, task = add_customer_and_task(shop)
    outcomes = _race(location, "check_off", task, {})
    winners = [o for o in outcomes if o[1] == "ok"]
    losers = [o for o in outcomes if o[1] == "conflict"]
    assert (len(winners), len(losers)) == (1, len(STAFF) - 1)
    winner = winners[0][0]
    with Shop(location, staff="確認") as shop:
        done_at = shop.db.scalar("SELECT done_at FROM followup_tasks WHERE id = ?", (task,))
        assert shop.db.query("SELECT customer_id, staff FROM touches") == [
            {"customer_id": customer, "staff": winner}]
        assert shop.db.query("SELECT status, done_by FROM followup_tasks") == [
            {"status": "done", "done_by": winner}]
        assert shop.db.scalar("SELECT count(*) FROM operations") == 1
    for _staff, _outcome, message, _note in losers:
        assert message.startswith(f"この対応は{winner}さんが{when_text(done_at)}に完了にしています。")


def test_desktops_saving_one_note_at_once_lose_nothing_silently(location):
    with Shop(location, staff="準備") as shop:
        customer, _task = add_customer_and_task(shop)
    texts = {staff: f"{staff}のメモ" for staff in STAFF}
    outcomes = _race(location, "note", customer, texts)
    winners = [o for o in outcomes if o[1] == "ok"]
    assert len(winners) == 1
    winner = winners[0][0]
    with Shop(location, staff="確認") as shop:
        stored = shop.customers.get(customer)
        assert (stored["notes"], stored["notes_by"]) == (texts[winner], winner)
        assert shop.db.scalar("SELECT count(*) FROM operations") == 1
    # Every other desktop was told, with the note that is stored, and still has its text.
    for staff, outcome, message, current in outcomes:
        if staff != winner:
            assert outcome == "conflict"
            assert message.startswith(f"このメモは開いたあとで{winner}さんが")
            assert current == texts[winner]
