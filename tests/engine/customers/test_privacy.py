"""Erasure on request and the retention purge: personal data gone from every table,
the file's bytes and the exports; anonymous order figures and KPIs unchanged."""
import sqlite3
import subprocess
import sys

import pytest

from engine import Shop
from engine.customers.eligibility import dm_eligible_sql
from engine.customers.privacy import ERASED_NAME
from engine.errors import OtokuiError
from engine.export import write_table
from engine.research.survey_model import QuestionSpec
from engine.store import pagefile
from tests.support.backups import backup_bytes
from tests.support.paths import ROOT
from tests.support.snapshot import meta, sample_files

AS_OF = meta()["as_of"]


def pick_customer(shop) -> dict:
    """A customer with several orders whose name, phone and email are their own."""
    return shop.db.query(
        "SELECT c.id, c.name, c.kana, c.phone, c.phone_digits, c.email, c.address1, "
        "c.postal_code FROM customers c WHERE c.email != '' AND c.phone != '' AND c.kana != '' "
        + "".join(f"AND (SELECT count(*) FROM customers d WHERE d.{f} = c.{f}) = 1 "
                  f"AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.{f} = c.{f} "
                  "AND o.customer_id != c.id) "
                  for f in ("name", "kana", "phone", "email", "address1")) +
        "AND (SELECT count(*) FROM orders o WHERE o.customer_id = c.id) >= 2 "
        "ORDER BY c.id LIMIT 1")[0]


def personal_strings(customer: dict) -> list[str]:
    return [customer[k] for k in ("name", "kana", "phone", "phone_digits", "email", "address1")]


def write_about(shop, customer: dict) -> int:
    """Notes, a survey answer and a touch naming ``customer``, and an opt-in; returns
    the opt-in's operation."""
    cid = customer["id"]
    shop.customers.set_notes(cid, f"{customer['name']}様は電話 {customer['phone']} を希望")
    survey = shop.surveys.create("満足度", questions=[QuestionSpec("text", "ご意見")]).created
    question = shop.surveys.get(survey).questions[0].id
    shop.surveys.save_response(survey, cid, {question: f"{customer['email']} に連絡ください"})
    shop.touches.record([cid], "phone", "お礼の電話", on="2025-10-01",
                        result=f"{customer['kana']}様 不在")
    return shop.customers.set_opt_out(cid, False).operation


@pytest.fixture(scope="module")
def erased(tmp_path_factory):
    """A file shop with every sample, one customer with notes, a survey answer, a touch
    and a merge, then that customer erased. Yields (shop, customer, before)."""
    shop = Shop(tmp_path_factory.mktemp("privacy") / "shop.db")
    with shop.imports.batch():
        for f in sample_files():
            shop.imports.import_file(f)
    customer = pick_customer(shop)
    cid = customer["id"]
    write_about(shop, customer)
    before = {"kpis": shop.analysis.kpis(as_of=AS_OF),
              "orders": shop.db.query(
                  "SELECT id, order_date, amount, status FROM orders WHERE customer_id = ? "
                  "ORDER BY id", (cid,)),
              "lines": shop.db.scalar(
                  "SELECT count(*) FROM order_lines l JOIN orders o ON o.id = l.order_id "
                  "WHERE o.customer_id = ?", (cid,))}
    shop.privacy.delete_customer(cid)
    yield shop, customer, before
    shop.close()


def test_no_table_holds_the_erased_customers_details(erased):
    shop, customer, _ = erased
    conn = shop.db.conn
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    assert len(tables) > 20
    found = []
    for table in tables:
        for row in conn.execute(f"SELECT * FROM {table}"):
            text = " ".join(str(v) for v in row)
            found += [(table, s) for s in personal_strings(customer) if s in text]
    assert found == []


