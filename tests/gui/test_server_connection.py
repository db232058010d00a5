"""The window on a shared database on a real PostgreSQL server (the test server of
tests/support/postgres.py): ファイル → 共有データベースに接続…, its Japanese errors, the
password in the credential store, the next start, other PCs' changes, and a server
that goes away while the user types."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import keyring
import psycopg
import pytest
from PySide6.QtWidgets import QDialog

import engine
from engine.store import postgres
from gui import server_connect, startup, state
from gui.context import AppContext
from gui.main_window import MainWindow
from gui.server_connect import ConnectDialog, ServerPlace
from gui.server_link import BACK_TEXT, LOST_TEXT
from gui.worker import wait_for_worker
from tests.support.engine_side import on_engine
from tests.support.paths import ROOT
from tests.support.smtp import memory_keyring
from tests.support.snapshot import SAMPLES

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")

STAFF = "山田（PC-1）"


@pytest.fixture
def credentials():
    before = keyring.get_keyring()
    yield memory_keyring()
    keyring.set_keyring(before)


def fill(dialog: ConnectDialog, place: ServerPlace, password: str = "", staff: str = STAFF,
         save: bool = True) -> None:
    dialog.host.setText(place.host)
    dialog.port.setValue(place.port)
    dialog.dbname.setText(place.dbname)
    dialog.user.setText(place.user)
    dialog.password.setText(password)
    dialog.tls.setChecked(place.tls)
    dialog.staff.setText(staff)
    dialog.save_password.setChecked(save)


def connect(qtbot, dialog: ConnectDialog) -> str:
    """Press 接続; the error shown in the dialog, or "" once connected."""
    dialog.connect_button.click()
    qtbot.waitUntil(lambda: dialog.connect_button.isEnabled(), timeout=30000)
    return dialog.error.text() if dialog.error.isVisibleTo(dialog) else ""


def server_window(qtbot, url: str, tab: str, staff: str = STAFF) -> MainWindow:
    """The window on the shop at ``url``, showing ``tab`` from the start (今日の仕事 reads
    through pandas, which does not run on the PostgreSQL store yet: the marketing
    services' own work)."""
    shop = on_engine(lambda: server_connect.open_server_shop(url, staff))
    window = MainWindow(AppContext(shop))
    qtbot.addWidget(window)
    window.tabs.setCurrentWidget(window.tab(tab))
    window.show()
    qtbot.waitUntil(lambda: window.server_link.listener.listening, timeout=10000)
    return window


def close_window(window: MainWindow) -> None:
    window.close()
    wait_for_worker()
    on_engine(window.ctx.shop.close)


def free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_dialog_connects_keeps_the_password_in_the_credential_store_only(
        qtbot, postgres_url, credentials):
    place = ServerPlace.of(postgres_url)
    dialog = ConnectDialog(None)
    qtbot.addWidget(dialog)
    assert dialog.tls.isChecked() and dialog.port.value() == 5432
    assert dialog.save_password.isEnabled()
    fill(dialog, ServerPlace(place.host, place.port, place.dbname, place.user, tls=False),
         password="秘密のpw")
    assert connect(qtbot, dialog) == ""
    assert dialog.result() == QDialog.DialogCode.Accepted
    # TLS off is sslmode=prefer: encrypted when the server offers it (ours does not).
    assert dialog.url == (f"postgresql://{place.user}@{place.host}:{place.port}/{place.dbname}"
                          "?sslmode=prefer")
    shop = dialog.shop
    assert on_engine(lambda: shop.db.scalar("SELECT current_database()")) == place.dbname
    assert shop.staff == STAFF
    assert state.load()["staff"] == STAFF
    target = postgres.parse(dialog.url)[1]
    assert credentials.passwords == {(postgres.KEYRING_SERVICE, target.keyring_user): "秘密のpw"}
    assert postgres.stored_password(target) == "秘密のpw"
    startup.remember_database(shop.db.url)
    kept = (state._path()).read_text(encoding="utf-8")
    assert "秘密のpw" not in kept and "%E7%A7%98" not in kept
    assert startup.database_to_open() == dialog.url
    on_engine(shop.close)

    # Not saved this time: the stored one is forgotten.
    again = ConnectDialog(None, dialog.url)
    qtbot.addWidget(again)
    assert again.host.text() == place.host and again.dbname.text() == place.dbname
    assert not again.tls.isChecked() and again.staff.text() == STAFF
    again.password.setText("秘密のpw")
    again.save_password.setChecked(False)
    assert connect(qtbot, again) == ""
    assert credentials.passwords == {}
    on_engine(again.shop.close)


def test_without_a_credential_store_the_dialog_says_so_and_still_connects(
        qtbot, postgres_url, monkeypatch):
    from keyring.backends import fail
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        dialog = ConnectDialog(None)
        qtbot.addWidget(dialog)
        assert not dialog.save_password.isEnabled() and not dialog.save_password.isChecked()
        assert server_connect.NO_KEYRING in dialog.note.text()
        fill(dialog, ServerPlace.of(postgres_url), password="pw", save=False)
        assert connect(qtbot, dialog) == ""
        on_engine(dialog.shop.close)
    finally:
        keyring.set_keyring(before)


def test_a_missing_server_database_or_tls_is_said_in_japanese(qtbot, postgres_url, credentials):
    place = ServerPlace.of(postgres_url)
    dialog = ConnectDialog(None)
    qtbot.addWidget(dialog)
    fill(dialog, ServerPlace("127.0.0.1", free_port(), place.dbname, place.user, tls=False))
    assert "に接続できません。サーバーが起動しているか" in connect(qtbot, dialog)
    fill(dialog, ServerPlace(place.host, place.port, "ない店", place.user, tls=False))
    assert "データベース「ない店」がありません" in connect(qtbot, dialog)
    # The test server has no TLS: required (the default), it is refused.
    fill(dialog, ServerPlace(place.host, place.port, place.dbname, place.user, tls=True))
    assert "暗号化（TLS）した接続に対応していません" in connect(qtbot, dialog)
    fill(dialog, ServerPlace("", place.port, place.dbname, "", tls=False))
    assert connect(qtbot, dialog) == "サーバー・ユーザー名を入力してください。"
    assert dialog.shop is None and dialog.result() != QDialog.DialogCode.Accepted


@pytest.fixture
def password_user(postgres_server, postgres_url):
    """A user of the test server who must give a password (the server trusts every
    other one): pg_hba.conf gets a line for them while the test runs."""
    name, password = "otokui_pw_user", "正しいpw"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        hba = conn.execute("SHOW hba_file").fetchone()[0]
        if not os.access(hba, os.W_OK):
            pytest.skip("the test server's pg_hba.conf cannot be changed here")
        conn.execute(f"DROP ROLE IF EXISTS {name}")
        # A superuser, so that connecting creates the shop's tables in the empty database.
        conn.execute(f"CREATE ROLE {name} LOGIN SUPERUSER PASSWORD '{password}'")
        with open(hba, encoding="utf-8") as file:
            original = file.read()
        with open(hba, "w", encoding="utf-8") as file:
            file.write(f"host all {name} 127.0.0.1/32 scram-sha-256\n{original}")
        conn.execute("SELECT pg_reload_conf()")
        place = ServerPlace.of(postgres_url)
        user_place = ServerPlace(place.host, place.port, place.dbname, name, tls=False)
        deadline = time.monotonic() + 10
        while True:   # the server reads the file again in a moment
            try:
                psycopg.connect(user_place.url("wrong"), connect_timeout=5).close()
            except psycopg.OperationalError:
                break
            assert time.monotonic() < deadline
            time.sleep(0.1)
        try:
            yield user_place, password
        finally:
            with open(hba, "w", encoding="utf-8") as file:
                file.write(original)
            conn.execute("SELECT pg_reload_conf()")
            with psycopg.connect(postgres_url, autocommit=True) as shop_conn:
                shop_conn.execute(f"DROP OWNED BY {name}")
            conn.execute(f"DROP ROLE IF EXISTS {name}")


def test_a_wrong_password_is_said_in_japanese_and_the_right_one_connects(
        qtbot, password_user, credentials):
    place, password = password_user
    dialog = ConnectDialog(None)
    qtbot.addWidget(dialog)
    fill(dialog, place, password="違うpw")
    error = connect(qtbot, dialog)
    assert f"ユーザー「{place.user}」のパスワードが違うか" in error
    assert "違うpw" not in error
    assert credentials.passwords == {}    # a password that did not work is not kept
    dialog.password.setText(password)
    assert connect(qtbot, dialog) == ""
    assert on_engine(lambda: dialog.shop.db.scalar("SELECT current_user")) == place.user
    on_engine(dialog.shop.close)


def test_the_next_start_connects_again_with_the_stored_password_or_asks_for_it(
        qtbot, password_user, credentials, monkeypatch):
    place, password = password_user
    url = place.url()
    startup.remember_database(url)
    state.remember(staff=STAFF)
    assert startup.database_to_open() == url
    asked = []

    def closed(dialog):
        asked.append((dialog.error.text(), dialog.user.text(), dialog.password.hasFocus()
                      or dialog.focusWidget() is dialog.password))
        return QDialog.DialogCode.Rejected
    monkeypatch.setattr(ConnectDialog, "exec", closed)
    # No password stored: asked for, with the fields filled in.
    assert startup.open_server_at_start(url) is None
    assert asked == [("パスワードを入力してください。", place.user, True)]
    # A stored one the server refuses: the dialog says why.
    postgres.store_password(url, "古いpw")
    assert startup.open_server_at_start(url) is None
    assert f"ユーザー「{place.user}」のパスワードが違うか" in asked[1][0]

    postgres.store_password(url, password)
    shop, remembered = startup.open_server_at_start(url)
    assert remembered == url and shop.staff == STAFF
    assert on_engine(lambda: shop.db.scalar("SELECT current_user")) == place.user
    on_engine(shop.close)
    assert len(asked) == 2

    # The server cannot be reached: 再試行, then ローカルのデータベースを開く.
    down = ServerPlace("127.0.0.1", free_port(), place.dbname, place.user, tls=False).url()
    answers = iter([startup.RETRY, startup.LOCAL])
    questions = []

    def ask(_parent, text):
        questions.append(text)
        return next(answers)
    assert startup.open_server_at_start(down, ask=ask) is None
    assert len(questions) == 2
    assert all("に接続できません" in q and "このパソコンのデータベースを開くか" in q
               for q in questions)


def test_the_window_names_the_shared_shop_and_the_menu_connects_to_one(
        qtbot, postgres_url, credentials, monkeypatch, tmp_path):
    window = MainWindow(AppContext(on_engine(lambda: engine.Shop(":memory:"))))
    qtbot.addWidget(window)
    assert window.server_link is None
    place = ServerPlace.of(postgres_url)

    def connect_in_dialog(dialog):
        fill(dialog, place, password="pw")
        assert connect(qtbot, dialog) == ""
        return dialog.result()
    monkeypatch.setattr(ConnectDialog, "exec", connect_in_dialog)
    with qtbot.waitSignal(window.ctx.shop_changed):
        window.connect_server()
    assert window.windowTitle() == f"Otokui（お得意様） — 共有: {place.host}/{place.dbname}（{STAFF}）"
    assert window.db_label.text() == (f"共有データベース: {place.host}:{place.port}/"
                                      f"{place.dbname}　担当: {STAFF}")
    assert window.server_link is not None
    assert startup.database_to_open() == place.url()
    qtbot.waitUntil(lambda: window.counts_label.text() == "顧客 0人　注文 0件")

    # Backups of a shared shop are kept on this PC: the menu makes one.
    from gui import backup_dialog
    told = []
    monkeypatch.setattr(backup_dialog.QMessageBox, "information",
                        lambda _parent, _title, text: told.append(text))
    backup_dialog.create_backup(window, window.ctx)
    qtbot.waitUntil(lambda: bool(told), timeout=30000)
    assert told[0].startswith("バックアップを作成しました。") and told[0].endswith(".otkpg")

    # ファイル → データベースを開く… goes back to a file.
    path = tmp_path / "local.db"
    with qtbot.waitSignal(window.ctx.shop_changed, timeout=30000):
        window.switch_to(path)
    assert window.windowTitle() == "Otokui（お得意様） — local.db"
    assert window.server_link is None
    assert startup.database_to_open() == path.resolve()
    close_window(window)


CHANGE_ELSEWHERE = """
import sys
from engine import Shop
with Shop(sys.argv[1], staff=sys.argv[2]) as shop:
    shop.imports.import_file(sys.argv[3])
"""


def test_a_change_from_another_pc_reloads_the_tab_on_screen_and_names_who(
        qtbot, postgres_url, credentials):
    window = server_window(qtbot, postgres_url, "取込", staff="佐藤（PC-2）")
    importer = window.tab("取込")
    qtbot.waitUntil(lambda: window.counts_label.text() == "顧客 0人　注文 0件")
    assert importer.history.rowCount() == 0
    subprocess.run([sys.executable, "-c", CHANGE_ELSEWHERE, postgres_url, STAFF,
                    str(SAMPLES / "base" / "base_202507.csv")], cwd=ROOT, check=True, timeout=120)
    with psycopg.connect(postgres_url) as conn:
        orders = conn.execute("SELECT count(*) FROM orders WHERE status = 'valid'").fetchone()[0]
        people = conn.execute("SELECT count(DISTINCT customer_id) FROM orders "
                              "WHERE status = 'valid'").fetchone()[0]
    assert people == 5
    qtbot.waitUntil(lambda: window.notice_label.text() == "山田（PC-1）がデータを更新しました",
                    timeout=15000)
    assert window.db_label.isVisible() and "担当: 佐藤（PC-2）" in window.db_label.text()
    qtbot.waitUntil(lambda: window.counts_label.text() == f"顧客 {people}人　注文 {orders}件")
    qtbot.waitUntil(lambda: importer.history.rowCount() == 1)
    close_window(window)


ERASE_ELSEWHERE = """
import sys
from engine import Shop
with Shop(sys.argv[1], staff=sys.argv[2]) as shop:
    shop.privacy.delete_customer(shop.db.scalar("SELECT min(id) FROM customers"))
"""


def test_an_erasure_on_another_pc_deletes_the_backups_this_pc_keeps(qtbot, postgres_url,
                                                                    credentials):
    """They hold the erased person (the erasing PC deletes its own the same way)."""
    with engine.Shop(postgres_url, staff=STAFF) as shop:
        shop.imports.import_file(SAMPLES / "base" / "base_202507.csv")
    window = server_window(qtbot, postgres_url, "取込", staff="佐藤（PC-2）")
    made = on_engine(lambda: window.ctx.shop.backups.create("手動"))
    # The import's own backup and the one made by hand.
    assert made.path.exists() and on_engine(lambda: len(window.ctx.shop.backups.list())) == 2
    subprocess.run([sys.executable, "-c", ERASE_ELSEWHERE, postgres_url, STAFF], cwd=ROOT,
                   check=True, timeout=120)
    qtbot.waitUntil(lambda: window.notice_label.text() == "山田（PC-1）がデータを更新しました",
                    timeout=15000)
    assert not made.path.exists()
    assert on_engine(lambda: window.ctx.shop.backups.list()) == []
    close_window(window)


def test_a_lost_server_shows_the_banner_keeps_the_typed_memo_and_saves_it_once_back(
        qtbot, postgres_url, postgres_server, credentials, monkeypatch):
    # The purchase cycles' column reads through pandas, which does not run on the
    # PostgreSQL store yet (the marketing services' own work); the memo is what counts here.
    import pandas as pd
    monkeypatch.setattr("gui.customers.tab.load_due",
                        lambda shop, as_of: pd.Series(dtype=object))
    monkeypatch.setattr("gui.customers.tab.load_cycle_statuses",
                        lambda shop, as_of: pd.Series(dtype=object))
    with engine.Shop(postgres_url) as shop:
        shop.imports.import_file(SAMPLES / "base" / "base_202507.csv")
        customer_id = int(shop.db.scalar("SELECT min(customer_id) FROM orders"))
    window = server_window(qtbot, postgres_url, "顧客")
    customers = window.tab("顧客")
    customers.search.setText("")
    customers.select_customer(customer_id)
    detail = customers.detail
    qtbot.waitUntil(lambda: detail.customer is not None
                    and detail.customer["customer_id"] == customer_id)
    wait_for_worker()
    shop = window.ctx.shop
    pid = on_engine(lambda: shop.db.scalar("SELECT pg_backend_pid()"))
    dbname = ServerPlace.of(postgres_url).dbname
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        # The server refuses this shop's connections for a while, and drops this
        # window's own (its change listener keeps listening).
        admin.execute(f'ALTER DATABASE "{dbname}" ALLOW_CONNECTIONS false')
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        memo = "来月また電話する"
        detail.notes.setFocus()
        detail.notes.insertPlainText(memo)   # as typed (keyClicks knows ASCII only)
        # The memo saves itself after a pause in typing: that fails, and says so.
        qtbot.waitUntil(lambda: window.server_link.lost_shown, timeout=10000)
        assert window.banner.text.text().startswith(LOST_TEXT)
        # The checks go on failing meanwhile, each after a longer pause (1 s, 2 s, 4 s …).
        qtbot.waitUntil(lambda: window.server_link.delay_ms >= 4000, timeout=20000)
        assert window.server_link.lost_shown
        assert detail.notes.toPlainText() == memo
        assert detail.save_notes_button.isEnabled()
        admin.execute(f'ALTER DATABASE "{dbname}" ALLOW_CONNECTIONS true')
    window.banner.retry_button.click()
    qtbot.waitUntil(lambda: not window.server_link.lost_shown, timeout=15000)
    assert window.notice_label.text() == BACK_TEXT
    # Reloaded after the reconnection: the memo typed meanwhile is stored, and still shown.
    with psycopg.connect(postgres_url) as conn:
        qtbot.waitUntil(lambda: conn.execute("SELECT notes FROM customers WHERE id = %s",
                                             (customer_id,)).fetchone()[0] == memo,
                        timeout=10000)
    assert detail.notes.toPlainText() == memo
    assert on_engine(lambda: shop.db.scalar("SELECT pg_backend_pid()")) != pid
    close_window(window)


def test_when_only_the_change_listener_lost_its_connection_everything_reloads_without_a_banner(
        qtbot, postgres_url, credentials):
    window = server_window(qtbot, postgres_url, "取込")
    wait_for_worker()
    reloads = []
    window.ctx.data_changed.connect(lambda: reloads.append(window.server_link.lost_shown))
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        killed = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND query LIKE 'LISTEN%%'").fetchall()
    assert killed == [(True,)]
    # Notices may have been missed meanwhile: once listening again, everything reloads;
    # the shop's own connection was fine all along, so no banner.
    qtbot.waitUntil(lambda: bool(reloads), timeout=20000)
    assert reloads == [False] and not window.server_link.lost_shown
    qtbot.waitUntil(lambda: window.server_link.listener.listening, timeout=10000)
    close_window(window)


def test_a_password_goes_into_a_url_and_out_again_leaving_the_rest():
    url = "postgresql://otokui@192.168.1.10:5432/shop?sslmode=require&connect_timeout=5"
    carrying = server_connect.with_password(url, "p@ss:w/d")
    assert postgres.parse(carrying)[0]["password"] == "p@ss:w/d"
    assert postgres.parse(carrying)[0]["connect_timeout"] == "5"
    assert server_connect.without_password(carrying) == url
    assert ServerPlace.of(url) == ServerPlace("192.168.1.10", 5432, "shop", "otokui", tls=True)
    assert ServerPlace.of(url).url() == "postgresql://otokui@192.168.1.10:5432/shop?sslmode=require"
