"""Vectorised normalisation of text columns (SPEC §2). Every function takes and
returns pandas Series of ``str`` ('' for empty) so a million rows stay fast."""
from __future__ import annotations

import numpy as np
import pandas as pd

HYPHENS = "‐−‒–—―－ｰ"
_HYPHEN_BETWEEN_DIGITS = rf"(?<=\d)\s*[{HYPHENS}ー]\s*(?=\d)"
# Per-order masked addresses that identify an order, not a person.
RELAY_EMAIL_DOMAINS = ("@pc.fw.rakuten.ne.jp", "@fw.rakuten.ne.jp", "@marketplace.amazon.co.jp")
_HIRAGANA = "".join(chr(c) for c in range(0x3041, 0x3097))
_KATAKANA = "".join(chr(c + 0x60) for c in range(0x3041, 0x3097))
_TO_KATAKANA = str.maketrans(_HIRAGANA, _KATAKANA)


def text(series: pd.Series) -> pd.Series:
    """NFKC, whitespace collapsed and trimmed."""
    return (series.astype(str).str.normalize("NFKC")
            .str.replace(r"\s+", " ", regex=True).str.strip())


def address(series: pd.Series) -> pd.Series:
    """NFKC text with hyphen-like characters between digits turned into '-'.

    NFKC leaves 〜 (U+301C) alone, so it is not turned into ー.
    """
    return text(series).str.replace(_HYPHEN_BETWEEN_DIGITS, "-", regex=True)


def name_key(names: pd.Series) -> pd.Series:
    """Names compared without any whitespace (already NFKC)."""
    return names.str.replace(r"\s+", "", regex=True)


def kana(series: pd.Series) -> pd.Series:
    """Full-width katakana (NFKC widens half-width kana; hiragana shifted)."""
    return text(series).str.translate(_TO_KATAKANA)


def email(series: pd.Series) -> pd.Series:
    return text(series).str.replace(" ", "", regex=False).str.lower()


def is_relay_email(emails: pd.Series) -> pd.Series:
    return emails.str.endswith(RELAY_EMAIL_DOMAINS)


def phone_digits(series: pd.Series) -> pd.Series:
    """Digits only; an international +81 / 81 prefix becomes the domestic 0."""
    clean = series.astype(str).str.normalize("NFKC")
    digits = clean.str.replace(r"\D", "", regex=True)
    international = clean.str.strip().str.startswith("+81") | (
        digits.str.startswith("81") & digits.str.len().between(11, 12))
    domestic = "0" + digits.str.slice(2)
    # "+81 (0)90…" already carries the trunk 0.
    domestic = domestic.where(~domestic.str.startswith("00"), domestic.str.slice(1))
    return digits.where(~international, domestic)


def phone_display(series: pd.Series) -> pd.Series:
    """The phone as the shop would write it: NFKC, hyphens unified, no spaces."""
    shown = text(series).str.replace(rf"[{HYPHENS}ー]", "-", regex=True)
    return shown.str.replace(r"\s*-\s*", "-", regex=True).str.strip("-")


def postal_code(series: pd.Series) -> pd.Series:
    """7 digits (〒, apostrophes, hyphens stripped). Codes that lost leading zeros
    in a spreadsheet (5–6 digits) are padded; anything else stays as its digits."""
    digits = series.astype(str).str.normalize("NFKC").str.replace(r"\D", "", regex=True)
    short = digits.str.len().between(5, 6)
    return digits.where(~short, digits.str.zfill(7))


def amounts(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Numbers from money/quantity text ('¥1,980', '1980円', '３'): values and a mask
    of cells that have text but are not a number."""
    clean = (series.astype(str).str.normalize("NFKC")
             .str.replace(r"[,\s¥\\円]", "", regex=True).str.replace("−", "-"))
    values = pd.to_numeric(clean.where(clean != ""), errors="coerce")
    bad = values.isna() & (clean != "")
    return values.to_numpy(dtype="float64"), bad.to_numpy()


_DATE_PATTERN = (
    r"^\s*(?P<y>\d{4})\s*[-/年.]\s*(?P<m>\d{1,2})\s*[-/月.]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:[ T]+(?P<H>\d{1,2}):(?P<M>\d{1,2})(?::(?P<S>\d{1,2}))?(?:\.\d+)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?\s*$")


def datetimes_jst(series: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Timestamps as Japan time 'YYYY-MM-DD HH:MM:SS' and a mask of unreadable cells.

    A value with an offset or Z is converted to Asia/Tokyo (UTC+9, no DST)
    before its date is taken; one without is Japan time already.
    """
    clean = series.astype(str).str.normalize("NFKC")
    parts = clean.str.extract(_DATE_PATTERN)
    numbers = parts[["y", "m", "d", "H", "M", "S"]].apply(pd.to_numeric, errors="coerce")
    numbers[["H", "M", "S"]] = numbers[["H", "M", "S"]].fillna(0)
    stamp = pd.to_datetime(
        numbers.rename(columns={"y": "year", "m": "month", "d": "day",
                                "H": "hour", "M": "minute", "S": "second"}),
        errors="coerce")
    tz = parts["tz"].fillna("")
    offset = tz.str.replace(":", "", regex=False).str.replace("Z", "+0000", regex=False)
    sign = np.where(offset.str.startswith("-"), -1, 1)
    hours = pd.to_numeric(offset.str.slice(1, 3), errors="coerce").fillna(0)
    minutes = pd.to_numeric(offset.str.slice(3, 5), errors="coerce").fillna(0)
    shift = pd.to_timedelta(np.where(tz != "", 9 * 60 - sign * (hours * 60 + minutes), 0),
                            unit="min")
    local = stamp + shift
    bad = local.isna().to_numpy()
    return local.dt.strftime("%Y-%m-%d %H:%M:%S").fillna(""), bad
