"""Order timestamps (SPEC §2): every way an export writes them, hand-checked, and
the canonical fast path held to the general parser."""
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from engine.imports import timestamps
from engine.imports.timestamps import datetimes_jst


def series(*values: str) -> pd.Series:
    return pd.Series(list(values), dtype=str)


def test_datetimes_canonical_and_general_paths():
    stamps, bad = datetimes_jst(series(
        "2025-07-01 12:34:56",        # already canonical: kept
        "2025-02-30 10:00:00",        # canonical shape, no such day: unreadable
        "2025/7/1",                   # general parser
        "2025-07-01T03:34:56Z",       # UTC → Japan time
        "2025年7月1日 9:05",
        "",
        "昨日"))
    assert stamps.tolist()[:5] == ["2025-07-01 12:34:56", "", "2025-07-01 00:00:00",
                                   "2025-07-01 12:34:56", "2025-07-01 09:05:00"]
    assert bad.tolist() == [False, True, False, False, False, True, True]


@pytest.mark.parametrize("written, japan_time", [
    # MakeShop: 日付 and 注文時間 (hhmmss) joined; Excel drops a leading zero.
    ("2025/8/2 101530", "2025-08-02 10:15:30"),
    ("2025/8/8 090000", "2025-08-08 09:00:00"),
    ("2025/8/8 90000", "2025-08-08 09:00:00"),
    ("2025/8/8 0", "2025-08-08 00:00:00"),
    # YYYYMMDD, with or without a time.
    ("20250802", "2025-08-02 00:00:00"),
    ("20250802101530", "2025-08-02 10:15:30"),
    ("20250802 10:15", "2025-08-02 10:15:00"),
    # Japanese dates.
    ("2025年8月2日", "2025-08-02 00:00:00"),
    ("２０２５年８月２日　１０時１５分３０秒", "2025-08-02 10:15:30"),
    ("2025年8月2日10:15", "2025-08-02 10:15:00"),
    # 和暦: 令和4年 = 2022, 令和元年 = 2019, 平成31年 = 2019, 昭和64年 = 1989.
    ("R4.11.30", "2022-11-30 00:00:00"),
    ("r4/11/30 8:05", "2022-11-30 08:05:00"),
    ("令和4年11月30日", "2022-11-30 00:00:00"),
    ("令和元年5月1日", "2019-05-01 00:00:00"),
    ("㋿4年11月30日", "2022-11-30 00:00:00"),
    ("H31.4.30", "2019-04-30 00:00:00"),
    ("平成31年4月30日 23:59:59", "2019-04-30 23:59:59"),
    ("S64.1.7", "1989-01-07 00:00:00"),
    # Excel serials: day 45871 is 2025-08-02; .4270833… is 10:15 (0.427083… × 24 h).
    ("45871", "2025-08-02 00:00:00"),
    ("45871.5", "2025-08-02 12:00:00"),
    ("45871.42708333", "2025-08-02 10:15:00"),
    ("36526", "2000-01-01 00:00:00"),
    # Unix epoch seconds are UTC: 1754097330 is 2025-08-02 01:15:30 UTC.
    ("1754097330", "2025-08-02 10:15:30"),
    # Offsets: converted to Japan time, across a day.
    ("2025-04-30T15:30:00+00:00", "2025-05-01 00:30:00"),
    ("2025-05-02 10:15:30 +0900", "2025-05-02 10:15:30"),
    ("2025-05-02 10:15:30.123456", "2025-05-02 10:15:30"),
])
def test_every_written_form_is_read_as_japan_time(written, japan_time):
    stamps, bad = datetimes_jst(series(written))
    assert (stamps.iloc[0], bool(bad[0])) == (japan_time, False)


@pytest.mark.parametrize("written", [
    "2025/2/29",          # no such day
    "R4.13.1",            # no 13th month
    "X4.11.30",           # no such era
    "2025/8/8 250000",    # hour 25
    "2025",               # a year alone
    "4587",               # four digits: not a serial
    "202508",             # a month
    "令和",
])
def test_what_is_not_a_date_is_unreadable(written):
    assert datetimes_jst(series(written))[1].tolist() == [True]


TRICKY = st.text(alphabet=st.sampled_from(
    list("0123456789０１２３ aAあいアイ-－ー/.:年月日時分秒RH令和TZ+")), max_size=16)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(
    st.datetimes(min_value=pd.Timestamp("1990-01-01").to_pydatetime(),
                 max_value=pd.Timestamp("2040-01-01").to_pydatetime()).map(
        lambda d: d.strftime("%Y-%m-%d %H:%M:%S")),
    st.from_regex(r"20[0-9]{2}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}", fullmatch=True),
    TRICKY), min_size=1, max_size=8))
# Found by hypothesis: the strict parser takes :60 (a leap second) as it is, the
# general one rolls it into the next minute.
@example(["2000-01-01 00:00:60", "2000-01-01 23:59:61"])
def test_datetimes_fast_path_equals_the_general_parser(values):
    s = series(*values)
    fast = datetimes_jst(s)
    general = timestamps._general_datetimes(s)
    assert fast[0].tolist() == general[0].tolist()
    assert fast[1].tolist() == general[1].tolist()
