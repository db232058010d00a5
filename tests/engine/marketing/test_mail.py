"""Follow-up e-mail against a real SMTP server (aiosmtpd): who gets a message, what
it says (decoded as a mail client would), the footer the law asks for, never twice,
a refusal leaving the task open."""
from __future__ import annotations

import pytest

from engine.errors import InvalidInputError, OtokuiError
from engine.marketing.mail import SKIP_SENT, SKIP_UNKNOWN
from engine.marketing.mail_server import PASSWORD_ENV
from tests.support.analysis_shop import build
from tests.support.smtp import Server, memory_keyring

MONTH, AS_OF = "2025-03", "2025-03-01"
RULES = [
    {"target": "all", "min_days": 30, "max_days": None, "medium": "email",
     "action": "サンクスメール：ご購入のお礼と上手な使い方", "offset_days": 0},
    {"target": "all", "min_days": 30, "max_days": None, "medium": "dm",
     "action": "DMハガキ", "offset_days": 20},
    {"target": "all", "min_days": 30, "max_days": None, "medium": "email",
     "action": "クーポン期限のお知らせメール", "offset_days": 50},
]
# Every customer bought once, on 2025-01-10 (R 50 as of 2025-03-01).
PEOPLE = {
    1: {"name": "佐藤 花子", "email": "hanako@example.jp"},         # consent yes
    2: {"name": "鈴木 一郎", "email": "ichiro@example.jp"},         # consent yes
    3: {"name": "高橋 次郎", "email": "jiro@example.jp"},           # unknown
    4: {"name": "田中 三郎", "email": "saburo@example.jp"},         # refused
    5: {"name": "伊藤 四郎", "email": "x9@pc.fw.rakuten.ne.jp"},    # relay, consent yes
    6: {"name": "渡辺 五郎", "email": "goro@example.jp", "dm": 0},   # Amazon only, consent yes
    7: {"name": "山本 六子", "email": "mutsuko@example.jp", "opt_out": 1},  # 配信停止
}
SETTINGS = {"host": "127.0.0.1", "security": "none", "from_address": "shop@example.jp",
            "sender_name": "お茶の山田園", "sender_address": "静岡県静岡市葵区1-2-3",
            "contact": "054-000-0000（平日10〜17時）", "per_minute": 6000}


@pytest.fixture
def shop():
    shop = build({cid: [("2025-01-10", 3000, [("T1", 3000)])] for cid in PEOPLE}, PEOPLE)
    for cid in (1, 2, 4, 5, 6, 7):
        shop.consent.set(cid, email="yes", on="2025-01-10")
    shop.followups.save_rules(RULES)
    shop.followups.generate(MONTH, AS_OF)
    # 4 says no after the plan was made: the send, not only the plan, must notice.
    shop.consent.set(4, email="no", on="2025-02-01")
    return shop


@pytest.fixture
def server():
    with Server() as server:
        yield server


def setup(shop, server, **extra):
    shop.mail.setup(**{**SETTINGS, "port": server.port, **extra})


def open_email_tasks(shop, step: int = 1) -> set[int]:
    tasks = shop.followups.tasks(MONTH)
    return set(tasks.loc[(tasks["medium"] == "email") & (tasks["status"] == "open")
                         & (tasks["step"] == step), "customer_id"])


