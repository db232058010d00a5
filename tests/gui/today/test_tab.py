"""今日の仕事 on a hand-built shop: what each row shows, the filters, bulk check-off
and its undo, and e-mail sent through a real SMTP server (aiosmtpd)."""
from datetime import date

import pandas as pd
import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QPushButton

from gui.context import AppContext
from gui.today import tab as today
from gui.today.tab import TodayTab
from tests.support.analysis_shop import add_order, build
from tests.support.engine_side import on_engine
from tests.support.sample_shop import settle
from tests.support.smtp import Server, free_port

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")

MONTH = "2025-03"
AS_OF = date(2025, 3, 6)
THANKS = "サンクスメール：ご購入のお礼と上手な使い方"
RULES = [
    {"target": "all", "min_days": 30, "max_days": 59, "medium": "phone",
     "action": "お礼の電話", "offset_days": 0},
    {"target": "all", "min_days": 30, "max_days": 59, "medium": "email",
     "action": THANKS, "offset_days": 0},
    {"target": "all", "min_days": 30, "max_days": 59, "medium": "dm",
     "action": "DMハガキ", "offset_days": 5},
    {"target": "all", "min_days": 60, "max_days": None, "medium": "insert",
     "action": "同梱チラシ", "offset_days": 0},
    {"target": "all", "min_days": 60, "max_days": None, "medium": "email",
     "action": "クーポンのお知らせメール", "offset_days": 0},
    {"target": "all", "min_days": 60, "max_days": None, "medium": "phone",
     "action": "近況伺いの電話", "offset_days": 3},
]
PEOPLE = {1: {"name": "佐藤 花子", "email": "hanako@example.jp", "phone": "090-1111-2222"},
          2: {"name": "鈴木 一郎", "email": "ichiro@example.jp"},
          3: {"name": "高橋 次郎", "email": "jiro@example.jp"},
          4: {"name": "田中 三郎", "email": "saburo@example.jp", "phone": "03-1234-5678"},
          5: {"name": "伊藤 四郎", "email": "shiro@example.jp"}}
SETTINGS = {"host": "127.0.0.1", "security": "none", "from_address": "shop@example.jp",
            "sender_name": "お茶の山田園", "sender_address": "静岡県静岡市葵区1-2-3",
            "contact": "054-000-0000", "per_minute": 6000}


def make_shop():
    """Customers 1–3 bought 2025-01-10 (phone, e-mail, DM plan), 4–5 on 2024-12-01
    (insert, e-mail, phone plan); 3 and 5 never agreed to e-mail, so theirs turned
    into DM; 2 refused e-mail after the plan was made; 4 ordered again in March."""
    orders = {cid: [("2025-01-10", 3000)] for cid in (1, 2, 3)}
    orders.update({cid: [("2024-12-01", 5000)] for cid in (4, 5)})
    shop = build(orders, PEOPLE)
    for cid in (1, 2, 4):
        shop.consent.set(cid, email="yes", on="2025-01-10")
    shop.db.execute("UPDATE customers SET postal_code = '4200001', address1 = "
                    "'静岡県静岡市葵区1-2-3', address2 = '山田ビル' WHERE id = 1")
    shop.followups.save_rules(RULES)
    shop.followups.generate(MONTH, "2025-03-01")
    shop.consent.set(2, email="no", on="2025-03-02")
    add_order(shop, 4, "2025-03-05", 4000)
    return shop


@pytest.fixture
def tab(qtbot):
    ctx = AppContext(on_engine(make_shop))
    ctx.set_as_of(AS_OF)
    tab = TodayTab(ctx)
    qtbot.addWidget(tab)
    tab.resize(1280, 700)
    tab.show()
    settle(qtbot)
    return tab


def task_id(tab, customer_id, medium):
    frame = tab._all
    hit = frame[(frame["customer_id"] == customer_id) & (frame["medium"] == medium)]
    assert len(hit) == 1
    return int(hit["task_id"].iloc[0])


def stored(tab):
    shop = tab.ctx.shop
    return on_engine(lambda: shop.followups.tasks(MONTH)).set_index("task_id")


def cells(tab, row):
    return [tab.model.index(row, c).data() for c in range(tab.model.columnCount())]


def row_of(tab, customer_id, medium):
    frame = tab.model.frame
    return int(frame.index[(frame["customer_id"] == customer_id)
                           & (frame["medium"] == medium)][0])


def select(tab, rows):
    selection = tab.view.selectionModel()
    selection.clearSelection()
    for row in rows:
        selection.select(tab.model.index(row, 0), QItemSelectionModel.SelectionFlag.Select
                         | QItemSelectionModel.SelectionFlag.Rows)


