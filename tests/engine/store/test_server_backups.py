"""Backups of a shop on a real PostgreSQL server (engine/store/server_backups.py):
a restore brings every table and the next ids back exactly, in one transaction —
a damaged or foreign file, a cancel or a failure half way leaves the server as it
was — and the state before a restore is itself a backup."""
from __future__ import annotations

import json
import struct
import time
import zipfile

import psycopg
import pytest
import zstandard

from engine.errors import CancelledError, OtokuiError
from engine.store import dialect, server_lock
from engine.store.schema import SCHEMA_VERSION
from engine.store.server_backups import (
    MANIFEST,
    BackupFileError,
    ServerBackups,
    backup_folder_for,
)
from engine.store.server_changes import ChangeListener, ChangeNotice
from engine.store.transfer import migrate
from tests.support.survey_shop import build_shop


def server_rows(url) -> dict[str, list[tuple]]:
    """Every row of every table of the shop, in primary-key order."""
    with psycopg.connect(url) as conn:
        return {t.name: conn.execute(
            f"SELECT * FROM {dialect.quote(t.name)} "
            f"ORDER BY {dialect.column_list(t.primary_key)}").fetchall()
            for t in dialect.tables()}


def next_customer_id(conn) -> int:
    return conn.execute("INSERT INTO customers (created_at) VALUES ('2026-12-01') "
                        "RETURNING id").fetchone()[0]


@pytest.fixture
def server_shop(postgres_url, tmp_path):
    """The tiny survey shop (12 customers, 21 orders, surveys, settings) on the server."""
    path = tmp_path / "tiny.db"
    build_shop(path).close()
    migrate(path, postgres_url)
    return postgres_url


def change_everything(url) -> None:
    """Orders gone, a name changed, a customer and a setting added (ids handed out)."""
    with psycopg.connect(url) as conn:
        conn.execute("DELETE FROM order_lines WHERE order_id IN (1, 2)")
        conn.execute("DELETE FROM orders WHERE id IN (1, 2)")
        conn.execute("UPDATE customers SET name = '変更 後' WHERE id = 3")
        next_customer_id(conn)
        conn.execute("INSERT INTO settings (key, value) VALUES ('shop_name', '\"別の店\"')")


def test_a_restore_brings_back_every_table_and_the_next_ids(server_shop, tmp_path):
    backups = ServerBackups(server_shop, tmp_path / "backups")
    before = server_rows(server_shop)
    assert len(before["orders"]) == 21 and len(before["customers"]) == 12
    made = backups.create("手動")
    assert made.reason == "手動" and made.size_bytes > 0
    change_everything(server_shop)
    assert server_rows(server_shop) != before
    messages = []
    heard = []
    with ChangeListener(server_shop, heard.append, sender="another desktop"):
        backups.restore(made.path, progress=lambda f, m: messages.append((f, m)))
        deadline = time.monotonic() + 10
        while not heard and time.monotonic() < deadline:
            time.sleep(0.05)
    # The other desktops are told, once it is committed, to show the restored state.
    assert heard == [ChangeNotice("restore", server_lock.staff_name())]
    assert server_rows(server_shop) == before
    assert messages[-1] == (1.0, f"{made.path.name} の状態に戻しました")
    with psycopg.connect(server_shop) as conn:
        # 12 customers and the 13th handed out (and removed) after the backup: the
        # server goes on from 13, as it did when the backup was taken.
        assert next_customer_id(conn) == 13


def test_the_state_before_a_restore_is_a_backup_of_its_own(server_shop, tmp_path):
    backups = ServerBackups(server_shop, tmp_path / "backups")
    made = backups.create("手動")
    change_everything(server_shop)
    changed = server_rows(server_shop)
    backups.restore(made.path)
    listed = backups.list()
    assert [b.reason for b in listed] == ["復元前の自動バックアップ", "手動"]
    backups.restore(listed[0].path)
    assert server_rows(server_shop) == changed


