"""The one formatting policy, value by value, with the strings written out by hand."""
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import Qt

from gui.widgets import cell_format
from gui.widgets.cell_format import Share

MISSING = [None, float("nan"), np.nan, pd.NA, pd.NaT, np.float64("nan")]


@pytest.mark.parametrize("kind", sorted(cell_format.KINDS))
@pytest.mark.parametrize("value", MISSING, ids=repr)
def test_a_missing_value_shows_as_nothing_in_every_kind(kind, value):
    assert cell_format.text(kind, value) == ""


@pytest.mark.parametrize("kind, value, shown", [
    ("text", "山田 花子", "山田 花子"),
    ("int", 0, "0"),
    ("int", 1234567, "1,234,567"),
    ("int", np.int64(42), "42"),
    ("int", 3.0, "3"),                      # a count column that held a missing value
    ("yen", 1234567, "¥1,234,567"),
    ("yen", np.int64(65960), "¥65,960"),
    ("yen", 12086.6, "¥12,087"),            # an average is rounded, not cut off
    ("yen", -1234567, "¥-1,234,567"),
    ("days", 34, "34日"),
    ("days", 1500, "1,500日"),
    ("percent", 0.123, "12.3%"),
    ("percent", 1, "100.0%"),
    ("percent", np.float64(0.0004), "0.0%"),
    ("ratio", 1.0, "1.00"),
    ("ratio", 4.166666, "4.17"),
    ("share", Share(3, 5), "3（60%）"),
    ("share", Share(1, 3), "1（33%）"),
    ("share", Share(0, 0), "0"),
    ("share", 12, "12"),                    # the 回答数 row: the bare count
    ("bytes", 100, "1 KB"),
    ("bytes", 4096, "4 KB"),
    ("bytes", 1536 * 1024, "1.5 MB"),
    ("bytes", 25 * 1024 * 1024, "25.0 MB"),
    ("date", "2025-10-03", "2025-10-03"),
    ("date", "2025-10-03 14:05:09", "2025-10-03"),
    ("date", date(2025, 10, 3), "2025-10-03"),
    ("date", pd.Timestamp("2025-10-03 14:05"), "2025-10-03"),
    ("datetime", "2025-10-03 14:05:09", "2025-10-03 14:05"),
    ("datetime", datetime(2025, 10, 3, 14, 5, 9), "2025-10-03 14:05"),
    ("phone", "09012345678", "090-1234-5678"),
    ("phone", "0312345678", "03-1234-5678"),
    ("phone", "0120123456", "0120-123-456"),
    ("phone", "0112223333", "011-222-3333"),
    ("phone", "070-3652-9534", "070-3652-9534"),
    ("phone", "+81 3 1234 5678", "03-1234-5678"),
    ("phone", "内線 23", "内線 23"),
    ("yesno", True, "○"),
    ("yesno", np.bool_(False), "×"),
    ("cluster", "top1", "TOP1%"),
    ("cluster", "twice_thrice", "2〜3回購入"),
    ("target", "segment_top10", "TOP10%全体（TOP1%を含む）"),
    ("medium", "dm", "DM"),
    ("order_status", "cancelled", "キャンセル"),
    ("task_status", "open", "未対応"),
    ("touch_source", "labels", "DMラベル"),
    ("question_kind", "scale", "段階評価"),
    ("cluster", "unknown_code", "unknown_code"),   # a code without a label shows as it is
    ("source", "rakuten", "rakuten"),             # sources are named by the shop's presets
])
def test_each_kind_shows_its_values_one_way(kind, value, shown):
    assert cell_format.text(kind, value) == shown


def test_given_labels_name_the_codes_instead_of_the_policy():
    labels = {"rakuten": "楽天", "user_1": "店頭POS"}
    assert cell_format.text("source", "user_1", labels) == "店頭POS"
    assert cell_format.text("source", "yahoo", labels) == "yahoo"


def test_numbers_are_right_aligned_flags_centred_notes_at_the_top():
    right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
    left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
    assert {kind: cell_format.alignment(kind) for kind in ("int", "yen", "days", "percent",
                                                           "ratio", "share", "bytes")} == {
        kind: right for kind in ("int", "yen", "days", "percent", "ratio", "share", "bytes")}
    assert cell_format.alignment("yesno") == Qt.AlignmentFlag.AlignCenter
    assert cell_format.alignment("note") == Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
    assert [cell_format.alignment(k) for k in ("text", "date", "phone", "cluster")] == [left] * 4


def test_a_tooltip_carries_text_its_column_may_cut():
    # Widths count full-width characters; a digit or a Latin letter takes 0.6 of one.
    assert cell_format.tooltip("text", "山田 花子", 6) is None
    assert cell_format.tooltip("text", "酵素ドリンク 720ml 2本セット", 6) == "酵素ドリンク 720ml 2本セット"
    assert cell_format.tooltip("phone", "090-1234-5678", 8) is None
    assert cell_format.tooltip("phone", "090-1234-5678", 7) == "090-1234-5678"
    assert cell_format.tooltip("text", "taro.yamada@example.jp", 8) == "taro.yamada@example.jp"
    assert cell_format.tooltip("text", "短い", 0) == "短い"        # a stretching column
    assert cell_format.tooltip("yen", "¥123,456,789", 3) is None   # figures widen instead
    assert cell_format.tooltip("note", "長い\n複数行のメモ", 2) is None
    assert cell_format.tooltip("text", "", 0) is None


def test_codes_sort_by_their_labels_order_and_unknown_codes_last():
    codes = pd.Series(["once", "top10", "mystery", "top1", "repeat4plus"])
    key = cell_format.sort_key("cluster")
    assert codes.sort_values(key=key, na_position="last").tolist() == [
        "top1", "top10", "once", "repeat4plus", "mystery"]
    assert cell_format.sort_key("yen") is None