def test_the_database_file_bytes_hold_none_of_it(erased):
    shop, customer, _ = erased
    raw = b"".join(p.read_bytes() for p in shop.path.parent.glob("shop.db*"))
    assert len(raw) > 50_000
    for value in personal_strings(customer):
        assert value.encode("utf-8") not in raw, value


def test_a_backup_made_afterwards_holds_none_of_it(erased):
    shop, customer, _ = erased
    raw = backup_bytes(shop.backups.create("削除後").path)
    for value in personal_strings(customer):
        assert value.encode("utf-8") not in raw, value


def test_orders_figures_and_kpis_are_kept(erased):
    shop, customer, before = erased
    assert shop.analysis.kpis(as_of=AS_OF) == before["kpis"]
    assert shop.db.query("SELECT id, order_date, amount, status FROM orders WHERE customer_id = ? "
                         "ORDER BY id", (customer["id"],)) == before["orders"]
    assert shop.db.scalar("SELECT count(*) FROM order_lines l JOIN orders o ON o.id = l.order_id "
                          "WHERE o.customer_id = ?", (customer["id"],)) == before["lines"]
    row = shop.customers.get(customer["id"])
    assert (row["name"], row["email"], row["phone"], row["notes"]) == (ERASED_NAME, "", "", "")
    assert row["erased_at"] is not None


def test_exports_hold_none_of_it(erased, tmp_path):
    shop, customer, _ = erased
    table = shop.customers.table(as_of=AS_OF)
    for suffix in (".csv", ".xlsx"):
        out = tmp_path / f"customers{suffix}"
        write_table(table, out)
        data = out.read_bytes()
        if suffix == ".xlsx":
            import zipfile
            with zipfile.ZipFile(out) as book:
                data = b"".join(book.read(n) for n in book.namelist())
        for value in personal_strings(customer):
            assert value.encode("utf-8") not in data
    answers = tmp_path / "answers.csv"
    shop.surveys.export_answers(shop.surveys.list_surveys()[0]["id"], answers)
    assert customer["email"].encode() not in answers.read_bytes()


def test_the_erased_customer_gets_no_dm(erased):
    shop, customer, _ = erased
    assert shop.db.scalar(f"SELECT {dm_eligible_sql('c')} FROM customers c WHERE c.id = ?",
                          (customer["id"],)) == 0
    from engine.marketing import dm_targets
    selection = dm_targets.select(shop, customer_ids=[customer["id"]], as_of=AS_OF)
    assert selection.targets.empty
    assert selection.skipped["reason"].tolist() == [dm_targets.REASON_DELETED]


def test_a_second_erasure_or_an_unknown_id_is_refused(erased):
    shop, customer, _ = erased
    with pytest.raises(OtokuiError, match="すでに削除"):
        shop.privacy.delete_customer(customer["id"])
    with pytest.raises(OtokuiError, match="見つかりません"):
        shop.privacy.delete_customer(999999)


def test_erasure_reaches_customers_merged_into_it(tmp_path):
    with Shop(tmp_path / "shop.db") as shop:
        for f in sample_files()[:4]:
            shop.imports.import_file(f)
        keep, other = [r["id"] for r in shop.db.query(
            "SELECT id FROM customers WHERE email != '' ORDER BY id LIMIT 2")]
        other_email = shop.customers.get(other)["email"]
        shop.customers.merge(keep, other)
        assert other_email in " ".join(r["before"] for r in shop.db.query("SELECT before FROM journal"))
        shop.privacy.delete_customer(keep)
        journal = " ".join(r["before"] for r in shop.db.query("SELECT before FROM journal"))
        assert other_email not in journal


# --- DM opt-out ------------------------------------------------------------------------

