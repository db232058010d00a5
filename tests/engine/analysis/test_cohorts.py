"""First-purchase month × months since: the share who bought again (SPEC §3)."""
import math

import pytest

from engine import Shop
from tests.support.tiny_shop import tiny_shop

ROWS = [
    # P: cohort 2025-01, again in month 0 and twice in month 2
    ("P", "1", "2025-01-05", "S1", 1000, 1), ("P", "2", "2025-01-20", "S1", 1000, 1),
    ("P", "3", "2025-03-01", "S1", 1000, 1), ("P", "4", "2025-03-02", "S1", 1000, 1),
    # Q: cohort 2025-01, again in month 1; R: cohort 2025-01, never again
    ("Q", "5", "2025-01-10", "S1", 1000, 1), ("Q", "6", "2025-02-10", "S1", 1000, 1),
    ("R", "7", "2025-01-15", "S1", 1000, 1),
    # S: cohort 2025-02, again in month 1 (and after the as-of date)
    ("S", "8", "2025-02-01", "S1", 1000, 1), ("S", "9", "2025-03-10", "S1", 1000, 1),
    ("S", "10", "2025-04-01", "S1", 1000, 1),
    # T: cohort 2025-03; U: first order after the as-of date; V: cancelled only
    ("T", "11", "2025-03-05", "S1", 1000, 1),
    ("U", "12", "2025-03-20", "S1", 1000, 1),
    ("V", "13", "2025-02-20", "S1", 1000, 1, "キャンセル"),
]


@pytest.fixture
def table(tmp_path):
    return tiny_shop(tmp_path, ROWS).analysis.cohorts("2025-03-15")


def test_cohort_table_by_hand(table):
    assert list(table.columns) == ["cohort", "customers", 0, 1, 2]
    assert table["cohort"].tolist() == ["2025-01", "2025-02", "2025-03"]
    assert table["customers"].tolist() == [3, 1, 1]
    jan, feb, mar = (row[[0, 1, 2]].tolist() for _, row in table.iterrows())
    # March is not over on the 15th: its cells stay empty rather than read as 0%.
    assert jan[:2] == pytest.approx([1 / 3, 1 / 3]) and math.isnan(jan[2])
    assert feb[0] == 0 and math.isnan(feb[1]) and math.isnan(feb[2])
    assert all(math.isnan(share) for share in mar)


def test_the_as_of_month_counts_once_it_is_over(tmp_path):
    table = tiny_shop(tmp_path, ROWS).analysis.cohorts("2025-03-31")
    assert table["customers"].tolist() == [3, 1, 2]  # U joins the 2025-03 cohort
    jan, feb, mar = (row[[0, 1, 2]].tolist() for _, row in table.iterrows())
    assert jan == pytest.approx([1 / 3, 1 / 3, 1 / 3])
    assert feb[:2] == [0, 1] and math.isnan(feb[2])
    assert mar[0] == 0 and math.isnan(mar[1])


def test_later_as_of_opens_later_months(tmp_path):
    table = tiny_shop(tmp_path, ROWS).analysis.cohorts("2025-04-30")
    assert list(table.columns) == ["cohort", "customers", 0, 1, 2, 3]
    assert table["customers"].tolist() == [3, 1, 2]  # U joins the 2025-03 cohort
    feb = table.set_index("cohort").loc["2025-02"]
    assert [feb[1], feb[2]] == [1, 1] and math.isnan(feb[3])


def test_empty_shop_has_no_cohorts():
    table = Shop(":memory:").analysis.cohorts("2025-03-15")
    assert table.empty and list(table.columns) == ["cohort", "customers"]
