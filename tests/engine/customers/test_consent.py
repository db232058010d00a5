"""The consent ledger: the latest statement wins, DM answers drive the DM lists,
marketplace addresses and Amazon-only buyers never get advertising e-mail, and a
subscriber list imports by address or stops naming the file, row and column."""
from __future__ import annotations

import pytest

from engine.errors import InvalidInputError, NotFoundError
from tests.support.analysis_shop import build

ORDERS = {cid: [("2025-01-10", 3000)] for cid in range(1, 7)}
PEOPLE = {
    1: {"email": "hanako@example.jp", "phone": "090-1111-2222"},
    2: {"email": "ichiro@example.jp"},
    3: {"email": "x9@pc.fw.rakuten.ne.jp"},                   # 楽天's relay address
    4: {"email": "goro@example.jp", "dm": 0},                  # bought on Amazon only
    5: {"email": "six@example.jp", "opt_out": 1},              # 配信停止
    6: {},                                                     # no address
}


@pytest.fixture(params=["sqlite", "postgresql"])
def shop(request):
    location = (":memory:" if request.param == "sqlite"
                else request.getfixturevalue("postgres_url"))
    shop = build(ORDERS, PEOPLE, location=location)
    yield shop
    shop.close()


def email_blocks(shop) -> dict[int, str]:
    return {cid: shop.consent.state(cid)["email"]["block"] for cid in PEOPLE}


def test_who_may_get_advertising_email(shop):
    for cid in PEOPLE:
        shop.consent.set(cid, email="はい", on="2025-01-10")
    assert email_blocks(shop) == {1: "", 2: "", 3: "relay", 4: "marketplace",
                                  5: "opted_out", 6: "no_address"}
    shop.consent.set(2, email="いいえ", on="2025-02-01")
    state = shop.consent.state(2)["email"]
    assert (state["value"], state["block"], state["allowed"]) == ("no", "refused", False)
    assert (state["recorded_on"], state["source"]) == ("2025-02-01", "手入力")


def test_unknown_until_recorded_and_the_latest_statement_wins(shop):
    assert shop.consent.state(1)["email"]["block"] == "unknown"
    # An order export that carried consent (Shopify's marketing column) counts, by date.
    shop.db.execute("UPDATE orders SET email_consent = 1 WHERE customer_id = 1")
    assert shop.consent.state(1)["email"] == {
        "value": "yes", "recorded_on": "2025-01-10", "source": "注文データの取込",
        "allowed": True, "block": ""}
    shop.consent.set(1, email="no", on="2025-01-20")          # later: the ledger wins
    assert shop.consent.state(1)["email"]["value"] == "no"
    shop.consent.set(1, email="yes", on="2025-01-05")         # entered late, dated early
    assert shop.consent.state(1)["email"]["value"] == "no"    # the 01-20 row is still latest
    history = shop.consent.history(1)
    assert history[["recorded_on", "value"]].values.tolist() == [
        ["2025-01-20", "no"], ["2025-01-05", "yes"]]


def test_a_dm_answer_is_the_hand_dm_setting_and_undoes_with_it(shop):
    change = shop.consent.set(1, dm="拒否", phone="no", on="2025-02-01")
    assert shop.db.scalar("SELECT dm_manual FROM customers WHERE id = 1") == 0
    state = shop.consent.state(1)
    assert (state["dm"]["value"], state["dm"]["allowed"]) == ("no", False)
    assert (state["phone"]["value"], state["phone"]["allowed"]) == ("no", False)
    shop.journal.undo(change.operation)
    assert shop.db.scalar("SELECT dm_manual FROM customers WHERE id = 1") is None
    assert shop.consent.state(1)["dm"]["allowed"] is True
    assert shop.consent.history(1).empty


@pytest.mark.parametrize("kwargs, error, message", [
    ({}, InvalidInputError, "指定してください"),
    ({"email": "たぶん"}, InvalidInputError, "メール: 同意「たぶん」が読み取れません"),
])
def test_bad_answers_record_nothing(shop, kwargs, error, message):
    with pytest.raises(error, match=message):
        shop.consent.set(1, **kwargs)
    assert shop.consent.history(1).empty


def test_an_unknown_customer_is_named(shop):
    with pytest.raises(NotFoundError, match="顧客番号 99"):
        shop.consent.set(99, email="yes")


def test_a_subscriber_list_imports_by_address(shop, tmp_path):
    path = tmp_path / "メルマガ.csv"
    path.write_text("メールアドレス,メルマガ\nHanako@Example.jp ,希望する\n"
                    "ichiro@example.jp,1\nichiro@example.jp,0\nnobody@example.jp,はい\n",
                    encoding="cp932")
    change = shop.consent.import_list(path, on="2025-03-01")
    assert change.counts == {"rows": 4, "customers": 2, "unmatched": 1}
    assert shop.consent.state(1)["email"]["value"] == "yes"
    assert shop.consent.state(2)["email"]["value"] == "no"      # the later row wins
    assert shop.consent.state(1)["email"]["source"] == "リスト取込: メルマガ.csv"
    shop.journal.undo(change.operation)
    assert shop.consent.state(1)["email"]["value"] == "unknown"


def test_a_bad_row_names_file_row_and_column_and_records_nothing(shop, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("email,consent\nhanako@example.jp,yes\nichiro@example.jp,maybe\n",
                    encoding="utf-8")
    with pytest.raises(InvalidInputError, match="list.csv 3行目「consent」列: 同意「maybe」"):
        shop.consent.import_list(path)
    assert shop.db.scalar("SELECT count(*) FROM consents") == 0
    path.write_text("mail,consent\nhanako-at-example.jp,yes\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="list.csv 2行目「mail」列: メールアドレス"):
        shop.consent.import_list(path)
    path.write_text("name,consent\n花子,yes\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="メールアドレスの列"):
        shop.consent.import_list(path)
