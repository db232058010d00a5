"""ファイル → バックアップを作成 / バックアップから復元…"""
import pytest

from gui import backup_dialog
from gui.backup_dialog import BackupDialog, create_backup
from gui.context import AppContext
from gui.main_window import MainWindow
from gui.worker import wait_for_worker
from tests.support.engine_side import engine_shop, on_engine
from tests.support.snapshot import SAMPLES, snapshot

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")

RAKUTEN = SAMPLES / "rakuten"


@pytest.fixture
def messages(monkeypatch):
    shown = []
    monkeypatch.setattr(backup_dialog.QMessageBox, "information",
                        lambda parent, title, text: shown.append(text))
    return shown


@pytest.fixture
def ctx(tmp_path):
    ctx = AppContext(engine_shop(tmp_path / "shop.db"))
    yield ctx
    ctx.close()


def test_create_backup_from_the_menu(qtbot, ctx, messages, tmp_path):
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    [action] = [a for a in window.menuBar().actions()[0].menu().actions()
                if a.text() == "バックアップを作成"]
    action.trigger()
    qtbot.waitUntil(lambda: bool(messages), timeout=10000)
    [backup] = on_engine(ctx.shop.backups.list)
    assert backup.reason == "手動で作成"
    assert str(backup.path) in messages[0]


def test_restore_lists_backups_and_brings_the_data_back(qtbot, qtmodeltester, ctx, messages,
                                                         monkeypatch):
    shop = ctx.shop
    on_engine(lambda: shop.imports.import_file(RAKUTEN / "rakuten_202507.csv"))
    on_engine(lambda: shop.backups.create("手動で作成"))
    before = on_engine(lambda: snapshot(shop))
    on_engine(lambda: shop.imports.import_file(RAKUTEN / "rakuten_202508.csv"))
    dialog = BackupDialog(None, ctx)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 3)
    qtmodeltester.check(dialog.model)
    reasons = [dialog.model.index(r, 3).data() for r in range(dialog.model.rowCount())]
    assert reasons == ["取込前: rakuten_202508.csv", "手動で作成", "取込前: rakuten_202507.csv"]
    assert dialog.model.index(1, 1).data().endswith("KB")
    kinds = [dialog.model.index(r, 2).data() for r in range(dialog.model.rowCount())]
    assert kinds == ["前回からの変更分", "全体", "全体"]
    backups = on_engine(shop.backups.list)
    total = sum(b.path.stat().st_size for b in backups)
    share = total / (ctx.shop.path.stat().st_size)
    assert dialog.empty.text().startswith(
        f"バックアップ 3件・合計 {max(1, round(total / 1024)):,} KB（データベースの {share:.0%}）")
    dialog.view.selectRow(1)
    questions = []
    monkeypatch.setattr(backup_dialog, "confirm",
                        lambda parent, text, action: questions.append(text) or True)
    with qtbot.waitSignal(ctx.data_changed, timeout=10000):
        dialog.restore_button.click()
    assert "手動で作成" in questions[0]
    assert messages == ["バックアップから復元しました。"]
    assert on_engine(lambda: snapshot(shop)) == before
    # The state before the restore was itself backed up.
    qtbot.waitUntil(lambda: dialog.model.index(0, 3).data() == "復元前の自動バックアップ")


def test_declining_the_restore_changes_nothing(qtbot, ctx, monkeypatch):
    shop = ctx.shop
    on_engine(lambda: shop.imports.import_file(RAKUTEN / "rakuten_202507.csv"))
    on_engine(lambda: shop.imports.import_file(RAKUTEN / "rakuten_202508.csv"))
    before = on_engine(lambda: snapshot(shop))
    dialog = BackupDialog(None, ctx)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 2)
    dialog.view.selectRow(1)
    monkeypatch.setattr(backup_dialog, "confirm", lambda parent, text, action: False)
    dialog.restore_button.click()
    wait_for_worker()
    assert on_engine(lambda: snapshot(shop)) == before


def test_an_in_memory_shop_has_no_backups(qtbot, messages):
    ctx = AppContext(engine_shop())
    dialog = BackupDialog(None, ctx)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.empty.text() != "")
    assert dialog.model.rowCount() == 0 and not dialog.restore_button.isEnabled()
    assert "メモリ上" in dialog.empty.text()
    create_backup(dialog, ctx)
    assert "メモリ上" in messages[0]