def test_messages_go_only_to_consenting_customers_and_read_right(shop, server):
    setup(shop, server)
    report = shop.mail.send(MONTH, until="2025-03-01")
    assert {r["customer_id"] for r in report.sent} == {1, 2}
    assert sorted(r.recipients[0] for r in server.received) == [
        "hanako@example.jp", "ichiro@example.jp"]
    reasons = {r["customer_id"]: r["reason"] for r in report.skipped}
    # 3 (consent unknown), 5 (relay) and 6 (Amazon only) got no e-mail task at all:
    # the plan gave them another medium. 7 opted out and is in no plan.
    assert reasons == {4: "メール拒否"}
    assert 3 not in open_email_tasks(shop) and 3 in set(shop.followups.tasks(MONTH)["customer_id"])
    message = next(r for r in server.received if r.recipients == ["hanako@example.jp"]).message
    assert message["Subject"] == "お茶の山田園より：ご購入ありがとうございました"
    assert str(message["From"]) == "お茶の山田園 <shop@example.jp>"
    assert message["List-Unsubscribe"] == "<mailto:shop@example.jp?subject=unsubscribe>"
    assert message.get_content_charset() == "utf-8"
    # On the wire text lines end in CRLF, as MIME wants; a mail client shows lines.
    body = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert body.startswith("佐藤 花子 様\n\nこのたびはお茶の山田園でお買い物いただき")
    assert "2025年1月10日にお求めいただいた「商品T1」" in body
    for line in ("送信者: お茶の山田園", "所在地: 静岡県静岡市葵区1-2-3",
                 "お問い合わせ: 054-000-0000（平日10〜17時）",
                 "shop@example.jp まで「配信停止」とお送りください。"):
        assert line in body
    # The raw bytes are encoded (RFC 2047 subject, base64 body): 7-bit safe.
    raw = message.as_bytes()
    assert b"=?utf-8?" in raw and raw.isascii()


def test_sent_tasks_are_checked_off_and_a_second_run_sends_nothing(shop, server):
    setup(shop, server)
    shop.mail.send(MONTH, until="2025-03-01")
    tasks = shop.followups.tasks(MONTH).set_index(["customer_id", "step"])
    assert tasks.loc[(1, 1), ["status", "result"]].tolist() == ["done", "メール送信済み"]
    assert tasks.loc[(1, 3), "status"] == "open"              # not due yet
    assert shop.touches.for_customer(1)["result"].tolist() == ["メール送信済み"]
    again = shop.mail.send(MONTH, until="2025-03-01")
    assert again.sent == [] and len(server.received) == 2
    # Even an undo of the check-offs does not send again: the log remembers.
    last = shop.db.scalar("SELECT max(id) FROM operations WHERE kind = 'mail'")
    shop.journal.undo(last)
    assert 1 in open_email_tasks(shop)
    third = shop.mail.send(MONTH, until="2025-03-01")
    assert third.sent == [] and len(server.received) == 2
    assert {r["reason"] for r in third.skipped if r["customer_id"] == 1} == {SKIP_SENT}


def test_a_refused_recipient_leaves_the_task_open_and_is_logged(shop, server):
    setup(shop, server)
    server.handler.refuse.add("ichiro@example.jp")
    report = shop.mail.send(MONTH, until="2025-03-01")
    assert [r["customer_id"] for r in report.sent] == [1]
    assert [(r["customer_id"], r["error"][:24]) for r in report.failed] == [
        (2, "宛先を受け付けませんでした: 550 5.1.1")]
    assert 2 in open_email_tasks(shop) and 1 not in open_email_tasks(shop)
    history = shop.touches.for_customer(2)
    assert history["source"].tolist() == ["mail_failed"]
    assert history["result"].iloc[0].startswith("送信できませんでした: 宛先を受け付けませんでした")
    worklist = shop.followups.worklist("2025-03-01", media=["email"]).set_index("customer_id")
    assert worklist.loc[2, "last_error"].startswith("宛先を受け付けませんでした")
    # Once the mailbox exists, the next run sends it (and only it).
    server.handler.refuse.clear()
    again = shop.mail.send(MONTH, until="2025-03-01")
    assert [r["customer_id"] for r in again.sent] == [2]
    assert [r.recipients for r in server.received] == [["hanako@example.jp"],
                                                       ["ichiro@example.jp"]]


def test_dry_run_sends_nothing_and_changes_nothing(shop, server):
    setup(shop, server)
    before = shop.db.scalar("SELECT count(*) FROM operations")
    report = shop.mail.send(MONTH, until="2025-03-01", dry_run=True)
    assert {r["customer_id"] for r in report.sent} == {1, 2}
    assert server.received == [] and open_email_tasks(shop) >= {1, 2}
    assert shop.db.scalar("SELECT count(*) FROM operations") == before
    assert report.summary().startswith("送信予定 2通、送らない 1件、失敗 0件")