def test_rows_show_what_each_task_needs_grouped_by_medium(tab, qtmodeltester):
    qtmodeltester.check(tab.model)
    assert tab.summary.text() == ("2025-03-06 までの仕事: 電話 2件・DM 6件・メール 3件・同梱物 4件"
                                  "（うち遅れ 12件）")
    assert tab.model.frame["medium"].tolist() == ["phone"] * 2 + ["dm"] * 6 + ["email"] * 3 \
        + ["insert"] * 4
    phone = row_of(tab, 1, "phone")
    assert cells(tab, phone) == ["2025-03-01", "5日遅れ", "電話", "佐藤 花子", "お礼の電話",
                                 "090-1111-2222", "1回購入", ""]
    assert tab.model.index(phone, today.LATE_COLUMN).data(
        Qt.ItemDataRole.ForegroundRole).color() == today.RED
    dm = row_of(tab, 1, "dm")
    assert cells(tab, dm)[:2] == ["2025-03-06", "今日"]
    assert tab.model.index(dm, 5).data() == "〒420-0001 静岡県静岡市葵区1-2-3 山田ビル"
    assert tab.model.index(dm, today.LATE_COLUMN).data(Qt.ItemDataRole.ForegroundRole) is None
    assert tab.model.index(row_of(tab, 2, "dm"), 5).data() == "住所なし"
    assert cells(tab, row_of(tab, 4, "phone"))[5:7] == ["03-1234-5678", "TOP1%"]
    assert tab.model.index(row_of(tab, 4, "insert"), 5).data() == "注文 T6 に同梱"
    assert tab.model.index(row_of(tab, 5, "insert"), 5).data() == "次のご注文の荷物に同梱"
    refused = row_of(tab, 2, "email")
    assert cells(tab, refused)[5:] == ["ichiro@example.jp", "1回購入", "送信不可: メール拒否"]
    assert cells(tab, row_of(tab, 1, "email"))[5:] == ["hanako@example.jp", "1回購入", ""]
    # Two e-mails may go: 鈴木's is refused.
    assert tab.mail_button.text() == "メールを送る（2件）"
    assert tab.medium.itemText(0) == "すべて（15件）"
    assert [tab.medium.itemText(i) for i in range(1, 5)] == ["電話 2件", "DM 6件", "メール 3件",
                                                             "同梱物 4件"]


def test_filters_change_the_rows(tab):
    tab.medium.setCurrentIndex(tab.medium.findData("phone"))
    assert tab.model.frame["name"].tolist() == ["佐藤 花子", "田中 三郎"]
    assert tab.shown_count.text() == "表示 2件"
    tab.medium.setCurrentIndex(0)
    tab.cluster.setCurrentIndex(tab.cluster.findData("top1"))
    assert set(tab.model.frame["customer_id"]) == {4}
    assert tab.model.frame["medium"].tolist() == ["phone", "email", "insert"]
    tab.cluster.setCurrentIndex(0)
    # A rule's tasks include those substituted by another medium.
    tab.rule.setCurrentIndex(tab.rule.findData("お礼の電話"))
    assert tab.model.frame[["customer_id", "medium"]].values.tolist() == [
        [1, "phone"], [2, "insert"], [3, "insert"]]
    tab.rule.setCurrentIndex(tab.rule.findData("DMハガキ"))
    tab.late_only.setChecked(True)
    assert tab.model.rowCount() == 0 and tab.shown_count.text() == "条件に合う仕事はありません"
    tab.rule.setCurrentIndex(0)
    assert tab.model.rowCount() == 12
    assert set(tab.model.frame["late"]) == {"5日遅れ", "2日遅れ"}


def test_bulk_check_off_marks_exactly_the_chosen_tasks_and_undo_reopens_them(
        qtbot, tab, monkeypatch):
    chosen = [task_id(tab, 1, "phone"), task_id(tab, 2, "dm"), task_id(tab, 4, "insert")]
    select(tab, [row_of(tab, 1, "phone"), row_of(tab, 2, "dm"), row_of(tab, 4, "insert")])
    assert tab.check_button.text() == "完了にする（3件）"
    asked = []
    monkeypatch.setattr(today, "ask_check_off_many",
                        lambda parent, tasks: asked.append(tasks) or ("2025-03-06", "対応済み"))
    before = stored(tab)
    tab.check_button.click()
    settle(qtbot)
    assert sorted(t["task_id"] for t in asked[0]) == sorted(chosen)
    after = stored(tab)
    done = after.index[after["status"] == "done"].tolist()
    assert sorted(done) == sorted(chosen)
    assert after.loc[chosen, "done_on"].tolist() == ["2025-03-06"] * 3
    assert after.loc[chosen, "result"].tolist() == ["対応済み"] * 3
    assert (before.drop(chosen)["status"] == "open").all()
    assert not set(chosen) & set(tab.model.frame["task_id"])
    assert tab.model.rowCount() == 12
    assert tab.summary.text().startswith("2025-03-06 までの仕事: 電話 1件・DM 5件")
    shop = tab.ctx.shop
    touches = on_engine(lambda: shop.touches.for_customer(1))
    assert touches[["date", "medium", "result"]].values.tolist() == [
        ["2025-03-06", "phone", "対応済み"]]

    assert tab.undo_button.isEnabled()
    monkeypatch.setattr(today, "confirm", lambda *a: True)
    tab.undo_button.click()
    settle(qtbot)
    assert (stored(tab)["status"] == "open").all()
    assert set(chosen) <= set(tab.model.frame["task_id"])
    assert tab.model.rowCount() == 15
    assert on_engine(lambda: shop.touches.for_customer(1)).empty
    assert not tab.undo_button.isEnabled()


