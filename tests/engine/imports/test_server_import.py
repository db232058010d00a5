"""An import into a shop on a real PostgreSQL server takes its backup on this PC
first (restoring it gives the shop before the import back) and holds the shop's
lock for big changes: while another desktop imports, the second is told who."""
from __future__ import annotations

import multiprocessing

import pytest

from engine import Shop
from engine.store.server_lock import BusyError, held
from tests.support.snapshot import SAMPLES


def _hold(url: str, ready, release) -> None:
    with held(url, "取込", "山田（PC-1）"):
        ready.set()
        release.wait(60)


def counts(shop: Shop) -> tuple[int, int]:
    return (shop.db.scalar("SELECT count(*) FROM orders"),
            shop.db.scalar("SELECT count(*) FROM customers"))


def test_a_server_import_is_backed_up_first_on_this_pc(postgres_url, tmp_path, monkeypatch):
    monkeypatch.setenv("OTOKUI_HOME", str(tmp_path))
    with Shop(postgres_url) as shop:
        shop.imports.import_file(SAMPLES / "rakuten" / "rakuten_202507.csv")
        before = counts(shop)
        shop.imports.import_file(SAMPLES / "rakuten" / "rakuten_202508.csv")
        after = counts(shop)
        assert after[0] > before[0]
        backups = shop.backups.list()
        assert [b.reason for b in backups] == ["取込前: rakuten_202508.csv",
                                               "取込前: rakuten_202507.csv"]
        assert all(b.path.parent.parent == tmp_path / "backups" for b in backups)
        shop.backups.restore(backups[0].path)
        shop.db.forget_memos()
        assert counts(shop) == before


def test_a_server_import_waits_for_no_one_and_names_who_imports(postgres_url, tmp_path,
                                                                 monkeypatch):
    monkeypatch.setenv("OTOKUI_HOME", str(tmp_path))
    context = multiprocessing.get_context("spawn")
    ready, release = context.Event(), context.Event()
    with Shop(postgres_url) as shop:
        process = context.Process(target=_hold, args=(postgres_url, ready, release), daemon=True)
        process.start()
        try:
            assert ready.wait(60)
            with pytest.raises(BusyError, match="山田（PC-1）が取込をしています"):
                shop.imports.import_file(SAMPLES / "rakuten" / "rakuten_202507.csv")
            assert counts(shop) == (0, 0)
            assert shop.backups.list() == []
        finally:
            release.set()
            process.join(10)
        result = shop.imports.import_file(SAMPLES / "rakuten" / "rakuten_202507.csv")
        assert result.orders_added > 0