def test_a_damaged_backup_changes_nothing(server_shop, tmp_path):
    backups = ServerBackups(server_shop, tmp_path / "backups")
    made = backups.create("手動")
    change_everything(server_shop)
    changed = server_rows(server_shop)
    # The orders' COPY stream with a wrong signature, compressed well: PostgreSQL
    # refuses it after the tables before it were filled.
    damaged = rewritten(made.path, tmp_path / "damaged.otkpg", "tables/orders.copy",
                        lambda stream: b"X" + stream[1:])
    with pytest.raises(BackupFileError, match="damaged.otkpg から復元できませんでした"):
        backups.restore(damaged)
    assert server_rows(server_shop) == changed
    # The compressed bytes cut in half: the decompression refuses them.
    cut = tmp_path / "cut.otkpg"
    with zipfile.ZipFile(made.path) as source, zipfile.ZipFile(cut, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            target.writestr(item, data[:len(data) // 2] if item.filename == "tables/orders.copy"
                            else data)
    with pytest.raises(BackupFileError, match="cut.otkpg の orders が途中で切れています"):
        backups.restore(cut)
    assert server_rows(server_shop) == changed
    # Bytes flipped inside a compressed member: the archive's checksum refuses it.
    flipped = tmp_path / "flipped.otkpg"
    raw = bytearray(made.path.read_bytes())
    with zipfile.ZipFile(made.path) as source:
        info = source.getinfo("tables/order_lines.copy")
    # The data starts after the local header (its own name and extra field lengths).
    name_length, extra_length = struct.unpack_from("<HH", raw, info.header_offset + 26)
    start = info.header_offset + 30 + name_length + extra_length
    raw[start + info.compress_size // 2] ^= 0xFF
    flipped.write_bytes(bytes(raw))
    with pytest.raises(BackupFileError, match="flipped.otkpg の order_lines を読めません"):
        backups.restore(flipped)
    assert server_rows(server_shop) == changed
    not_zip = tmp_path / "notes.otkpg"
    not_zip.write_text("メモ", encoding="utf-8")
    with pytest.raises(BackupFileError, match="notes.otkpg はOtokuiのサーバー用バックアップとして読めません"):
        backups.restore(not_zip)
    assert server_rows(server_shop) == changed


def rewritten(backup, target, member: str, change):
    """A copy of ``backup`` with one member's content changed (uncompressed for the
    change, compressed again as the backup writes it)."""
    with zipfile.ZipFile(backup) as source, zipfile.ZipFile(target, "w") as out:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == member:
                if member == MANIFEST:
                    data = change(data)
                else:
                    plain = zstandard.ZstdDecompressor().stream_reader(data).read()
                    data = zstandard.ZstdCompressor().compress(change(plain))
            out.writestr(item, data)
    return target


def test_a_backup_of_another_schema_version_is_refused(server_shop, tmp_path):
    backups = ServerBackups(server_shop, tmp_path / "backups")
    made = backups.create("手動")

    def older_version(data: bytes) -> bytes:
        manifest = json.loads(data)
        manifest["schema_version"] = SCHEMA_VERSION - 1
        return json.dumps(manifest).encode()
    older = rewritten(made.path, tmp_path / "older.otkpg", MANIFEST, older_version)
    change_everything(server_shop)
    changed = server_rows(server_shop)
    with pytest.raises(BackupFileError, match=f"データ形式 {SCHEMA_VERSION - 1}"):
        backups.restore(older)
    assert server_rows(server_shop) == changed
    # Refused before anything happened: no backup of the state before was taken either.
    assert [b.reason for b in backups.list()] == ["手動"]


def test_a_cancelled_restore_changes_nothing(server_shop, tmp_path):
    backups = ServerBackups(server_shop, tmp_path / "backups")
    made = backups.create("手動")
    change_everything(server_shop)
    changed = server_rows(server_shop)
    seen = []

    def cancel() -> bool:
        seen.append(1)
        return len(seen) > 5      # a few tables in
    with pytest.raises(CancelledError):
        backups.restore(made.path, cancel=cancel)
    assert server_rows(server_shop) == changed


def test_rotation_keeps_the_shops_setting_and_spares_the_one_restored(server_shop, tmp_path):
    backups = ServerBackups(server_shop, tmp_path / "backups")
    backups.set_keep(2)
    assert backups.keep() == 2
    first = backups.create("1")
    backups.create("2")
    backups.create("3")
    assert [b.reason for b in backups.list()] == ["3", "2"]
    assert not first.path.exists()
    oldest = backups.list()[-1]
    backups.restore(oldest.path)
    # The restored backup ("2", now the shop's setting of 2 again) is spared.
    assert [b.reason for b in backups.list()] == ["復元前の自動バックアップ", "2"]
    assert backups.disk_bytes() == sum(b.size_bytes for b in backups.list())


def test_backups_of_a_server_shop_live_in_a_folder_named_after_it(monkeypatch, tmp_path):
    monkeypatch.setenv("OTOKUI_HOME", str(tmp_path))
    folder = backup_folder_for("postgresql://shop@192.168.1.10:5433/お店")
    assert folder == tmp_path / "backups" / "192.168.1.10_5433___"
    assert ServerBackups("postgresql://shop@nas.local/otokui").folder == (
        tmp_path / "backups" / "nas.local_5432_otokui")


def test_a_backup_started_before_writes_holds_the_state_of_its_start(server_shop, tmp_path):
    """As an import takes its before-import backup: started, then the shop changes
    (committed even), then finished — the backup has the state at its start."""
    backups = ServerBackups(server_shop, tmp_path / "backups")
    before = server_rows(server_shop)
    pending = backups.start("取込前: テスト")
    change_everything(server_shop)
    pending.finish()
    made = backups.latest()
    assert made.reason == "取込前: テスト"
    backups.restore(made.path)
    assert server_rows(server_shop) == before


def test_a_failed_backup_is_reported_by_finish(server_shop, tmp_path):
    blocked = tmp_path / "a file, not a folder"
    blocked.write_text("x", encoding="utf-8")
    pending = ServerBackups(server_shop, blocked / "backups").start("取込前")
    with pytest.raises(OtokuiError, match="バックアップを保存できませんでした"):
        pending.finish()
