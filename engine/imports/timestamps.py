"""Order timestamps as Japan time, from every way an export writes them (SPEC §2).

Read: ``YYYY-MM-DD HH:MM:SS`` (fast path), ``YYYY/M/D``, ``YYYY年M月D日``, ISO 8601 with
an offset or ``Z``, a time as ``hhmmss`` in its own column (MakeShop's 103309, joined
after the date), ``YYYYMMDD[hhmmss]``, 和暦 (``R4.11.30``, ``令和4年11月30日``,
``平成元年…``), Excel date serials (45870.5) and Unix epoch seconds (Yahoo's
OrderTimeUnixEpoch). Each pattern is tried, vectorised, only on the values the
ones before it could not read.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

_TIME = (r"(?:(?:[ T]+|(?<=日))(?P<H>\d{1,2})\s*(?::|時)\s*(?P<M>\d{1,2})"
         r"(?:\s*(?::|分)\s*(?P<S>\d{1,2})(?:\.\d+)?)?\s*(?:秒|分)?"
         # A time of its own column written hhmmss: 101530, or 90000 once Excel dropped the 0.
         r"|\s+(?P<hms>\d{1,6}))?")
_ZONE = r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?\s*$"
_DAY = r"\s*[-/年.]\s*(?P<m>\d{1,2})\s*[-/月.]\s*(?P<d>\d{1,2})\s*日?"
_WESTERN = r"^\s*(?P<y>\d{4})" + _DAY + _TIME + _ZONE
_JAPANESE = r"^\s*(?P<era>[MTSHRmtshr]|明治|大正|昭和|平成|令和)\s*(?P<ey>\d{1,2}|元)" + _DAY + _TIME + _ZONE
_COMPACT = (r"^\s*(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})"
            r"(?:[ T]?(?P<H>\d{2}):?(?P<M>\d{2})(?::?(?P<S>\d{2}))?)?\s*$")
# The year before each era's first year: 令和1 = 2019.
_ERAS = {"M": 1867, "明治": 1867, "T": 1911, "大正": 1911, "S": 1925, "昭和": 1925,
         "H": 1988, "平成": 1988, "R": 2018, "令和": 2018}
# Excel's day 0 (its 1900 leap-year bug included) and the serials of 1950–2099:
# five digits, so they are not mistaken for a year, a YYYYMMDD or a count.
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_SERIAL = r"^\s*\d{5}(?:\.\d+)?\s*$"
_EPOCH_SECONDS = r"^\s*\d{10}\s*$"
# Seconds 60 and 61 pass the strict parser (leap seconds) but the general one rolls
# them over into the next minute, so they are left to the general parser.
_CANONICAL_STAMP = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:[0-5]\d"
_JST_MINUTES = 9 * 60


def datetimes_jst(series: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Timestamps as Japan time 'YYYY-MM-DD HH:MM:SS' and a mask of unreadable cells.

    A value with an offset or Z (or an epoch, which is UTC) is converted to
    Asia/Tokyo (UTC+9, no DST) before its date is taken; one without is Japan time.
    """
    series = series.astype(str)
    # Values already written as 'YYYY-MM-DD HH:MM:SS' (a real date) are kept as
    # they are; only the others go through the general parser.
    canonical = series.str.fullmatch(_CANONICAL_STAMP).to_numpy(dtype=bool, copy=True)
    if canonical.any():
        parsed = pd.to_datetime(series[canonical], format="%Y-%m-%d %H:%M:%S", errors="coerce")
        canonical[np.flatnonzero(canonical)[parsed.isna().to_numpy()]] = False
    if canonical.all():
        return series.copy(), np.zeros(len(series), dtype=bool)
    rest = ~canonical
    stamps, bad = _general_datetimes(series[rest])
    result = series.to_numpy(dtype=object, copy=True)
    result[rest] = stamps.to_numpy(dtype=object)
    flagged = np.zeros(len(series), dtype=bool)
    flagged[rest] = bad
    return pd.Series(result, index=series.index, dtype=str), flagged


