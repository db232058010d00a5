"""DM targets: who gets a label, who is left out and why, merged addresses, postal order."""
import pandas as pd
import pytest

from engine import Shop

from engine.errors import InvalidInputError, OtokuiError
from engine.marketing import dm_targets
from tests.support.snapshot import SAMPLES, imported_shop, meta

AS_OF = meta()["as_of"]

# id: (name, postal, address1, address2, total amount of one valid order)
PEOPLE = {
    1: ("青木 一郎", "1050011", "東京都港区芝公園4丁目2番8号", "", 5000),
    2: ("青木 花子", "1050011", "東京都港区芝公園４－２－８", "", 9000),   # same address as 1
    3: ("井上 次郎", "0600042", "北海道札幌市中央区大通西10丁目4番", "ビル 3F", 3000),
    4: ("上田 三郎", "9071801", "沖縄県八重山郡竹富町南風見仲1-2", "", 7000),
    5: ("江藤 四季", "5300001", "大阪府大阪市北区梅田1-1-1", "", 8000),      # opted out
    6: ("大野 五月", "4600008", "愛知県名古屋市中区栄3-4-5", "", 6000),      # DM forbidden by hand
    7: ("加藤 六花", "", "", "", 4000),                                        # no address
    8: ("木村 七海", "2310023", "神奈川県横浜市中区山下町1", "", 2000),       # deleted
    9: ("", "3300063", "埼玉県さいたま市浦和区高砂3-15-1", "", 1000),        # no name
}


def build_shop() -> Shop:
    shop = Shop(":memory:")
    with shop.db.transaction() as conn:
        for cid, (name, postal, address1, address2, amount) in PEOPLE.items():
            conn.execute(
                "INSERT INTO customers (id, name, name_key, postal_code, address1, address2,"
                " created_at) VALUES (?,?,?,?,?,?, '2025-01-01')",
                (cid, name, name.replace(" ", ""), postal, address1, address2))
            conn.execute(
                "INSERT INTO orders (source, order_no, ordered_at, order_date, status,"
                " customer_id, amount, digest) VALUES ('generic', ?, '2025-06-01 10:00:00',"
                " '2025-06-01', 'valid', ?, ?, '')", (f"T{cid}", cid, amount))
        conn.execute("UPDATE customers SET deleted_at = '2025-07-01' WHERE id = 8")
    shop.customers.set_opt_out(5, True)
    shop.customers.set_dm(6, False)
    return shop


@pytest.fixture(scope="module")
def sample_shop():
    return imported_shop()


def test_hand_picked_list_is_cleaned_merged_and_sorted():
    shop = build_shop()
    state = shop.db.state()
    selection = dm_targets.select(shop, customer_ids=list(PEOPLE) + [99], as_of="2025-07-01")
    # Choosing writes nothing (not even a staging table), so the per-customer
    # figures remembered for this database state stay valid.
    assert shop.db.state() == state
    targets = selection.targets
    # 2 outspends 1 at the same address, so the label is hers and covers both.
    assert targets["customer_id"].tolist() == [3, 2, 4]
    assert targets["postal_code"].tolist() == ["0600042", "1050011", "9071801"]
    assert targets.loc[targets["customer_id"] == 2, "customer_ids"].item() == [1, 2]
    assert selection.customer_ids == [1, 2, 3, 4]
    reasons = dict(zip(selection.skipped["customer_id"], selection.skipped["reason"]))
    assert reasons == {1: "同じ住所（顧客番号 2 のラベルにまとめました）", 5: "配信停止",
                       6: "DM不可", 7: "住所なし", 8: "削除済み", 9: "氏名なし",
                       99: "顧客番号が見つかりません"}
    assert list(targets.columns) == dm_targets.TARGET_COLUMNS
    assert targets.loc[0, "address"] == "北海道札幌市中央区大通西10丁目4番 ビル 3F"


def test_address_key_evens_out_typing():
    keys = dm_targets.address_key(
        pd.Series(["1050011", "105-0011", "1050011", "1050012", "1050011", "1050011"]),
        pd.Series(["東京都港区芝公園4丁目2番8号", "東京都 港区 芝公園４－２－８",
                   "東京都港区芝公園4-2-8", "東京都港区芝公園4-2-8",
                   "東京都港区芝公園4\u20112\u20118", "東京都港区芝公園 4 ー 2 − 8"]))
    assert keys[0] == keys[1] == keys[2] == keys[4] == keys[5] != keys[3]


