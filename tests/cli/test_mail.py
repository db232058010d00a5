"""The daily routine from the command line: consent, today's worklist, and the
month's follow-up e-mail through a real SMTP server."""
from __future__ import annotations

import csv
import io

import pytest

import main
from engine import Shop
from tests.support.analysis_shop import add_customer, add_order
from tests.support.smtp import Server

RULES = [
    {"target": "all", "min_days": 30, "max_days": None, "medium": "email",
     "action": "サンクスメール：ご購入のお礼と上手な使い方", "offset_days": 0},
    {"target": "all", "min_days": 30, "max_days": None, "medium": "dm",
     "action": "DMハガキ", "offset_days": 0},
    {"target": "all", "min_days": 30, "max_days": None, "medium": "phone",
     "action": "お電話", "offset_days": 10},
]


def run(capsysbinary, *argv):
    code = main.main([str(a) for a in argv])
    out, err = capsysbinary.readouterr()
    return code, out.decode("utf-8"), err.decode("utf-8")


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "shop.db"
    with Shop(path) as shop:
        with shop.db.transaction():
            for cid, (name, email) in enumerate(
                    [("佐藤 花子", "hanako@example.jp"), ("鈴木 一郎", "ichiro@example.jp"),
                     ("高橋 次郎", "jiro@example.jp")], start=1):
                add_customer(shop, cid, name=name, email=email, phone=f"0901111000{cid}")
                add_order(shop, cid, "2025-01-10", 3000)
        shop.followups.save_rules(RULES)
    return path


def worklist(capsysbinary, db, *extra):
    code, out, err = run(capsysbinary, "worklist", "--until", "2025-03-01", *extra, "--db", db)
    assert (code, err) == (0, "")
    return list(csv.reader(io.StringIO(out.lstrip("\ufeff"))))


def test_consent_worklist_and_mail(capsysbinary, db, tmp_path, monkeypatch):
    code, out, _ = run(capsysbinary, "consent", "set", "--customer", "1", "--email", "yes",
                       "--db", db)
    assert (code, out) == (0, "顧客 1: メール 同意あり、DM 未確認、電話 未確認\n")
    subscribers = tmp_path / "subscribers.csv"
    subscribers.write_text("メールアドレス,メルマガ\nichiro@example.jp,はい\n"
                           "nobody@example.jp,はい\n", encoding="cp932")
    code, out, _ = run(capsysbinary, "consent", "import", subscribers, "--db", db)
    assert (code, out) == (0, "subscribers.csv: 2行を読み、1人のメール同意を記録しました。"
                              "顧客が見つからないアドレス 1件。\n")
    assert run(capsysbinary, "followups", "--month", "2025-03", "--as-of", "2025-03-01",
               "--db", db)[0] == 0
    rows = worklist(capsysbinary, db)
    assert rows[0] == main.WORKLIST_COLUMNS
    # 1 and 2 agreed to e-mail; 3 did not say, so 3's e-mail became an insert.
    assert sorted((r[3], r[4], r[8]) for r in rows[1:]) == [
        ("dm", "1", "住所なし"), ("dm", "2", "住所なし"), ("dm", "3", "住所なし"),
        ("email", "1", "hanako@example.jp"), ("email", "2", "ichiro@example.jp"),
        ("insert", "3", "次のご注文の荷物に同梱")]
    with Server() as server:
        code, out, _ = run(capsysbinary, "mail", "setup", "--host", "127.0.0.1", "--port",
                           server.port, "--security", "none", "--from", "shop@example.jp",
                           "--sender-name", "お茶の山田園", "--sender-address",
                           "静岡県静岡市葵区1-2-3", "--contact", "054-000-0000", "--db", db)
        assert code == 0 and out.startswith("メール設定を保存しました（127.0.0.1:")
        code, out, _ = run(capsysbinary, "mail", "send", "--month", "2025-03", "--until",
                           "2025-03-01", "--dry-run", "--db", db)
        assert (code, server.received) == (0, [])
        assert out.startswith("送信予定 2通")
        code, out, _ = run(capsysbinary, "mail", "send", "--month", "2025-03", "--until",
                           "2025-03-01", "--db", db)
        assert code == 0 and out.startswith("送信 2通")
        assert sorted(r.recipients[0] for r in server.received) == [
            "hanako@example.jp", "ichiro@example.jp"]
        assert server.received[0].message["Subject"] == \
            "お茶の山田園より：ご購入ありがとうございました"
    assert [r[3] for r in worklist(capsysbinary, db, "--medium", "email")[1:]] == []
    by_rule = worklist(capsysbinary, db, "--rule", "サンクスメール：ご購入のお礼と上手な使い方")
    assert [(r[3], r[4]) for r in by_rule[1:]] == [("insert", "3")]


def test_a_bad_consent_list_is_one_line_naming_the_row(capsysbinary, db, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("email,consent\nhanako@example.jp,たぶん\n", encoding="utf-8")
    code, out, err = run(capsysbinary, "consent", "import", bad, "--db", db)
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and "bad.csv 2行目「consent」列" in err
