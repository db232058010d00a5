"""followups --holdout, holdouts and effects from the command line."""
from __future__ import annotations

import csv
import io

import main
from engine import Shop
from tests.support.analysis_shop import add_customer, add_order
from tests.support.plans import EVERYONE as RULES

HEADER = ("group,treated,treated_buyers,control,control_buyers,treated_rate,control_rate,lift,"
          "lift_low,lift_high,sales_per_treated,sales_per_control,verdict").split(",")


def run(capsysbinary, *argv):
    code = main.main([str(a) for a in argv])
    out, err = capsysbinary.readouterr()
    return code, list(csv.reader(io.StringIO(out.decode("utf-8").lstrip("\ufeff")))), \
        err.decode("utf-8")


def test_holdout_plan_and_its_effect(capsysbinary, tmp_path):
    db = tmp_path / "shop.db"
    with Shop(db) as shop:
        with shop.db.transaction():
            for cid in range(1, 42):
                add_customer(shop, cid)
                add_order(shop, cid, "2025-01-10", 1000)
        shop.followups.save_rules(RULES)
    code, _, err = run(capsysbinary, "followups", "--month", "2025-03", "--as-of", "2025-03-01",
                       "--holdout", "0.25", "--db", db)
    assert (code, err) == (0, "")
    code, rows, _ = run(capsysbinary, "holdouts", "--month", "2025-03", "--db", db)
    assert rows[0] == ["customer_id", "cluster", "rule"] and len(rows) - 1 == 10
    away = {int(r[0]) for r in rows[1:]}
    with Shop(db) as shop:
        for cid in sorted(set(range(1, 42)) - away)[:15]:       # 15 of 31 treated buy
            add_order(shop, cid, "2025-03-20", 2000)
        add_order(shop, min(away), "2025-03-25", 2000)         # 1 of 10 held out
    code, rows, _ = run(capsysbinary, "effects", "--month", "2025-03", "--as-of", "2025-06-01",
                        "--db", db)
    assert code == 0 and rows[0] == HEADER
    everyone = rows[1]
    assert everyone[:5] == ["all", "31", "15", "10", "1"]
    assert float(everyone[5]) == 15 / 31 and float(everyone[6]) == 0.1
    # Without e-mail consent the plan's e-mail became an insert: two media.
    assert [r[0] for r in rows[1:5]] == ["all", "rule:全顧客・30〜日", "medium:insert",
                                         "medium:dm"]
    assert {r[0] for r in rows[5:]} <= {"cluster:once", "cluster:top1", "cluster:top10",
                                        "cluster:top20"}
    code, _, err = run(capsysbinary, "followups", "--month", "2025-04", "--holdout", "0.9",
                       "--db", db)
    assert code == 1 and "0〜0.5" in err


def test_effects_needs_a_month_or_inserts(capsysbinary, tmp_path):
    db = tmp_path / "shop.db"
    code, _, err = run(capsysbinary, "effects", "--db", db)
    assert code == 1 and "--month YYYY-MM" in err
    code, rows, _ = run(capsysbinary, "effects", "--inserts", "--db", db)
    assert code == 0 and rows[0][:3] == ["purchase_number", "insert_a", "insert_b"]
    assert len(rows) == 1      # no purchase number has a second insert yet
