"""The contact log: vectorised recording and a customer's history."""
import pytest

from engine import OtokuiError
from tests.support.analysis_shop import build


@pytest.fixture(params=["sqlite", "postgresql"])
def shop(request):
    location = (":memory:" if request.param == "sqlite"
                else request.getfixturevalue("postgres_url"))
    shop = build({1: [("2025-01-01", 1000)], 2: [("2025-01-02", 2000)], 3: []},
                 location=location)
    yield shop
    shop.close()


def test_record_many_customers_once_each(shop):
    logged = shop.touches.record([2, 1, 2, 3], "dm", "秋のDMハガキ", on="2025-10-01",
                                 source="labels")
    assert logged == 3
    assert shop.db.query("SELECT customer_id, touched_on, medium, source FROM touches "
                         "ORDER BY customer_id") == [
        {"customer_id": i, "touched_on": "2025-10-01", "medium": "dm", "source": "labels"}
        for i in (1, 2, 3)]


def test_history_is_newest_first(shop):
    shop.staff = "山田"
    shop.touches.record([1], "email", "サンクスメール", on="2025-01-05", source="followup",
                        result="開封")
    shop.touches.record([1], "insert", "2回目特典チラシ", on="2025-02-01", source="inserts")
    shop.staff = "鈴木"
    shop.touches.record([1], "phone", "お礼の電話", on="2025-02-01")
    shop.touches.record([2], "dm", "別の顧客", on="2025-03-01")
    history = shop.touches.for_customer(1)
    assert history.columns.tolist() == ["date", "medium", "action", "result", "source", "staff"]
    assert history.values.tolist() == [
        ["2025-02-01", "phone", "お礼の電話", "", "", "鈴木"],
        ["2025-02-01", "insert", "2回目特典チラシ", "", "inserts", "山田"],
        ["2025-01-05", "email", "サンクスメール", "開封", "followup", "山田"],
    ]
    assert shop.touches.for_customer(3).empty


@pytest.mark.parametrize("ids, medium, on, message", [
    ([1, 99], "dm", "2025-01-01", "99"),
    ([1], "fax", "2025-01-01", "手段"),
    ([1], "dm", "来週", "読めません"),
])
def test_bad_records_change_nothing(shop, ids, medium, on, message):
    with pytest.raises(OtokuiError, match=message):
        shop.touches.record(ids, medium, "x", on=on)
    assert shop.db.scalar("SELECT count(*) FROM touches") == 0


def test_nothing_to_record(shop):
    assert shop.touches.record([], "email", "x") == 0


def test_deleted_customers_get_no_touches(shop):
    shop.db.execute("UPDATE customers SET deleted_at = '2025-01-01' WHERE id = 2")
    with pytest.raises(OtokuiError, match="2"):
        shop.touches.record([1, 2], "email", "x")
