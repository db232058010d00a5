"""shop.backups: online backups with rotation, validated restore, backup before import."""
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from engine import Shop
from engine.errors import OtokuiError
from engine.store import pagefile
from engine.store.backups import open_backup
from engine.store.schema import SCHEMA_VERSION
from tests.support.paths import ROOT
from tests.support.snapshot import sample_files, snapshot


@pytest.fixture
def shop(tmp_path):
    with Shop(tmp_path / "shop.db") as shop:
        yield shop


@pytest.mark.sqlite_only("a SQLite shop in memory has no file to back up")
def test_in_memory_shop_has_no_backups():
    shop = Shop(":memory:")
    assert shop.backups.create("手動") is None
    assert shop.backups.list() == []


def test_create_writes_a_complete_standalone_copy(shop, tmp_path):
    first = sample_files()[0]
    shop.imports.import_file(first)
    info = shop.backups.create("手動バックアップ")
    assert info.path.parent == tmp_path / "backups"
    assert info.path.name.startswith("shop-") and info.path.suffix == ".otkb"
    assert info.reason == "手動バックアップ"
    assert info.size_bytes == info.path.stat().st_size > 0
    assert abs((datetime.now() - info.created_at).total_seconds()) < 60
    # Made by hand: every page, so the file restores on its own (copied anywhere).
    assert pagefile.read_header(info.path).full
    alone = tmp_path / "elsewhere" / info.path.name
    alone.parent.mkdir()
    shutil.copyfile(info.path, alone)
    with open_backup(alone) as copy:
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert copy.execute("SELECT count(*) FROM orders").fetchone()[0] == \
            shop.db.scalar("SELECT count(*) FROM orders") > 0
    copy.close()
    assert not list((tmp_path / "backups").glob("*.partial"))


def test_list_is_newest_first_and_rotation_keeps_the_setting(shop):
    shop.backups.set_keep(3)
    made = [shop.backups.create(f"手動 {i}") for i in range(5)]
    listed = shop.backups.list()
    assert [b.reason for b in listed] == ["手動 4", "手動 3", "手動 2"]
    assert [b.path for b in listed] == [m.path for m in reversed(made[2:])]
    assert not made[0].path.exists() and not made[0].path.with_suffix(".json").exists()
    assert shop.backups.keep() == 3


def test_default_keep_is_ten(shop):
    for i in range(12):
        shop.backups.create(str(i))
    assert len(shop.backups.list()) == 10
    assert shop.backups.latest().reason == "11"


@pytest.mark.parametrize("bad", [0, -1, 2.5, "3"])
def test_keep_must_be_a_positive_integer(shop, bad):
    with pytest.raises(OtokuiError, match="1以上"):
        shop.backups.set_keep(bad)


def test_restore_brings_back_the_exact_content(shop):
    files = sample_files()
    shop.imports.import_file(files[0])
    saved = shop.backups.create("手動")
    before = snapshot(shop)
    shop.imports.import_file(files[1])
    shop.customers.set_notes(1, "復元で消えるメモ")
    assert snapshot(shop) != before
    shop.backups.restore(saved.path)
    after = snapshot(shop)
    assert after == before
    assert shop.db.scalar("PRAGMA integrity_check") == "ok"
    # The state just before the restore is itself kept as a backup.
    assert shop.backups.latest().reason == "復元前の自動バックアップ"
    assert shop.backups.latest().path != saved.path


def test_restore_spares_the_backup_being_restored_from_rotation(shop):
    shop.backups.set_keep(2)
    oldest = shop.backups.create("古い")
    shop.backups.create("新しい")
    shop.backups.restore(oldest.path)
    assert oldest.path.exists()
    # 新しい stays beyond the two kept: the backup before the restore builds on it.
    assert [b.reason for b in shop.backups.list()] == ["復元前の自動バックアップ", "新しい", "古い"]