def test_nothing_to_do_says_where_plans_are_made(qtbot):
    tab = TodayTab(AppContext(on_engine(lambda: build({1: [("2025-01-10", 3000)]}))))
    qtbot.addWidget(tab)
    tab.show()
    settle(qtbot)
    assert tab.stack.currentWidget() is tab.empty
    assert "今日の仕事はありません" in tab.empty.text()
    assert "「セグメント・フォロー」タブ" in tab.empty.text()
    assert tab.summary.text() == "今日までの仕事: ありません"
    assert not tab.check_button.isEnabled() and not tab.mail_button.isEnabled()


def test_double_click_asks_for_the_customer(qtbot, tab):
    index = tab.model.index(row_of(tab, 4, "phone"), 3)
    with qtbot.waitSignal(tab.customer_requested) as signal:
        tab.view.doubleClicked.emit(index)
    assert signal.args == [4]


def test_the_window_opens_a_double_clicked_customer_in_the_customers_tab(qtbot):
    from gui.main_window import MainWindow
    ctx = AppContext(on_engine(make_shop))
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    settle(qtbot)
    assert window.tabs.currentWidget() is window.tab("今日の仕事")
    window.tab("今日の仕事").customer_requested.emit(4)
    settle(qtbot)
    assert window.tabs.currentWidget() is window.tab("顧客")
    assert window.tab("顧客").detail.customer["customer_id"] == 4


# --- e-mail ---------------------------------------------------------------------------

@pytest.fixture
def server():
    with Server() as server:
        yield server


def set_up_mail(tab, server, **extra):
    shop = tab.ctx.shop
    on_engine(lambda: shop.mail.setup(**{**SETTINGS, "port": server.port, **extra}))


def answer(monkeypatch, reply=True):
    asked, told = [], []
    monkeypatch.setattr(today, "confirm", lambda parent, text, action="": asked.append(
        (text, action)) or reply)
    monkeypatch.setattr(today, "tell", lambda parent, text: told.append(text))
    return asked, told


def test_mail_is_sent_after_a_dry_run_and_a_refusal_stays_with_its_error(
        qtbot, tab, server, monkeypatch):
    set_up_mail(tab, server)
    server.handler.refuse.add("saburo@example.jp")
    asked, told = answer(monkeypatch)
    tab.medium.setCurrentIndex(tab.medium.findData("email"))
    tab.mail_button.click()
    settle(qtbot)
    text, action = asked[0]
    assert action == "2通 送る"
    assert text.startswith("メールを 2通 送ります。\n送らないもの 1件:\n　・メール拒否: 1件")
    assert [r.recipients for r in server.received] == [["hanako@example.jp"]]
    assert told[0].startswith("送信 1通、送らない 1件、失敗 1件（メール拒否: 1）。")
    assert "田中 三郎（saburo@example.jp）: 宛先を受け付けませんでした: 550" in told[0]
    tasks = stored(tab)
    email = tasks[tasks["medium"] == "email"].set_index("customer_id")
    assert email.loc[1, ["status", "result"]].tolist() == ["done", "メール送信済み"]
    assert email.loc[4, "status"] == "open" and email.loc[2, "status"] == "open"
    # The sent one left the list; the refused one stays, its error in red.
    assert tab.model.frame["customer_id"].tolist() == [2, 4]
    failed = row_of(tab, 4, "email")
    note = tab.model.index(failed, today.NOTE_COLUMN)
    assert note.data().startswith("前回の送信失敗: 宛先を受け付けませんでした: 550 5.1.1")
    assert note.data(Qt.ItemDataRole.ForegroundRole).color() == today.RED
    # A second run sends nothing twice: 田中 is tried again, 佐藤 is not in the list.
    server.handler.refuse.clear()
    tab.mail_button.click()
    settle(qtbot)
    assert asked[1][0].startswith("メールを 1通 送ります。")
    assert [r.recipients for r in server.received] == [["hanako@example.jp"],
                                                       ["saburo@example.jp"]]
    assert tab.model.frame["customer_id"].tolist() == [2]


