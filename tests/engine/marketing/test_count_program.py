"""Count program (回数フォロー): inserts by purchase number, editable, undoable (SPEC §3)."""
import pytest

from engine import Shop
from engine.errors import BadFileError, CancelledError, OtokuiError
from engine.marketing.count_program import PLAN_COLUMNS, default_rules
from tests.support.sample_orders import sample_orders
from tests.support.snapshot import SAMPLES, meta, snapshot
from tests.support.tiny_shop import order_file

HISTORY = [
    ("A", "1", "2025-01-01", "S1", 1000, 1),
    ("A", "2", "2025-03-01", "S1", 1000, 1),
    ("B", "3", "2025-01-05", "S1", 1000, 1), ("B", "4", "2025-02-05", "S1", 1000, 1),
    ("B", "5", "2025-03-05", "S1", 1000, 1), ("B", "6", "2025-04-05", "S1", 1000, 1),
    ("B", "7", "2025-04-06", "S1", 1000, 1, "キャンセル"),
]
NEW = [
    ("A", "10", "2025-05-01 10:00", "S1", 1000, 1),  # A's 4th (see order 16): no rule
    ("A", "11", "2025-05-01 12:00", "S2", 500, 2),   # A's 5th, on two lines
    ("A", "11", "2025-05-01 12:00", "S3", 500, 1),
    ("B", "12", "2025-05-02", "S1", 1000, 1),        # B's 5th (the cancelled one never counts)
    ("C", "13", "2025-05-03", "S1", 1000, 1),        # C's 1st
    ("D", "14", "2025-05-03", "S1", 1000, 1, "キャンセル"),
    ("E", "15", "2025-02-01", "S1", 1000, 1),        # a late export: E's 1st …
    ("A", "16", "2025-02-01", "S1", 1000, 1),        # … and A's 2nd, before order 2
]


@pytest.fixture
def shop(tmp_path):
    shop = Shop(":memory:")
    shop.imports.import_file(order_file(tmp_path, "history.csv", HISTORY))
    return shop


def test_default_rules_are_the_usual_milestones():
    rules = Shop(":memory:").count_program.rules()
    assert [r["purchase_number"] for r in rules] == [1, 2, 3, 5, 10]
    assert rules == default_rules()
    assert "お礼状" in rules[0]["insert_name"] and "使い方" in rules[0]["insert_name"]
    assert all(r["note"] for r in rules)


def test_plan_numbers_each_new_order_and_picks_its_insert(shop, tmp_path):
    plan = shop.count_program.plan([order_file(tmp_path, "new.csv", NEW)])
    assert list(plan.columns) == PLAN_COLUMNS
    inserts = {r["purchase_number"]: r["insert_name"] for r in default_rules()}
    got = [(r.order_no, r.purchase_number, r.insert_name) for r in plan.itertuples()]
    assert got == [
        ("15", 1, inserts[1]), ("16", 2, inserts[2]),
        ("10", 4, ""), ("11", 5, inserts[5]),
        ("12", 5, inserts[5]), ("13", 1, inserts[1]),
    ]
    row = plan.set_index("order_no").loc["13"]
    assert (row["source"], row["order_date"], row["name"]) == ("generic", "2025-05-03", "C様")
    assert (row["postal_code"], row["address"]) == ("1000001", "東京都千代田区1-1")
    assert row["customer_id"] == shop.db.scalar("SELECT customer_id FROM orders WHERE order_no = '13'")


def test_plan_is_idempotent(shop, tmp_path):
    path = order_file(tmp_path, "new.csv", NEW)
    first = shop.count_program.plan([path])
    before = snapshot(shop)
    imports = len(shop.imports.history())
    again = shop.count_program.plan([path])
    assert again.equals(first)
    assert snapshot(shop) == before and len(shop.imports.history()) == imports