def test_opt_out_is_respected_by_the_shared_predicate_and_lists():
    shop = Shop(":memory:")
    for f in sample_files():
        shop.imports.import_file(f)
    eligible = shop.db.scalar(f"SELECT min(c.id) FROM customers c WHERE {dm_eligible_sql('c')}")
    assert shop.customers.get(eligible)["dm_ok"] == 1
    shop.customers.set_opt_out(eligible, True)
    assert shop.customers.get(eligible)["dm_ok"] == 0
    assert shop.db.scalar(f"SELECT {dm_eligible_sql('c')} FROM customers c WHERE c.id = ?",
                          (eligible,)) == 0
    table = shop.customers.table(as_of=AS_OF).set_index("customer_id")
    assert table.loc[eligible, "dm_ok"] == 0
    from engine.marketing import dm_targets
    selection = dm_targets.select(shop, customer_ids=[eligible], as_of=AS_OF)
    assert selection.targets.empty
    assert selection.skipped["reason"].tolist() == [dm_targets.REASON_OPT_OUT]


# --- retention purge ---------------------------------------------------------------------

def test_purge_erases_only_customers_inactive_for_n_years():
    with Shop(":memory:") as shop:
        for f in sample_files():
            shop.imports.import_file(f)
        last = {r["customer_id"]: r["last"] for r in shop.db.query(
            "SELECT customer_id, max(order_date) AS last FROM orders GROUP BY customer_id")}
        # As of 2027-09-01, two years back is 2025-09-01: customers whose last order
        # is in July or August 2025 go, those with a later order stay.
        expected = sorted(c for c, day in last.items() if day < "2025-09-01")
        assert 0 < len(expected) < len(last)
        assert shop.privacy.inactive_customers(2, as_of="2027-09-01") == expected
        sales = shop.db.scalar("SELECT sum(amount) FROM orders")
        assert shop.privacy.purge_inactive(2, as_of="2027-09-01") == len(expected)
        erased = [r["id"] for r in shop.db.query(
            "SELECT id FROM customers WHERE erased_at IS NOT NULL ORDER BY id")]
        assert erased == expected
        assert shop.db.scalar("SELECT count(*) FROM orders WHERE email != '' AND customer_id IN "
                              "(SELECT id FROM customers WHERE erased_at IS NOT NULL)") == 0
        assert shop.db.scalar("SELECT sum(amount) FROM orders") == sales
        assert shop.privacy.inactive_customers(2, as_of="2027-09-01") == []


def test_retention_setting(tmp_path):
    shop = Shop(":memory:")
    assert shop.privacy.retention_years() is None
    with pytest.raises(OtokuiError, match="保存期間が設定されていません"):
        shop.privacy.purge_inactive()
    shop.privacy.set_retention_years(5)
    assert shop.privacy.retention_years() == 5
    assert shop.privacy.purge_inactive() == 0
    for bad in (0, -1, 1.5, "3"):
        with pytest.raises(OtokuiError, match="1年以上"):
            shop.privacy.set_retention_years(bad)


# --- command line ---------------------------------------------------------------------

def run_cli(*args):
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_cli_delete_and_purge_need_confirmation(tmp_path):
    db = tmp_path / "shop.db"
    with Shop(db) as shop:
        for f in sample_files()[:4]:
            shop.imports.import_file(f)
        customer = pick_customer(shop)
    refused = run_cli("privacy", "delete", str(customer["id"]), "--db", str(db))
    assert refused.returncode == 1 and "--yes" in refused.stderr
    with Shop(db) as shop:
        assert shop.customers.get(customer["id"])["name"] == customer["name"]
    done = run_cli("privacy", "delete", str(customer["id"]), "--yes", "--db", str(db))
    assert done.returncode == 0, done.stderr
    with Shop(db) as shop:
        assert shop.customers.get(customer["id"])["name"] == ERASED_NAME
    refused = run_cli("privacy", "purge", "--years", "1", "--as-of", "2030-01-01", "--db", str(db))
    assert refused.returncode == 1 and "--yes" in refused.stderr
    done = run_cli("privacy", "purge", "--years", "1", "--as-of", "2030-01-01", "--yes",
                   "--db", str(db))
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM customers WHERE erased_at IS NULL").fetchone() == (0,)
    conn.close()
    missing = run_cli("privacy", "delete", "999999", "--yes", "--db", str(db))
    assert missing.returncode == 1 and "999999" in missing.stderr