def test_restore_then_work_continues(shop):
    files = sample_files()
    saved = shop.backups.create("空")
    shop.imports.import_file(files[0])
    shop.backups.restore(saved.path)
    assert shop.db.scalar("SELECT count(*) FROM orders") == 0
    result = shop.imports.import_file(files[0])
    assert result.orders_added > 0 and not result.already_imported


def _copy_with(shop, tmp_path, sql):
    target = tmp_path / "edited.db"
    dest = sqlite3.connect(target)
    shop.db.conn.backup(dest)
    dest.execute(sql)
    dest.commit()
    dest.close()
    return target


def test_restore_refuses_a_newer_backup(shop, tmp_path):
    newer = _copy_with(shop, tmp_path, f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(OtokuiError, match="edited.db: 新しいバージョン"):
        shop.backups.restore(newer)


def test_restore_refuses_a_foreign_database(shop, tmp_path):
    foreign = tmp_path / "other.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    with pytest.raises(OtokuiError, match="other.db: Otokuiのバックアップではありません"):
        shop.backups.restore(foreign)


def test_restore_refuses_a_corrupt_file_and_leaves_the_shop_alone(shop, tmp_path):
    shop.imports.import_file(sample_files()[0])
    saved = shop.backups.create("手動")
    before = snapshot(shop)
    plain = tmp_path / "plain.db"               # a whole SQLite file, as older versions wrote
    pagefile.materialize(saved.path, plain)
    data = bytearray(plain.read_bytes())
    # Overwrite the middle pages (table b-trees) but keep the header readable.
    data[8192:len(data) - 4096] = b"\xff" * (len(data) - 4096 - 8192)
    broken = tmp_path / "broken.db"
    broken.write_bytes(bytes(data))
    with pytest.raises(OtokuiError, match="broken.db: バックアップが壊れて"):
        shop.backups.restore(broken)
    text = tmp_path / "notes.db"
    text.write_text("これはデータベースではありません", encoding="utf-8")
    with pytest.raises(OtokuiError, match="notes.db"):
        shop.backups.restore(text)
    with pytest.raises(OtokuiError, match="missing.db: バックアップファイルが見つかりません"):
        shop.backups.restore(tmp_path / "missing.db")
    assert snapshot(shop) == before


def test_restore_of_an_older_schema_migrates_it(shop, tmp_path):
    older = _copy_with(shop, tmp_path, f"PRAGMA user_version = {SCHEMA_VERSION}")
    shop.backups.restore(older)
    assert shop.db.scalar("PRAGMA user_version") == SCHEMA_VERSION


def test_every_import_is_preceded_by_a_backup(shop):
    first, second = sample_files()[:2]
    shop.imports.import_file(first)
    shop.imports.import_file(second)
    backups = shop.backups.list()
    assert [b.reason for b in backups] == [f"取込前: {second.name}", f"取込前: {first.name}"]
    # The backup before the second file holds exactly the first file's import.
    with open_backup(backups[0].path) as copy:
        assert copy.execute("SELECT file_name FROM imports").fetchall() == [(first.name,)]
    copy.close()


def test_reimporting_the_same_file_takes_no_backup(shop):
    first = sample_files()[0]
    shop.imports.import_file(first)
    assert shop.imports.import_file(first).already_imported
    assert len(shop.backups.list()) == 1


def test_a_batch_of_imports_takes_one_backup(shop):
    files = sample_files()
    shop.backups.set_keep(3)
    with shop.imports.batch():
        for f in files:
            shop.imports.import_file(f)
    backups = shop.backups.list()
    assert len(files) > 3
    assert [b.reason for b in backups] == [f"取込前: {files[0].name} ほか"]
    with open_backup(backups[0].path) as copy:
        assert copy.execute("SELECT count(*) FROM orders").fetchone()[0] == 0
    copy.close()
    # After the batch, each import is backed up again.
    shop.imports.undo(shop.imports.history()[0]["id"])
    shop.imports.import_file(files[-1])
    assert shop.backups.latest().reason == f"取込前: {files[-1].name}"


def test_a_file_that_fails_to_read_takes_no_backup(shop, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"")
    with pytest.raises(OtokuiError):
        shop.imports.import_file(bad)
    assert shop.backups.list() == []


def test_replace_database_restores_a_corrupt_file_from_its_latest_backup(tmp_path):
    from engine.errors import DatabaseCorruptError
    from engine.store.backups import list_backups, replace_database
    from tests.engine.store.test_database import _corrupt_middle

    path = tmp_path / "shop.db"
    first, second = sample_files()[:2]
    with Shop(path) as shop:
        shop.imports.import_file(first)
        shop.imports.import_file(second)
        expected_orders = shop.db.query("SELECT order_no FROM orders WHERE import_id = 1")
    _corrupt_middle(path)
    with pytest.raises(DatabaseCorruptError):
        Shop(path)
    latest = list_backups(path)[0]
    assert latest.reason == f"取込前: {second.name}"
    aside = replace_database(path, latest.path)
    assert aside.exists() and aside.name.startswith("shop.db.corrupt-")
    with Shop(path) as shop:
        assert shop.db.query("SELECT order_no FROM orders") == expected_orders
        assert shop.db.scalar("PRAGMA journal_mode") == "wal"


def test_a_backup_cut_short_is_never_listed_and_is_cleaned_up(shop, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    stale = folder / "shop-20250101-000000-000000.db.partial"
    stale.write_bytes(b"half a backup")
    rebuilt = folder / "shop-20250101-000000-000000.otkb.k2j4x9.rebuilt"   # a restore's, killed
    rebuilt.write_bytes(b"SQLite format 3\0" + b"\0" * 4080)
    assert shop.backups.list() == []
    shop.backups.create("手動")
    assert not stale.exists() and not rebuilt.exists()
    assert [b.path.suffix for b in shop.backups.list()] == [".otkb"]


def test_a_pending_backup_holds_the_state_committed_when_it_started(shop):
    shop.imports.import_file(sample_files()[0])
    pending = shop.backups.start("手動")
    # Written and committed while the backup is being copied: not in the backup.
    shop.db.execute("INSERT INTO settings (key, value) VALUES ('written_meanwhile', '1')")
    pending.finish()
    pending.finish()  # finishing twice is harmless
    backup = shop.backups.latest()
    assert backup.reason == "手動"
    with open_backup(backup.path) as copy:
        assert copy.execute("SELECT count(*) FROM settings WHERE key = 'written_meanwhile'"
                            ).fetchone() == (0,)
        assert copy.execute("SELECT count(*) FROM orders").fetchone()[0] == shop.db.scalar(
            "SELECT count(*) FROM orders")
    copy.close()


def test_an_import_whose_backup_fails_lands_nothing(shop, monkeypatch):
    from engine.store.backups import BackupService

    first, second = sample_files()[:2]
    shop.imports.import_file(first)
    before = snapshot(shop)

    def disk_full(self, reason, progress, snapshot, parent):
        raise OtokuiError("バックアップを作成できませんでした（disk full）。ディスクの空き容量を確認してください。")

    monkeypatch.setattr(BackupService, "_write", disk_full)
    with pytest.raises(OtokuiError, match="ディスクの空き容量"):
        shop.imports.import_file(second)
    assert snapshot(shop) == before
    monkeypatch.undo()
    # Once there is room again the same file imports normally.
    assert shop.imports.import_file(second).orders_added > 0



# --- a lost database never opens as a new, empty shop --------------------------------

@pytest.mark.parametrize("damage", ["missing", "empty"])
def test_a_missing_or_empty_database_with_backups_is_refused(tmp_path, damage):
    from engine.errors import DatabaseMissingError

    path = tmp_path / "shop.db"
    with Shop(path) as shop:
        shop.imports.import_file(sample_files()[0])
        shop.backups.create("手動")
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    if damage == "missing":
        path.unlink()
    else:
        path.write_bytes(b"")
    with pytest.raises(DatabaseMissingError, match="バックアップは 2件あります") as info:
        Shop(path)
    assert info.value.backup_count == 2
    assert not path.exists() or path.stat().st_size == 0   # nothing was created or changed


def test_a_new_database_without_backups_still_opens_empty(tmp_path):
    with Shop(tmp_path / "new.db") as shop:
        assert shop.db.scalar("SELECT count(*) FROM orders") == 0


RESTORER = """
import sys
from engine.store.backups import replace_database
print("ready", flush=True)
replace_database(sys.argv[1], sys.argv[2])
print("done", flush=True)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_restore_killed_at_any_moment_never_leaves_an_empty_shop(tmp_path):
    """Recovery from a damaged file, killed at random moments: the next start finds
    the damaged file (and offers the backups again) or the restored one, never nothing."""
    from engine.errors import DatabaseCorruptError
    from tests.engine.store.test_database import _corrupt_middle
    from tests.support.generated_export import write_export

    source = tmp_path / "source.db"
    with Shop(source) as shop:
        shop.imports.import_file(write_export(tmp_path / "orders.csv", 6000, 2000))
        orders = shop.db.scalar("SELECT count(*) FROM orders")
        backup = shop.backups.create("手動").path
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", RESTORER, str(tmp_path / "timing.db"), str(backup)],
                   cwd=ROOT, check=True, capture_output=True)
    duration = time.monotonic() - started
    rng = random.Random(5)
    outcomes = []
    for run in range(12):
        folder = tmp_path / f"run{run}"
        folder.mkdir()
        path = folder / "shop.db"
        path.write_bytes(source.read_bytes())
        _corrupt_middle(path)
        process = subprocess.Popen([sys.executable, "-c", RESTORER, str(path), str(backup)],
                                   cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert process.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0, duration))
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)
        shutil.copytree(backup.parent, folder / "backups")
        try:
            with Shop(path) as shop:
                assert shop.db.scalar("SELECT count(*) FROM orders") == orders
                outcomes.append("restored")
        except DatabaseCorruptError:          # damaged or missing: recovery is offered again
            outcomes.append("offered again")
    assert len(outcomes) == 12, outcomes


# --- page backups: the changed pages only, chains, rotation ---------------------------

def content(conn) -> dict:
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                         "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in tables}


def restored_content(path) -> dict:
    conn = open_backup(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return content(conn)
    finally:
        conn.close()


def test_an_import_backup_holds_only_the_changed_pages_and_restores_exactly(shop, tmp_path):
    from tests.support.generated_export import write_export

    shop.imports.import_file(write_export(tmp_path / "years.csv", orders=4000, customers=1500))
    expected = {}
    for file in sample_files()[:3]:
        expected[f"取込前: {file.name}"] = content(shop.db.conn)
        shop.imports.import_file(file)
    full = shop.backups.create("手動")
    expected["手動"] = content(shop.db.conn)
    backups = shop.backups.list()
    database = tmp_path / "shop.db"
    size = database.stat().st_size
    assert size > 1_000_000
    by_reason = {b.reason: b for b in backups}
    for reason in expected:
        assert restored_content(by_reason[reason].path) == expected[reason], reason
    # The import backups build on the one before; each is a few per cent of the database.
    imports = [by_reason[f"取込前: {f.name}"] for f in sample_files()[:3]]
    for backup in imports[1:]:
        header = pagefile.read_header(backup.path)
        assert header.parent is not None
        assert backup.size_bytes < 0.10 * size, (backup.reason, backup.size_bytes, size)
    # The one made by hand holds every page, compressed.
    assert pagefile.read_header(full.path).full
    assert full.size_bytes < 0.5 * size
    assert shop.backups.disk_bytes() == sum(b.size_bytes for b in backups) == sum(
        p.stat().st_size for p in (tmp_path / "backups").glob("*.otkb"))


def test_rotation_keeps_what_the_kept_backups_build_on(shop):
    shop.backups.set_keep(3)
    shop.backups.create("手動")
    expected = {"手動": content(shop.db.conn)}
    files = sample_files()[:5]
    for file in files[:4]:
        expected[f"取込前: {file.name}"] = content(shop.db.conn)
        shop.imports.import_file(file)
    backups = shop.backups.list()
    # Chains of at most keep() backups, each on a full one: [full, +, +] [full, +].
    fulls = [pagefile.read_header(b.path).full for b in backups]
    assert fulls == [False, True, False, False, True]
    for backup in backups:
        assert restored_content(backup.path) == expected[backup.reason], backup.reason
    # One more: the three newest no longer need the first chain, which goes whole.
    expected[f"取込前: {files[4].name}"] = content(shop.db.conn)
    shop.imports.import_file(files[4])
    kept = shop.backups.list()
    assert [b.path for b in kept[1:]] == [b.path for b in backups[:2]]
    assert [pagefile.read_header(b.path).full for b in kept] == [False, False, True]
    for backup in kept:
        assert restored_content(backup.path) == expected[backup.reason], backup.reason
    assert sorted(p.name for p in kept[0].path.parent.iterdir()) == sorted(
        [b.path.name for b in kept] + [b.path.with_suffix(".json").name for b in kept])


def test_a_backup_whose_parent_is_gone_or_replaced_is_not_offered(shop, tmp_path):
    from engine.store.backups import usable_backups, validate_backup

    shop.imports.import_file(sample_files()[0])
    base = shop.backups.create("手動")
    pending = shop.backups.start("取込前")
    pending.finish()
    child = shop.backups.latest()
    assert pagefile.read_header(child.path).parent == base.path.name
    saved = base.path.read_bytes()
    replacement = shop.backups.create("手動 2")          # another full backup
    shutil.copyfile(replacement.path, base.path)          # in the parent's place
    with pytest.raises(OtokuiError, match="元になるバックアップ .* が書き換えられています"):
        validate_backup(child.path)
    base.path.unlink()
    with pytest.raises(OtokuiError, match="元になるバックアップ .* がありません"):
        validate_backup(child.path)
    assert child.path not in [b.path for b in usable_backups(tmp_path / "shop.db")]
    base.path.write_bytes(saved)
    assert child.path in [b.path for b in usable_backups(tmp_path / "shop.db")]


def test_a_backup_while_another_program_reads_still_holds_the_newest_commit(
        shop, tmp_path, monkeypatch):
    from engine.store import backups

    copied = []
    original = backups._Snapshot.pages
    monkeypatch.setattr(backups._Snapshot, "pages",
                        lambda self: copied.append(self.temp is not None) or original(self))
    shop.imports.import_file(sample_files()[0])
    reader = sqlite3.connect(tmp_path / "shop.db")
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM orders").fetchone()   # keeps the WAL from emptying
    try:
        shop.customers.set_notes(1, "読み込み中に書いたメモ")
        expected = content(shop.db.conn)
        backup = shop.backups.create("手動")
    finally:
        reader.close()
    assert copied == [False, True]     # the import's backup read the file; this one a copy
    assert restored_content(backup.path) == expected
    assert not list((tmp_path / "backups").glob("*.partial"))


def test_a_damaged_page_backup_is_refused(shop, tmp_path):
    from engine.store.backups import validate_backup

    shop.imports.import_file(sample_files()[0])
    backup = shop.backups.create("手動")
    data = bytearray(backup.path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    backup.path.write_bytes(bytes(data))
    with pytest.raises(OtokuiError, match="壊れて"):
        validate_backup(backup.path)
    assert not list((tmp_path / "backups").glob("*.rebuilt"))