def test_only_the_chosen_mail_tasks_are_sent(qtbot, tab, server, monkeypatch):
    set_up_mail(tab, server)
    _asked, told = answer(monkeypatch)
    select(tab, [row_of(tab, 4, "email"), row_of(tab, 4, "phone")])
    assert tab.mail_button.text() == "メールを送る（1件）"
    select(tab, [row_of(tab, 4, "phone")])     # no e-mail chosen: every one shown
    assert tab.mail_button.text() == "メールを送る（2件）"
    select(tab, [row_of(tab, 4, "email"), row_of(tab, 4, "phone")])
    tab.mail_button.click()
    settle(qtbot)
    assert [r.recipients for r in server.received] == [["saburo@example.jp"]]
    assert told == ["送信 1通、送らない 0件、失敗 0件。"]
    email = stored(tab).query("medium == 'email'").set_index("customer_id")
    assert email["status"].to_dict() == {1: "open", 2: "open", 4: "done"}
    # The phone task chosen with it is not touched.
    assert stored(tab).loc[task_id(tab, 4, "phone"), "status"] == "open"


def test_declining_the_dry_run_sends_nothing(qtbot, tab, server, monkeypatch):
    set_up_mail(tab, server)
    asked, told = answer(monkeypatch, reply=False)
    tab.mail_button.click()
    settle(qtbot)
    assert len(asked) == 1 and told == [] and server.received == []
    assert (stored(tab)["status"] == "open").all()


def test_missing_mail_settings_point_to_the_menu(qtbot, tab, monkeypatch):
    asked, told = answer(monkeypatch)
    with qtbot.waitSignal(tab.mail_settings_requested):
        tab.mail_button.click()
        settle(qtbot)
    (text, action), = asked
    assert action == "メールの設定を開く" and told == []
    assert "「ファイル」→「メールの設定…」" in text
    assert "送信サーバー" in text and "差出人のメールアドレス" in text


def test_the_window_opens_the_mail_settings_from_its_menu(qtbot, monkeypatch):
    import gui.mail_settings
    from gui.main_window import MainWindow
    window = MainWindow(AppContext(on_engine(make_shop)))
    qtbot.addWidget(window)
    opened = []
    monkeypatch.setattr(gui.mail_settings, "open_mail_settings",
                        lambda parent, ctx: opened.append(parent))
    window.tab("今日の仕事").mail_settings_requested.emit()
    assert opened == [window]
    file_menu = window.menuBar().actions()[0].menu()
    next(a for a in file_menu.actions() if a.text() == "メールの設定…").trigger()
    assert opened == [window, window]


def test_cancel_stops_between_two_messages(qtbot, tab, server, monkeypatch):
    # Six a minute: ten seconds between two messages, time to press 中止.
    set_up_mail(tab, server, per_minute=6)
    _asked, told = answer(monkeypatch)
    tab.mail_button.click()
    qtbot.waitUntil(lambda: len(server.received) == 1, timeout=10000)
    dialog = tab.send_op.dialog
    dialog.findChild(QPushButton).click()
    settle(qtbot)
    assert len(server.received) == 1
    assert told[0].startswith("送信 1通") and "途中で中止しました" in told[0]
    email = stored(tab).query("medium == 'email'").set_index("customer_id")
    first = server.received[0].recipients[0]
    sent_to = {"hanako@example.jp": 1, "saburo@example.jp": 4}[first]
    assert email.loc[sent_to, "status"] == "done"
    assert email.loc[({1, 4} - {sent_to}).pop(), "status"] == "open"


def test_an_unreachable_server_is_explained_and_the_tasks_stay_open(
        qtbot, tab, monkeypatch, error_dialogs):
    closed = free_port()
    on_engine(lambda: tab.ctx.shop.mail.setup(**{**SETTINGS, "port": closed}))
    _asked, told = answer(monkeypatch)
    tab.mail_button.click()
    settle(qtbot)
    assert f"メールサーバー 127.0.0.1:{closed} に接続できませんでした" in error_dialogs[0]
    error_dialogs.clear()
    assert told == []
    email = stored(tab).query("medium == 'email'")
    assert (email["status"] == "open").all()
    note = tab.model.index(row_of(tab, 1, "email"), today.NOTE_COLUMN).data()
    assert note.startswith("前回の送信失敗: メールサーバー 127.0.0.1")


def test_select_all_takes_every_row_of_a_long_list(qtbot, tab):
    many = pd.concat([tab._all] * 40, ignore_index=True)     # 600 rows, more than a chunk
    tab._all = many
    tab.apply_filters()
    tab.view.selectAll()
    assert len(tab.selected_tasks()) == 600
    assert tab.check_button.text() == "完了にする（600件）"
