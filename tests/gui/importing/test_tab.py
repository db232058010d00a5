"""The 取込 tab driven as a user would: drops on the main window, the mapping
dialog, undo from the history, and cancel during a large import."""
import time
import warnings

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from gui.context import AppContext
from gui.importing import tab as import_tab
from gui.importing.tab import ImportTab, order_files
from gui.main_window import MainWindow
from gui.worker import wait_for_worker
from tests.support.engine_side import engine_shop, on_engine
from tests.support.sample_shop import settle
from tests.support.snapshot import SAMPLES, snapshot

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")

GENERIC_HEADER = "会員コード,受注番号,受注日,氏名,フリガナ,郵便番号,住所,電話番号,メールアドレス,商品コード,商品名,単価,数量\n"


def tab_of(window) -> ImportTab:
    return window.tab("取込")


def drop(window, paths, target=None):
    """What the window system delivers when files are dropped on ``target``."""
    target = target or window
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    pos = target.rect().center()
    # PySide marks the only QDragEnterEvent constructor deprecated.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        enter = QDragEnterEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                                Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted()
    event = QDropEvent(QPointF(pos), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, event)
    assert event.isAccepted()


def wait_idle(qtbot, tab):
    qtbot.waitUntil(lambda: not tab.busy() and not tab.progress_box.isVisible(), timeout=60000)
    settle(qtbot)  # the history reloads on the engine thread after the last file


def cell(model, row, column):
    return model.index(row, column).data()


def counts(window):
    return window.counts_label.text()


def stored(window):
    """The shop's data as it is now, read on the engine thread."""
    shop = window.ctx.shop
    return on_engine(lambda: snapshot(shop))


def test_dropping_a_sample_file_imports_it_and_updates_the_counts(qtbot, window):
    drop(window, [SAMPLES / "rakuten" / "rakuten_202507.csv"])
    tab = tab_of(window)
    assert window.tabs.currentWidget() is tab
    wait_idle(qtbot, tab)
    assert tab.results.rowCount() == 1
    assert [cell(tab.results, 0, c) for c in range(6)] == [
        "rakuten_202507.csv", "楽天市場（楽天ペイ受注）", "10", "0", "0", "10"]
    qtbot.waitUntil(lambda: counts(window) == "顧客 10人　注文 10件")
    assert tab.history.rowCount() == 1
    assert cell(tab.history, 0, 1) == "rakuten_202507.csv"


def test_a_dropped_folder_imports_every_export_in_it_and_a_repeat_changes_nothing(qtbot, window):
    tab = tab_of(window)
    changes = []
    window.ctx.data_changed.connect(lambda: changes.append(tab.results.rowCount()))
    drop(window, [SAMPLES / "rakuten"], target=tab.results_view.viewport())
    wait_idle(qtbot, tab)
    # Every tab hears of each file as soon as it is in.
    assert changes == [1, 2, 3, 4]
    assert [cell(tab.results, r, 0) for r in range(4)] == [
        f"rakuten_2025{m:02d}.csv" for m in (7, 8, 9, 10)]
    assert [cell(tab.results, r, 2) for r in range(4)] == ["10", "12", "11", "23"]
    qtbot.waitUntil(lambda: counts(window) == "顧客 40人　注文 52件")
    drop(window, [SAMPLES / "rakuten" / "rakuten_202508.csv"])
    wait_idle(qtbot, tab)
    assert cell(tab.results, 4, 4) == "12"
    assert "取込済み" in cell(tab.results, 4, 6)
    assert changes == [1, 2, 3, 4]
    assert tab.history.rowCount() == 4