# Last: it changes the shared erased shop.
def test_undoing_an_earlier_import_after_erasure_brings_nothing_back(erased):
    shop, customer, _ = erased
    for row in shop.imports.history():
        if row["can_undo"]:
            shop.imports.undo(row["id"])
    text = " ".join(str(v) for r in shop.db.conn.execute("SELECT * FROM customers") for v in r)
    for value in personal_strings(customer):
        assert value not in text


def test_reimporting_an_erased_customers_changed_order_keeps_them_erased(tmp_path):
    from tests.support.generated_export import csv_bytes, order_rows

    rows = order_rows(20, 5, seed=3)
    first = tmp_path / "orders.csv"
    first.write_bytes(csv_bytes(rows))
    with Shop(tmp_path / "shop.db") as shop:
        shop.imports.import_file(first)
        email = rows[0][1]
        cid = shop.db.scalar("SELECT id FROM customers WHERE email = ?", (email,))
        shop.privacy.delete_customer(cid)
        # The same orders exported again, one of theirs changed (quantity 9).
        rows[0][4] = "9"
        again = tmp_path / "orders_again.csv"
        again.write_bytes(csv_bytes(rows))
        result = shop.imports.import_file(again)
        assert result.orders_updated == 1
        assert shop.customers.get(cid)["name"] == ERASED_NAME
        assert shop.db.scalar("SELECT count(*) FROM identity_keys WHERE customer_id = ?", (cid,)) == 0
        for table in [r["name"] for r in shop.db.query(
                "SELECT name FROM sqlite_master WHERE type = 'table'")]:
            text = " ".join(str(v) for row in shop.db.conn.execute(f"SELECT * FROM {table}")
                            for v in row)
            assert email not in text, table


# --- exactly the erased person, everywhere the app keeps data (issue: data safety) ----

GENERIC = "会員コード,受注番号,受注日,氏名,フリガナ,郵便番号,住所,電話番号,メールアドレス,商品コード,商品名,単価,数量\n"


def namesake_shop(path):
    """Two different customers both named 佐藤 花子 (different members, phones, addresses),
    each with a note naming 佐藤 花子, and a backup taken while both were intact."""
    orders = path.parent / "namesakes.csv"
    orders.write_text(GENERIC + (
        "M1,1,2025-01-10,佐藤 花子,サトウ ハナコ,1500001,東京都渋谷区神宮前1-2-3,090-1111-2222,hanako1@example.jp,S1,石鹸,1000,1\n"
        "M2,2,2025-02-10,佐藤 花子,サトウ ハナコ,5300001,大阪府大阪市北区梅田2-4-9,080-3333-4444,hanako2@example.jp,S1,石鹸,2000,1\n"
        "M3,3,2025-03-10,山田 太郎,ヤマダ タロウ,4600008,愛知県名古屋市中区栄3-5-1,070-5555-6666,taro@example.jp,S1,石鹸,3000,1\n"),
        encoding="utf-8")
    shop = Shop(path)
    shop.imports.import_file(orders)
    first, second = (shop.db.scalar("SELECT customer_id FROM orders WHERE order_no = ?", (n,))
                     for n in ("1", "2"))
    for cid in (first, second):
        shop.customers.set_notes(cid, "佐藤 花子様ご本人と通話")
    backup = shop.backups.create("手動")
    return shop, first, second, backup


def all_text(conn) -> str:
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return " ".join(str(v) for t in tables for row in conn.execute(f"SELECT * FROM {t}")
                    for v in row)