def test_an_attempt_cut_off_midway_is_never_retried_blindly(shop, server):
    setup(shop, server)
    task = shop.followups.tasks(MONTH).query("customer_id == 1 and step == 1").iloc[0]
    shop.db.execute("INSERT INTO mail_sends (month, customer_id, step, address, status,"
                    " attempted_at) VALUES (?, 1, 1, 'hanako@example.jp', 'sending', 'x')",
                    (MONTH,))
    report = shop.mail.send(MONTH, until="2025-03-01")
    assert [r["customer_id"] for r in report.sent] == [2]
    assert {r["customer_id"]: r["reason"] for r in report.skipped}[1] == SKIP_UNKNOWN
    # A message the server accepted before the program stopped: checked off next time.
    shop.db.execute("UPDATE mail_sends SET status = 'sent' WHERE customer_id = 1")
    assert shop.mail.settle().counts["sent"] == 1
    assert shop.followups.tasks(MONTH).set_index("task_id").loc[task.task_id, "status"] == "done"


def test_nothing_is_sent_without_the_sender_details(shop, server):
    shop.mail.setup(host="127.0.0.1", port=server.port, security="none",
                    from_address="shop@example.jp")
    with pytest.raises(InvalidInputError, match="送信者名（店名）・送信者の住所・お問い合わせ先"):
        shop.mail.send(MONTH, until="2025-03-01")
    assert server.received == []


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_encrypted_servers_with_a_login_from_the_credential_store(shop, security, monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    store = memory_keyring()
    with Server(security=security, login=("shop", "s3cret-pass")) as server:
        shop.mail.ssl_context = server.client_context
        setup(shop, server, security=security, user="shop", password="s3cret-pass")
        assert list(store.passwords.values()) == ["s3cret-pass"]
        report = shop.mail.send(MONTH, until="2025-03-01")
        assert len(report.sent) == 2 and len(server.received) == 2
    # The password is in the credential store only: not in the settings, not in any table.
    assert "s3cret" not in str(shop.settings.get("mail.server"))
    dump = "\n".join(str(row) for table in shop.db.table_columns()
                     for row in shop.db.conn.execute(f"SELECT * FROM {table}"))
    assert "mail.server" in dump and "s3cret" not in dump


def test_a_wrong_password_says_what_to_check(shop, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "wrong")
    with Server(security="starttls", login=("shop", "right")) as server:
        shop.mail.ssl_context = server.client_context
        setup(shop, server, security="starttls", user="shop")
        with pytest.raises(OtokuiError, match="ログインできませんでした"):
            shop.mail.send(MONTH, until="2025-03-01")
        assert server.received == []
    assert open_email_tasks(shop) >= {1, 2}


def test_a_full_width_password_is_named_not_crashed_on(shop, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "パスワード")
    with Server(security="starttls", login=("shop", "right")) as server:
        shop.mail.ssl_context = server.client_context
        setup(shop, server, security="starttls", user="shop")
        with pytest.raises(OtokuiError, match="全角文字が入っています"):
            shop.mail.send(MONTH, until="2025-03-01")
        assert server.received == []


def test_an_unreachable_server_is_named(shop):
    shop.mail.setup(**{**SETTINGS, "port": 1})
    with pytest.raises(OtokuiError, match="127.0.0.1:1 に接続できませんでした"):
        shop.mail.send(MONTH, until="2025-03-01")
    assert open_email_tasks(shop) >= {1, 2}


def test_preview_test_send_and_templates(shop, server):
    setup(shop, server)
    preview = shop.mail.preview("クーポン期限のお知らせメール", customer_id=3)
    assert preview["to"] == "jiro@example.jp" and preview["block"] == "メールの同意が未確認"
    assert preview["body"].startswith("高橋 次郎 様")
    with pytest.raises(InvalidInputError, match="「{誕生日}」はありません"):
        shop.mail.save_template("クーポン期限のお知らせメール", "{誕生日}のご案内", "本文")
    op = shop.mail.save_template("クーポン期限のお知らせメール", "{姓}様へ 期限のご案内",
                                 "{姓}様\n{購入回数}回のご利用ありがとうございます。").operation
    edited = shop.mail.preview("クーポン期限のお知らせメール", customer_id=1)
    assert edited["subject"] == "佐藤様へ 期限のご案内"
    assert edited["body"].startswith("佐藤様\n1回のご利用ありがとうございます。\n")
    assert "送信者: お茶の山田園" in edited["body"]     # the footer stays whatever the text
    shop.journal.undo(op)
    assert shop.mail.template("クーポン期限のお知らせメール").custom is False
    # A substituted task uses its own action's text; an action without one the common.
    assert shop.mail.template("DMハガキ（DM不可のためメールで代替）").action == ""
    assert shop.mail.send_test("クーポン期限のお知らせメール") == "shop@example.jp"
    (test,) = server.received
    assert test.message["Subject"].startswith("【テスト送信】")
    assert test.recipients == ["shop@example.jp"] and "山田 花子 様" in test.body
    assert shop.db.scalar("SELECT count(*) FROM mail_sends") == 0


def test_a_list_for_the_shops_mail_service_has_the_same_gate(shop, tmp_path):
    path = tmp_path / "配信リスト.csv"
    assert shop.mail.export_list(MONTH, path, until="2025-03-01") == 2
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0] == "メールアドレス,氏名,姓,名,最終購入日,最終購入商品,おすすめ商品,購入回数,顧客番号,施策"
    assert lines[1].startswith("hanako@example.jp,佐藤 花子,佐藤,花子,2025-01-10,商品T1,,1,1,")
    assert len(lines) == 3
    from openpyxl import load_workbook
    xlsx = tmp_path / "配信リスト.xlsx"
    assert shop.mail.export_list(MONTH, xlsx, until="2025-03-01") == 2
    rows = list(load_workbook(xlsx).active.iter_rows(values_only=True))
    assert rows[0][0] == "メールアドレス" and {r[0] for r in rows[1:]} == {
        "hanako@example.jp", "ichiro@example.jp"}