def test_one_bad_file_imports_nothing(shop, tmp_path):
    good = order_file(tmp_path, "new.csv", NEW)
    bad = tmp_path / "bad.csv"
    bad.write_text("受注番号,受注日,単価,数量\n1,2025-05-01,高い,1\n", encoding="utf-8")
    before = snapshot(shop)
    with pytest.raises(BadFileError, match="bad.csv"):
        shop.count_program.plan([good, bad])
    assert snapshot(shop) == before
    with pytest.raises(OtokuiError):
        shop.count_program.plan([])


def test_edited_rules_are_used_and_undoable(shop, tmp_path):
    service = shop.count_program
    op = service.save_rules([{"purchase_number": "4", "insert_name": " 4回目の手紙 "},
                             {"purchase_number": 1, "insert_name": "ようこそ", "note": "初回"}]).operation
    assert service.rules() == [
        {"purchase_number": 1, "insert_name": "ようこそ", "note": "初回", "insert_b": ""},
        {"purchase_number": 4, "insert_name": "4回目の手紙", "note": "", "insert_b": ""}]
    plan = service.plan([order_file(tmp_path, "new.csv", NEW)]).set_index("order_no")
    assert plan["insert_name"].to_dict() == {
        "15": "ようこそ", "16": "", "10": "4回目の手紙", "11": "", "12": "", "13": "ようこそ"}
    shop.journal.undo(op)
    assert service.rules() == default_rules()


def test_reset_restores_defaults_undoably():
    service = Shop(":memory:").count_program
    service.save_rules([{"purchase_number": 2, "insert_name": "x"}])
    op = service.reset_rules().operation
    assert service.rules() == default_rules()
    service.shop.journal.undo(op)
    assert [r["insert_name"] for r in service.rules()] == ["x"]


@pytest.mark.parametrize("rules, message", [
    ([{"purchase_number": 0, "insert_name": "x"}], "1行目: 購入回数は1以上"),
    ([{"purchase_number": "三", "insert_name": "x"}], "1行目: 購入回数は1以上"),
    ([{"purchase_number": 2, "insert_name": "x"}, {"purchase_number": 2, "insert_name": "y"}],
     "2行目: 2回目の同梱物がほかの行と重複"),
    ([{"purchase_number": 3, "insert_name": "  "}], "1行目: 3回目の同梱物の名前が空"),
    ([{"purchase_number": 2, "insert_name": "x", "insert_b": " x"}], "1行目: 2回目の同梱物Bが同梱物Aと同じ"),
])
def test_bad_rules_are_refused_and_change_nothing(rules, message):
    service = Shop(":memory:").count_program
    with pytest.raises(OtokuiError, match=message):
        service.save_rules(rules)
    assert service.rules() == default_rules()


def test_plan_on_the_sample_shop_matches_the_files():
    shop = Shop(":memory:")
    files = meta()["files"]
    for name in files:
        if not name.endswith(("202510.csv", "202510.txt", "202510.xlsx")):
            shop.imports.import_file(SAMPLES / name)
    october = [SAMPLES / n for n in files if "202510" in n]
    plan = shop.count_program.plan(october)
    orders = sample_orders()
    expected = orders[orders["month"] == "2025-10"].set_index(["source", "order_no"])
    assert len(plan) == len(expected) == 56
    numbers = plan.set_index(["source", "order_no"])["purchase_number"]
    assert numbers.sort_index().tolist() == expected["purchase_number"].sort_index().tolist()
    assert (plan["purchase_number"] > 1).sum() == (expected["purchase_number"] > 1).sum() > 10


def test_plan_reports_progress_and_can_be_cancelled(shop, tmp_path):
    path = order_file(tmp_path, "new.csv", NEW)
    before = snapshot(shop)
    with pytest.raises(CancelledError):
        shop.count_program.plan([path], cancel=lambda: True)
    assert snapshot(shop) == before
    steps = []
    shop.count_program.plan([path], progress=lambda f, m: steps.append(f))
    assert steps == sorted(steps) and steps[0] == 0 and steps[-1] == 0.9