def test_erasing_one_customer_leaves_a_namesake_untouched(tmp_path):
    shop, first, second, _ = namesake_shop(tmp_path / "shop.db")
    statements = []
    shop.db.conn.set_trace_callback(statements.append)
    report = shop.privacy.delete_customer(first)
    shop.db.conn.set_trace_callback(None)
    other = shop.customers.get(second)
    assert (other["name"], other["notes"], other["phone"]) == \
        ("佐藤 花子", "佐藤 花子様ご本人と通話", "080-3333-4444")
    assert shop.customers.get(first)["name"] == ERASED_NAME
    # A fixed handful of statements, whatever the shop's size (a sweep issued 713,778).
    assert len(statements) < 40, len(statements)
    # Two backups: the one before the import and the one made by hand.
    assert (report.customers, report.backups, report.pending) == (1, 2, "")
    shop.close()


def test_undo_after_an_erasure_keeps_the_customer_erased_and_opted_out(tmp_path):
    shop, first, second, _ = namesake_shop(tmp_path / "shop.db")
    notes_op = shop.db.scalar("SELECT max(id) FROM operations WHERE kind = 'edit'")   # the namesake's note
    shop.privacy.delete_customer(first)
    shop.customers.set_opt_out(second, True)
    edits = [r[0] for r in shop.db.conn.execute(
        "SELECT id FROM operations WHERE kind = 'edit' AND undone_at IS NULL ORDER BY id DESC")]
    for op in edits:
        shop.journal.undo(op)
    erased = shop.db.query("SELECT name, erased_at, dm_opt_out, dm_manual, notes FROM customers "
                           "WHERE id = ?", (first,))[0]
    assert erased["name"] == ERASED_NAME and erased["erased_at"] is not None
    assert (erased["dm_opt_out"], erased["dm_manual"], erased["notes"]) == (1, 0, "")
    assert shop.customers.get(second)["name"] == "佐藤 花子"
    assert notes_op in edits
    shop.close()


def test_backups_made_before_the_erasure_lose_the_person_too(tmp_path):
    shop, first, second, backup = namesake_shop(tmp_path / "shop.db")
    shop.imports.import_file(sample_files()[0])   # a backup of changed pages only
    assert [b.full for b in shop.backups.list()] == [False, True, True]
    assert b"hanako1@example.jp" in backup_bytes(backup.path)
    shop.privacy.delete_customer(first)
    assert len(shop.backups.list()) == 3
    for info in shop.backups.list():
        raw, restored = backup_bytes(info.path), backup_bytes(info.path, compressed=False)
        for value in ("hanako1@example.jp", "090-1111-2222", "09011112222", "神宮前1-2-3"):
            assert value.encode() not in raw, (info.reason, value)
        assert b"M1" not in restored, info.reason     # the member number, two bytes
    # The namesake stays in the backup made by hand (the other was taken before the import).
    assert b"hanako2@example.jp" in backup_bytes(backup.path)
    shop.close()


def test_a_restored_copy_of_an_old_backup_does_not_bring_the_person_back(tmp_path):
    shop, first, _second, backup = namesake_shop(tmp_path / "shop.db")
    copy = tmp_path / "elsewhere" / "copy.db"
    copy.parent.mkdir()
    copy.write_bytes(backup.path.read_bytes())       # copied away before the erasure
    shop.privacy.delete_customer(first)
    shop.backups.restore(copy)
    assert "hanako1@example.jp" not in all_text(shop.db.conn)
    assert shop.customers.get(first)["name"] == ERASED_NAME
    shop.close()
    # The same copy put in place by hand while the app was closed: applied on opening.
    for suffix in ("-wal", "-shm"):
        (tmp_path / f"shop.db{suffix}").unlink(missing_ok=True)
    pagefile.materialize(copy, tmp_path / "shop.db")   # the database the copy holds
    with Shop(tmp_path / "shop.db") as reopened:
        assert "hanako1@example.jp" not in all_text(reopened.db.conn)
        assert reopened.customers.get(first)["erased_at"] is not None
    ledger = (tmp_path / "shop.db.erasures.json").read_text(encoding="utf-8")
    assert "hanako" not in ledger and "佐藤" not in ledger   # ids only