def test_order_files_searches_folders_and_skips_lock_and_hidden_files(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    for name in ["a/2.csv", "a/b/1.xlsx", "a/~$1.xlsx", "a/.hidden.csv", "a/notes.pdf"]:
        (tmp_path / name).write_text("x")
    loose = tmp_path / "loose.dat"
    loose.write_text("x")
    assert order_files([tmp_path / "a", loose, tmp_path / "a" / "2.csv"]) == [
        tmp_path / "a" / "2.csv", tmp_path / "a" / "b" / "1.xlsx", loose]


def test_a_bad_file_shows_row_and_column_and_changes_nothing(qtbot, window, tmp_path):
    bad = tmp_path / "自社_10月.csv"
    bad.write_text(GENERIC_HEADER
                   + "M1,A1,2025/10/01,山田 花子,ヤマダ ハナコ,1000001,東京都千代田区1-1,0311112222,,P1,石けん,1200,1\n"
                   + "M2,A2,2025/10/02,佐藤 一郎,サトウ イチロウ,1000002,東京都千代田区2-2,0322223333,,P1,石けん,千二百,1\n",
                   encoding="utf-8")
    before = stored(window)
    drop(window, [bad])
    tab = tab_of(window)
    wait_idle(qtbot, tab)
    message = cell(tab.results, 0, 6)
    assert message.startswith("3行目「単価」列: ")
    assert tab.results.index(0, 6).data(Qt.ItemDataRole.ForegroundRole) is not None
    assert stored(window) == before
    assert tab.history.rowCount() == 0


UNKNOWN_HEADER = "伝票番号,購入日,お客様 姓,お客様 名,電話,品番,品名,税込価格,個数\n"


def unknown_file(path, rows):
    path.write_text(UNKNOWN_HEADER + "".join(rows), encoding="cp932")
    return path


def test_unknown_layout_opens_the_mapping_dialog_and_saves_a_preset(qtbot, window, tmp_path):
    first = unknown_file(tmp_path / "自社カート_9月.csv", [
        "D-001,2025/09/03,鈴木,一郎,090-1111-2222,K1,玄米 5kg,3500,2\n",
        "D-002,2025/09/04,田中,花子,090-3333-4444,K2,白米 5kg,3000,1\n",
        "D-002,2025/09/04,田中,花子,090-3333-4444,K1,玄米 5kg,3500,1\n"])
    tab = tab_of(window)
    drop(window, [first])
    qtbot.waitUntil(lambda: tab.mapping_dialog is not None, timeout=20000)
    dialog = tab.mapping_dialog
    assert list(dialog.combos) == UNKNOWN_HEADER.strip().split(",")
    ok = dialog.buttons.buttons()[0]
    assert not ok.isEnabled()
    assert "注文番号" in dialog.problem.text()
    for header, field in [("伝票番号", "order_no"), ("購入日", "ordered_at"), ("お客様 姓", "name"),
                          ("お客様 名", "name"), ("電話", "phone"), ("品番", "product_code"),
                          ("品名", "product_name"), ("税込価格", "unit_price"), ("個数", "quantity")]:
        dialog.choose(header, field)
    assert dialog.field_map()["name"] == ["お客様 姓", "お客様 名"]
    assert ok.isEnabled() and dialog.problem.text() == ""
    preview = dialog.preview_model
    assert preview.rowCount() == 3
    names = [preview.headerData(c, Qt.Orientation.Horizontal) for c in range(preview.columnCount())]
    assert preview.index(1, names.index("氏名")).data() == "田中 花子"
    dialog.name_edit.setText("自社カート")
    dialog.accept()
    wait_idle(qtbot, tab)
    assert [cell(tab.results, 0, c) for c in range(6)] == [
        "自社カート_9月.csv", "自社カート", "2", "0", "0", "2"]
    shop = window.ctx.shop
    assert on_engine(lambda: shop.db.scalar(
        "SELECT amount FROM orders WHERE order_no = 'D-002'")) == 6500
    assert on_engine(lambda: shop.db.scalar(
        "SELECT name FROM customers WHERE phone_digits = '09011112222'")) == "鈴木 一郎"
    assert [p.label for p in on_engine(shop.formats.presets) if p.user] == ["自社カート"]

    second = unknown_file(tmp_path / "自社カート_10月.csv", [
        "D-003,2025/10/01,鈴木,一郎,090-1111-2222,K1,玄米 5kg,3500,1\n"])
    drop(window, [second])
    wait_idle(qtbot, tab)
    assert tab.mapping_dialog is None
    assert [cell(tab.results, 1, c) for c in range(6)] == [
        "自社カート_10月.csv", "自社カート", "1", "0", "0", "0"]


def test_skipping_the_mapping_records_the_error_and_saves_nothing(qtbot, window, tmp_path):
    path = unknown_file(tmp_path / "謎.csv", ["D-001,2025/09/03,鈴木,一郎,090,K1,玄米,3500,2\n"])
    tab = tab_of(window)
    drop(window, [path])
    qtbot.waitUntil(lambda: tab.mapping_dialog is not None, timeout=20000)
    tab.mapping_dialog.reject()
    wait_idle(qtbot, tab)
    assert "判別できません" in cell(tab.results, 0, 6)
    assert not [p for p in on_engine(window.ctx.shop.formats.presets) if p.user]


def test_undo_from_the_history(qtbot, window, monkeypatch, error_dialogs):
    tab = tab_of(window)
    drop(window, [SAMPLES / "rakuten"])
    wait_idle(qtbot, tab)
    qtbot.waitUntil(lambda: counts(window) == "顧客 40人　注文 52件")
    questions = []
    monkeypatch.setattr(import_tab, "confirm", lambda parent, text, action: questions.append(text) or True)

    tab.history_view.selectRow(0)
    assert cell(tab.history, 0, 1) == "rakuten_202510.csv"
    assert cell(tab.history, 0, 8) == "取り消しできます"
    with qtbot.waitSignal(window.ctx.data_changed, timeout=20000):
        tab.undo_button.click()
    assert "rakuten_202510.csv" in questions[0]
    qtbot.waitUntil(lambda: counts(window) == "顧客 28人　注文 32件")
    settle(qtbot)
    assert cell(tab.history, 0, 8).startswith("取り消し済み")
    tab.history_view.selectRow(0)
    assert not tab.undo_button.isEnabled()

    tab.history_view.selectRow(3)
    assert cell(tab.history, 3, 1) == "rakuten_202507.csv"
    assert cell(tab.history, 3, 8) == "後の変更があるため取り消せません"
    before = stored(window)
    tab.undo_button.click()
    qtbot.waitUntil(lambda: bool(error_dialogs), timeout=20000)
    assert "先にそちらを取り消してください" in error_dialogs.pop()
    assert stored(window) == before


def test_models_pass_the_model_tester(qtbot, qtmodeltester, window, tmp_path):
    tab = tab_of(window)
    drop(window, [SAMPLES / "base" / "base_202507.csv", tmp_path / "missing.csv"])
    wait_idle(qtbot, tab)
    assert "見つかりません" in cell(tab.results, 1, 6)
    qtmodeltester.check(tab.results)
    qtmodeltester.check(tab.history)


def write_generic(path, lines: int):
    rows = (f"M{i % 30000:06d},O{i // 2:07d},2025/{i % 12 + 1}/{i % 28 + 1},顧客{i % 30000},"
            f"コキャク,100{i % 10000:04d},東京都千代田区{i % 99}-1,03{i % 30000:08d},"
            f"c{i % 30000}@example.jp,SKU-{i % 50:04d},商品{i % 50},{1000 + i % 7 * 100},{1 + i % 3}\n"
            for i in range(lines))
    path.write_text(GENERIC_HEADER + "".join(rows), encoding="utf-8")
    return path


def test_ui_stays_responsive_during_a_100k_line_import_and_cancel_changes_nothing(
        qtbot, window, tmp_path):
    big = write_generic(tmp_path / "big.csv", 100_000)
    tab = tab_of(window)
    drop(window, [SAMPLES / "rakuten" / "rakuten_202507.csv"])
    wait_idle(qtbot, tab)
    before = stored(window)

    ticks = []
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks.append((time.monotonic(), tab.running is not None)))
    timer.start()
    drop(window, [big])
    # Cancel while the first part of the 100k lines is being read; the engine stops at
    # its next step. (This message stays up for the whole first chunk: "確認しています"
    # before it may last only milliseconds, too short to wait for.)
    qtbot.waitUntil(lambda: "注文データを読み込んでいます" in tab.progress_label.text(),
                    timeout=60000)
    assert tab.progress_bar.value() == 200
    tab.cancel_button.click()
    wait_idle(qtbot, tab)
    timer.stop()

    during = [t for t, running in ticks if running]
    assert len(during) >= 20, "the event loop stood still while the worker imported"
    gaps = [b - a for a, b in zip(during, during[1:])]
    assert max(gaps) < 1.0
    assert cell(tab.results, 1, 0) == "big.csv"
    assert cell(tab.results, 1, 6).startswith("中止しました")
    assert stored(window) == before
    assert tab.history.rowCount() == 1