def test_clusters_of_the_sample_shop(sample_shop):
    selection = dm_targets.select(sample_shop, clusters=["top1", "top10", "top20"],
                                  as_of=AS_OF)
    table = sample_shop.customers.table(as_of=AS_OF)
    chosen = table[table["cluster"].isin(["top1", "top10", "top20"])]
    assert len(chosen) == 30                      # 2 + 13 + 15 (⌈0.2 × 148⌉ = 30)
    eligible = chosen[chosen["dm_ok"] == 1]
    assert sorted(selection.targets["customer_id"]) == sorted(eligible["customer_id"])
    assert len(selection.targets) == 28
    assert set(selection.skipped["reason"]) == {"DM不可"}
    # Those left out are known only from Amazon (SPEC §2 marketplace rule).
    for cid in selection.skipped["customer_id"]:
        sources = sample_shop.db.query(
            "SELECT DISTINCT source FROM orders WHERE customer_id = ?", (int(cid),))
        assert sources == [{"source": "amazon"}]
    postal = selection.targets["postal_code"].tolist()
    assert postal == sorted(postal)
    assert set(selection.targets["cluster"]) == {"top1", "top10", "top20"}


def test_every_dm_eligible_sample_customer_gets_exactly_one_label(sample_shop):
    everyone = sample_shop.db.query("SELECT id FROM customers")
    selection = dm_targets.select(sample_shop, customer_ids=[r["id"] for r in everyone],
                                  as_of=AS_OF)
    allowed = sample_shop.db.scalar(
        "SELECT count(*) FROM customers WHERE coalesce(dm_manual, dm_default) = 1 "
        "AND dm_opt_out = 0 AND deleted_at IS NULL")
    assert len(selection.targets) + len(selection.skipped) == len(everyone)
    assert selection.targets["customer_id"].is_unique
    assert len(selection.customer_ids) == allowed == 132


def test_wrong_choices_are_explained():
    shop = build_shop()
    with pytest.raises(OtokuiError, match="vip"):
        dm_targets.select(shop, clusters=["vip"])
    with pytest.raises(OtokuiError, match="選んでください"):
        dm_targets.select(shop)


def test_due_customers_with_dm_permission(sample_shop):
    sample_shop.products.import_cycles(SAMPLES / "products.csv")
    due = sample_shop.products.due_targets(as_of=AS_OF)
    assert len(due) > 5
    selection = dm_targets.select(sample_shop, due=True, as_of=AS_OF)
    allowed = {r["id"] for r in sample_shop.db.query(
        "SELECT id FROM customers WHERE coalesce(dm_manual, dm_default) = 1 AND dm_opt_out = 0")}
    expected = set(due["customer_id"]) & allowed
    assert set(selection.customer_ids) == expected
    assert set(selection.skipped["customer_id"]) == set(due["customer_id"]) - allowed


def test_open_dm_followups_of_a_month(sample_shop):
    sample_shop.followups.generate("2025-11", as_of=AS_OF)
    tasks = sample_shop.followups.tasks("2025-11")
    dm = tasks[(tasks["medium"] == "dm") & (tasks["status"] == "open")]
    assert len(dm) > 0 and len(dm) < len(tasks)
    selection = dm_targets.select(sample_shop, followup_month="2025-11", as_of=AS_OF)
    # DM-ineligible customers never get a DM task, so nobody is left out here.
    assert set(selection.customer_ids) == set(dm["customer_id"])
    assert selection.skipped.empty
    sample_shop.followups.check_off(int(dm["task_id"].iloc[0]), "2025-11-02", "dm")
    after = dm_targets.select(sample_shop, followup_month="2025-11", as_of=AS_OF)
    done = int(dm["customer_id"].iloc[0])
    still_open = int((dm["customer_id"] == done).sum()) - 1
    assert (done in after.customer_ids) == (still_open > 0)


def test_due_targets_without_any_usage_cycle_say_why_instead_of_finding_nobody():
    shop = imported_shop()
    assert not shop.products.cycles_known()
    with pytest.raises(InvalidInputError, match="消費サイクル.*登録された商品がない"):
        dm_targets.select(shop, due=True, as_of=AS_OF)
    shop.products.import_cycles(SAMPLES / "products.csv")
    assert shop.products.cycles_known()
    assert len(dm_targets.select(shop, due=True, as_of=AS_OF).targets) > 0