def test_an_erasure_while_another_program_reads_says_what_remains(tmp_path):
    shop, first, _second, _ = namesake_shop(tmp_path / "shop.db")
    reader = sqlite3.connect(tmp_path / "shop.db")
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM customers").fetchone()   # holds a snapshot
    shop.db.conn.execute("PRAGMA busy_timeout = 100")
    report = shop.privacy.delete_customer(first)
    assert "読み込み中" in report.pending and report.pending in report.summary()
    reader.close()
    shop.close()   # the last connection checkpoints and removes the WAL
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("shop.db*") if p.is_file())
    assert b"hanako1@example.jp" not in raw


def test_a_backup_that_cannot_be_rewritten_is_deleted_not_kept(tmp_path):
    shop, first, _second, backup = namesake_shop(tmp_path / "shop.db")
    backup.path.write_bytes(backup.path.read_bytes()[:4096])   # damaged
    report = shop.privacy.delete_customer(first)
    assert not backup.path.exists()
    assert report.backups == 1 and "バックアップ 1件は" in report.pending
    shop.close()


ERASER = """
import sys
from engine import Shop
shop = Shop(sys.argv[1])
print("ready", flush=True)
shop.privacy.delete_customer(int(sys.argv[2]))
print("done", flush=True)
"""


@pytest.mark.skipif(not hasattr(__import__("signal"), "SIGKILL"), reason="needs SIGKILL")
def test_an_erasure_killed_at_any_moment_erases_all_or_nothing_and_spares_the_namesake(tmp_path):
    import random
    import shutil
    import signal
    import time

    from tests.support.generated_export import write_export

    source = tmp_path / "source"
    source.mkdir()
    shop, first, second, _ = namesake_shop(source / "shop.db")
    shop.imports.import_file(write_export(tmp_path / "more.csv", 4000, 1500))
    shop.backups.create("手動")
    shop.close()
    timing = tmp_path / "timing"
    shutil.copytree(source, timing)
    process = subprocess.Popen([sys.executable, "-c", ERASER, str(timing / "shop.db"), str(first)],
                               cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "ready"
    started = time.monotonic()
    assert process.stdout.readline().strip() == "done"
    duration = time.monotonic() - started
    process.communicate(timeout=60)
    rng, outcomes = random.Random(11), []
    for run in range(12):
        folder = tmp_path / f"run{run}"
        shutil.copytree(source, folder)
        process = subprocess.Popen([sys.executable, "-c", ERASER, str(folder / "shop.db"),
                                    str(first)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert process.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0, duration))
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)
        with Shop(folder / "shop.db") as after:    # opening completes a recorded erasure
            erased = after.customers.get(first)
            namesake = after.customers.get(second)
            assert (namesake["name"], namesake["notes"]) == ("佐藤 花子", "佐藤 花子様ご本人と通話")
            if erased["erased_at"] is None:
                assert erased["email"] == "hanako1@example.jp"
                assert not (folder / "shop.db.erasures.json").exists()
                outcomes.append("before")
            else:
                assert "hanako1@example.jp" not in all_text(after.db.conn)
                outcomes.append("after")
    assert len(outcomes) == 12, outcomes


def test_an_erasure_drops_the_half_of_a_download_kept_for_its_partner(tmp_path):
    from tests.support.layouts import LAYOUTS
    shop = Shop(tmp_path / "shop.db")
    shop.imports.import_file(LAYOUTS / "yahoo" / "yahoo_order.csv")
    assert shop.db.scalar("SELECT count(*) FROM pending_parts") == 1
    shop.privacy.delete_customer(shop.db.scalar("SELECT min(id) FROM customers"))
    assert shop.db.scalar("SELECT count(*) FROM pending_parts") == 0
    shop.close()