def test_closing_the_window_stops_a_running_import(qtbot, window, tmp_path):
    big = write_generic(tmp_path / "big.csv", 100_000)
    tab = tab_of(window)
    before = stored(window)
    drop(window, [big])
    qtbot.waitUntil(lambda: "注文データを読み込んでいます" in tab.progress_label.text(),
                    timeout=60000)
    window.close()
    assert tab.running.cancel_event.is_set()
    wait_for_worker()
    assert stored(window) == before

def test_a_dropped_batch_is_backed_up_once_before_it_changes_anything(qtbot, tmp_path):
    ctx = AppContext(engine_shop(tmp_path / "shop.db"))
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    tab = tab_of(window)
    drop(window, [SAMPLES / "rakuten"])
    wait_idle(qtbot, tab)
    assert tab.results.rowCount() == 4
    backups = on_engine(ctx.shop.backups.list)
    assert [b.reason for b in backups] == ["取込前: rakuten_202507.csv ほか"]
    drop(window, [SAMPLES / "base" / "base_202507.csv"])
    wait_idle(qtbot, tab)
    assert [b.reason for b in on_engine(ctx.shop.backups.list)] == [
        "取込前: base_202507.csv ほか", "取込前: rakuten_202507.csv ほか"]
    ctx.close()


def test_a_mapping_whose_import_fails_is_not_kept(qtbot, window, tmp_path):
    path = unknown_file(tmp_path / "謎.csv", ["D-001,いつか,鈴木,一郎,090,K1,玄米,3500,2\n"])
    tab = tab_of(window)
    before = stored(window)
    drop(window, [path])
    qtbot.waitUntil(lambda: tab.mapping_dialog is not None, timeout=20000)
    dialog = tab.mapping_dialog
    for header, field in [("伝票番号", "order_no"), ("購入日", "ordered_at"), ("電話", "phone"),
                          ("税込価格", "unit_price"), ("個数", "quantity")]:
        dialog.choose(header, field)
    dialog.accept()
    wait_idle(qtbot, tab)
    assert cell(tab.results, 0, 6).startswith("2行目「購入日」列: ")
    assert not [p for p in on_engine(window.ctx.shop.formats.presets) if p.user]
    assert stored(window) == before