def test_an_erasure_blanks_the_send_log(shop, server):
    setup(shop, server)
    shop.mail.send(MONTH, until="2025-03-01")
    shop.privacy.delete_customer(1)
    assert shop.db.query("SELECT address, subject, status FROM mail_sends WHERE customer_id = 1"
                         ) == [{"address": "", "subject": "", "status": "sent"}]


def test_recommended_product_is_what_follows_the_last_product():
    # Three customers bought T2 after T1; customer 4 has just bought T1.
    orders = {cid: [("2025-01-10", 3000, [("T1", 3000)]), ("2025-02-10", 2000, [("T2", 2000)])]
              for cid in (1, 2, 3)}
    orders[4] = [("2025-03-01", 3000, [("T1", 3000)])]
    shop = build(orders)
    shop.mail.save_template("クーポン期限のお知らせメール", "{姓}様へ",
                            "次は「{おすすめ商品}」はいかがですか。")
    assert shop.mail.preview("クーポン期限のお知らせメール", customer_id=4)["body"].startswith(
        "次は「商品T2」はいかがですか。\n")
    # Nothing follows T2 often enough: the field stays empty.
    assert shop.mail.preview("クーポン期限のお知らせメール", customer_id=1)["body"].startswith(
        "次は「」はいかがですか。\n")
    sample = shop.mail.preview("クーポン期限のお知らせメール")
    assert sample["body"].startswith("次は「詰め替え用パック」")
    assert "おすすめ商品" in sample["fields"]


def test_japanese_subjects_with_spaces_arrive_as_written():
    """Every prefix of a long subject (encoded words fold at different places)."""
    from email import message_from_bytes
    from email.policy import default

    from engine.marketing.mail_server import MailSettings, compose
    settings = MailSettings(host="x", from_address="shop@example.jp", sender_name="雑貨さくら")
    subject = "雑貨さくらより 山田 花子様 いつもご利用ありがとうございます 次回使える クーポン のご案内です"
    for end in range(1, len(subject) + 1):
        raw = compose(settings, "a@example.jp", subject[:end], "本文").as_bytes()
        assert raw.isascii()
        assert message_from_bytes(raw, policy=default)["Subject"] == subject[:end]