def _general_datetimes(series: pd.Series) -> tuple[pd.Series, np.ndarray]:
    clean = series.astype(str).str.normalize("NFKC")
    # Microseconds: year 1 (an export's "no date") must come through to be refused
    # by name, which nanoseconds cannot hold.
    stamps = pd.Series(pd.NaT, index=clean.index, dtype="datetime64[us]")
    for reader in (_calendar, _japanese, _compact, _serials, _epochs):
        todo = stamps.isna().to_numpy()
        if not todo.any():
            break
        stamps[todo] = reader(clean[todo]).astype("datetime64[us]").to_numpy()
    bad = stamps.isna().to_numpy()
    return stamps.dt.strftime("%Y-%m-%d %H:%M:%S").fillna(""), bad


def _calendar(values: pd.Series) -> pd.Series:
    parts = values.str.extract(_WESTERN)
    return _assembled(parts, pd.to_numeric(parts["y"], errors="coerce"))


def _japanese(values: pd.Series) -> pd.Series:
    parts = values.str.extract(_JAPANESE)
    era = parts["era"].str.upper().map(_ERAS)
    year = pd.to_numeric(parts["ey"].replace("元", "1"), errors="coerce")
    return _assembled(parts, era + year)


def _compact(values: pd.Series) -> pd.Series:
    parts = values.str.extract(_COMPACT).assign(hms=None, tz=None)
    return _assembled(parts, pd.to_numeric(parts["y"], errors="coerce"))


def _assembled(parts: pd.DataFrame, years: pd.Series) -> pd.Series:
    """Timestamps from extracted parts (NaT where the pattern did not match or the
    date does not exist), converted to Japan time where an offset was given."""
    hms = parts["hms"].fillna("").str.zfill(6)
    numbers = pd.DataFrame({
        "year": years,
        "month": pd.to_numeric(parts["m"], errors="coerce"),
        "day": pd.to_numeric(parts["d"], errors="coerce"),
        "hour": pd.to_numeric(parts["H"].fillna(hms.str.slice(0, 2)), errors="coerce"),
        "minute": pd.to_numeric(parts["M"].fillna(hms.str.slice(2, 4)), errors="coerce"),
        "second": pd.to_numeric(parts["S"].fillna(hms.str.slice(4, 6)), errors="coerce"),
    }, index=parts.index)
    numbers[["hour", "minute", "second"]] = numbers[["hour", "minute", "second"]].fillna(0)
    # pandas rolls hour 25 into the next day; a clock has no such hour. (Second 60,
    # a leap second, may roll over into the next minute.)
    numbers.loc[(numbers["hour"] > 23) | (numbers["minute"] > 59), "year"] = np.nan
    stamp = pd.to_datetime(numbers, errors="coerce")
    tz = parts["tz"].fillna("")
    offset = tz.str.replace(":", "", regex=False).str.replace("Z", "+0000", regex=False)
    sign = np.where(offset.str.startswith("-"), -1, 1)
    hours = pd.to_numeric(offset.str.slice(1, 3), errors="coerce").fillna(0)
    minutes = pd.to_numeric(offset.str.slice(3, 5), errors="coerce").fillna(0)
    shift = np.where(tz != "", _JST_MINUTES - sign * (hours * 60 + minutes), 0)
    return stamp + pd.to_timedelta(shift, unit="min")


def _serials(values: pd.Series) -> pd.Series:
    days = pd.to_numeric(values.where(values.str.fullmatch(_SERIAL)), errors="coerce")
    # Whole seconds: a serial's fraction of a day rarely divides into them exactly.
    seconds = (days * 86400).round()
    return _EXCEL_EPOCH + pd.to_timedelta(seconds, unit="s")


def _epochs(values: pd.Series) -> pd.Series:
    seconds = pd.to_numeric(values.where(values.str.fullmatch(_EPOCH_SECONDS)), errors="coerce")
    return pd.to_datetime(seconds + _JST_MINUTES * 60, unit="s", errors="coerce")
