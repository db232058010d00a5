"""Erasure on request in a shop on a PostgreSQL server: the person is gone from every
table and the undo journal, for every desktop; the backups on this PC go, and a
backup another desktop took before the erasure brings nobody back when restored."""
import pytest

from engine import Shop
from engine.customers.privacy import ERASED_NAME
from engine.store import dialect
from engine.store.redaction import ServerErasureLedger
from engine.store.server_backups import ServerBackups
from tests.engine.customers.test_privacy import personal_strings, pick_customer, write_about
from tests.support.snapshot import meta, sample_files

AS_OF = meta()["as_of"]


def holding(shop, strings) -> list[tuple[str, str]]:
    """(table, text) for every one of ``strings`` any row of any table holds."""
    found = []
    for t in dialect.tables():
        for row in shop.db.conn.execute(f"SELECT * FROM {dialect.quote(t.name)}"):
            text = " ".join(str(v) for v in row)
            found += [(t.name, s) for s in strings if s in text]
    return found


@pytest.fixture
def server(postgres_url, tmp_path, monkeypatch):
    """A server shop with four sample files, one customer with notes, a survey
    answer, a touch and an opt-in; a backup of it taken by another desktop."""
    monkeypatch.setenv("OTOKUI_HOME", str(tmp_path / "this_pc"))
    shop = Shop(postgres_url)
    for f in sample_files()[:4]:
        shop.imports.import_file(f)
    customer = pick_customer(shop)
    opt_in = write_about(shop, customer)
    other_pc = ServerBackups(postgres_url, folder=tmp_path / "other_pc")
    taken = other_pc.create("別のパソコンの取込前")
    yield shop, customer, other_pc, taken.path, opt_in
    shop.close()


def test_the_erased_person_is_in_no_table_nor_the_journal(server):
    shop, customer, _, _, _ = server
    strings = personal_strings(customer)
    assert holding(shop, strings) != []          # the details were there to erase
    kpis = shop.analysis.kpis(as_of=AS_OF)
    orders = shop.db.query("SELECT id, order_date, amount FROM orders WHERE customer_id = ? "
                           "ORDER BY id", (customer["id"],))
    assert len(shop.backups.list()) >= 4         # one before each import on this PC
    report = shop.privacy.delete_customer(customer["id"])
    assert holding(shop, strings) == []
    row = shop.customers.get(customer["id"])
    assert (row["name"], row["email"], row["phone"], row["notes"]) == (ERASED_NAME, "", "", "")
    assert row["dm_ok"] == 0
    # Orders and figures stay, under the anonymous customer.
    assert shop.analysis.kpis(as_of=AS_OF) == kpis
    assert shop.db.query("SELECT id, order_date, amount FROM orders WHERE customer_id = ? "
                         "ORDER BY id", (customer["id"],)) == orders
    # This PC's backups held the person: deleted, and the report says so.
    assert shop.backups.list() == [] and report.backups == 0
    assert "削除しました" in report.pending
    # Every desktop reads the same database: a second one sees the person gone.
    with Shop(shop.db.url) as other_desktop:
        assert other_desktop.customers.get(customer["id"])["name"] == ERASED_NAME


def test_undo_of_an_earlier_operation_brings_nothing_back(server):
    shop, customer, _, _, opt_in = server
    shop.privacy.delete_customer(customer["id"])
    shop.journal.undo(opt_in)
    assert holding(shop, personal_strings(customer)) == []
    row = shop.customers.get(customer["id"])
    assert (row["name"], row["dm_ok"]) == (ERASED_NAME, 0)


def test_a_backup_from_before_restored_on_another_desktop_keeps_the_person_erased(server):
    shop, customer, other_pc, taken, _ = server
    shop.privacy.delete_customer(customer["id"])
    ledger = ServerErasureLedger(shop.db.dialect).erasures(shop.db.conn)
    assert [e.customers for e in ledger] == [[customer["id"]]]
    other_pc.restore(taken)
    shop.db.forget_memos()
    assert holding(shop, personal_strings(customer)) == []
    assert shop.customers.get(customer["id"])["name"] == ERASED_NAME
    # The ledger survives the restore: the next restore erases them again too.
    assert ServerErasureLedger(shop.db.dialect).erasures(shop.db.conn) == ledger
    other_pc.restore(taken)
    assert holding(shop, personal_strings(customer)) == []
