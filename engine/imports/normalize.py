"""Vectorised normalisation of text columns (SPEC §2). Every function takes and
returns pandas Series of ``str`` ('' for empty) so a million rows stay fast; only
``display_phone`` takes one value, to show a phone number the one way Otokui writes it.

Each text rule is one Python function applied in one pass over the values
(callers pass distinct values only): a chain of pandas ``.str`` calls would walk
the column once per step and build an intermediate array each time.
"""
from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Callable

import numpy as np
import pandas as pd

from engine.resources import read_json

HYPHENS = "‐−‒–—―－ｰ"
_HYPHEN_BETWEEN_DIGITS = re.compile(rf"(?<=\d)\s*[{HYPHENS}ー]\s*(?=\d)")
_PHONE_HYPHENS = re.compile(rf"[{HYPHENS}ー]")
_SPACED_HYPHEN = re.compile(r"\s*-\s*")
_NON_DIGITS = re.compile(r"\D")
# Per-order masked addresses that identify an order, not a person.
RELAY_EMAIL_DOMAINS = ("@pc.fw.rakuten.ne.jp", "@fw.rakuten.ne.jp", "@marketplace.amazon.co.jp")
_HIRAGANA = "".join(chr(c) for c in range(0x3041, 0x3097))
_KATAKANA = "".join(chr(c + 0x60) for c in range(0x3041, 0x3097))
_TO_KATAKANA = str.maketrans(_HIRAGANA, _KATAKANA)
_nfkc = unicodedata.normalize
_LATIN_START = re.compile(r"[A-Za-zŌō]")
_CONSENT = {**dict.fromkeys(["yes", "y", "true", "1", "はい", "同意", "同意する", "許可", "希望",
                             "希望する", "受け取る", "する", "○"], "1"),
            **dict.fromkeys(["no", "n", "false", "0", "いいえ", "同意しない", "拒否", "不許可",
                             "希望しない", "受け取らない", "しない", "×"], "0")}


def _map(series: pd.Series, function: Callable[[str], str]) -> pd.Series:
    values = series.astype(str).tolist()
    return pd.Series([function(v) for v in values], index=series.index, dtype=str)


def _text(value: str) -> str:
    return " ".join(_nfkc("NFKC", value).split())


def text(series: pd.Series) -> pd.Series:
    """NFKC, whitespace collapsed and trimmed."""
    return _map(series, _text)


def address(series: pd.Series) -> pd.Series:
    """NFKC text with hyphen-like characters between digits turned into '-'.

    NFKC leaves 〜 (U+301C) alone, so it is not turned into ー.
    """
    return _map(series, lambda v: _HYPHEN_BETWEEN_DIGITS.sub("-", _text(v)))


def address_line(series: pd.Series) -> pd.Series:
    """An address's first line: ``address`` with a leading prefecture code or
    romaji name (Shopify's ``JP-13``, ``Tokyo``) written as the prefecture (東京都)."""
    return _map(series, lambda v: _prefecture_named(_HYPHEN_BETWEEN_DIGITS.sub("-", _text(v))))


def _prefecture_named(value: str) -> str:
    # Most addresses start with a kanji prefecture or city: only Latin ones are looked up.
    if not _LATIN_START.match(value):
        return value
    pattern, names = _prefecture_pattern()
    match = pattern.match(value)
    if match is None:
        return value
    key = match.group(1).upper()
    return names[key.removeprefix("JP").strip("-")] + value[match.end():]


@cache
def _prefecture_pattern() -> tuple[re.Pattern, dict[str, str]]:
    """A pattern for a leading JP-13 / Tokyo / Tokyo-to / Tokyo Prefecture, and the
    prefecture by code and by upper-case romaji."""
    names: dict[str, str] = {}
    for prefecture in read_json("address", "prefectures.json")["prefectures"]:
        names[prefecture["code"]] = prefecture["name"]
        names.update((romaji.upper(), prefecture["name"]) for romaji in prefecture["romaji"])
    romaji = "|".join(sorted((k for k in names if not k.isdigit()), key=len, reverse=True))
    # Case-blind names, case-aware ends: in "Tokyo-toShibuya" (columns glued) the
    # suffix ends where a capital begins; "Tokyoshima" is not Tokyo.
    pattern = re.compile(rf"((?i:JP-?\d{{2}}(?!\d)|{romaji}))(?:[- ](?i:to|fu|ken|do)(?![a-z]))?"
                         r"(?: (?i:prefecture))?(?![a-z])")
    return pattern, names


def name_key(names: pd.Series) -> pd.Series:
    """Names compared without any whitespace (already NFKC)."""
    return _map(names, lambda v: "".join(v.split()))


def consent(series: pd.Series) -> pd.Series:
    """A yes/no answer ('yes', 'true', '1', '同意する', '希望しない' …) as '1' or '0';
    '' when the cell is empty or says neither."""
    return _map(series, lambda v: _CONSENT.get(_text(v).lower().replace(" ", ""), ""))


def kana(series: pd.Series) -> pd.Series:
    """Full-width katakana (NFKC widens half-width kana; hiragana shifted)."""
    return _map(series, lambda v: _text(v).translate(_TO_KATAKANA))


def email(series: pd.Series) -> pd.Series:
    return _map(series, lambda v: _text(v).replace(" ", "").lower())


def is_relay_email(emails: pd.Series) -> pd.Series:
    return emails.str.endswith(RELAY_EMAIL_DOMAINS)


def _phone_digits(value: str) -> str:
    clean = _nfkc("NFKC", value)
    digits = _NON_DIGITS.sub("", clean)
    if clean.strip().startswith("+81") or (digits.startswith("81") and 11 <= len(digits) <= 12):
        domestic = "0" + digits[2:]
        # "+81 (0)90…" already carries the trunk 0.
        return domestic[1:] if domestic.startswith("00") else domestic
    return digits


def phone_digits(series: pd.Series) -> pd.Series:
    """Digits only; an international +81 / 81 prefix becomes the domestic 0."""
    return _map(series, _phone_digits)


def phone_display(series: pd.Series) -> pd.Series:
    """The phone as the shop would write it: NFKC, hyphens unified, no spaces."""
    return _map(series, lambda v: _SPACED_HYPHEN.sub(
        "-", _PHONE_HYPHENS.sub("-", _text(v))).strip("-"))


# Non-geographic numbers: (prefix, length of the number, the first two groups'
# lengths). 0800 comes before 080, whose mobile numbers have the same length.
_SERVICE_GROUPS = (("0120", 10, 4, 3), ("0570", 10, 4, 3), ("0990", 10, 4, 3),
                   ("0800", 11, 4, 3), ("020", 11, 3, 4), ("050", 11, 3, 4),
                   ("060", 11, 3, 4), ("070", 11, 3, 4), ("080", 11, 3, 4),
                   ("090", 11, 3, 4))


@cache
def _area_code_lengths() -> dict[str, int]:
    raw = read_json("phone", "area_codes.json")
    return {prefix: int(length) for length, prefixes in raw["lengths"].items()
            for prefix in prefixes}


def _area_code_length(digits: str) -> int:
    lengths = _area_code_lengths()
    for end in range(6, 1, -1):
        if digits[:end] in lengths:
            return lengths[digits[:end]]
    return 3


def display_phone(phone: str) -> str:
    """The phone number in the one way Otokui shows it: 090-1234-5678, 03-1234-5678,
    0120-123-456, 011-222-3333, 0123-45-6789 (landlines split after their area code,
    whose exchange and area code together make six digits).

    ``phone`` may be digits or written any way (full-width, +81 …); what is not a
    Japanese phone number is returned as given.
    """
    digits = _phone_digits(phone)
    for prefix, length, first, second in _SERVICE_GROUPS:
        if len(digits) == length and digits.startswith(prefix):
            return f"{digits[:first]}-{digits[first:first + second]}-{digits[first + second:]}"
    # A landline has ten digits: 0, an area code not starting with 0, no 0X0 prefix.
    if len(digits) != 10 or digits[0] != "0" or "0" in digits[1:3]:
        return phone
    area = _area_code_length(digits)
    return f"{digits[:area]}-{digits[area:6]}-{digits[6:]}"


def _postal_code(value: str) -> str:
    digits = _NON_DIGITS.sub("", _nfkc("NFKC", value))
    return digits.zfill(7) if 5 <= len(digits) <= 6 else digits


def postal_code(series: pd.Series) -> pd.Series:
    """7 digits (〒, apostrophes, hyphens stripped). Codes that lost leading zeros
    in a spreadsheet (5–6 digits) are padded; anything else stays as its digits."""
    return _map(series, _postal_code)


def amounts(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Numbers from money/quantity text ('¥1,980', '1980円', '３'): values and a mask
    of cells that have text but are not a number."""
    # Most cells are plain numbers already; only the others need cleaning.
    plain = pd.to_numeric(series, errors="coerce")
    rest = plain.isna().to_numpy()
    if not rest.any():
        return plain.to_numpy(dtype="float64"), np.zeros(len(series), dtype=bool)
    values, bad = _messy_amounts(series[rest])
    result = plain.to_numpy(dtype="float64", copy=True)
    result[rest] = values
    flagged = np.zeros(len(series), dtype=bool)
    flagged[rest] = bad
    return result, flagged


def _messy_amounts(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    clean = (series.astype(str).str.normalize("NFKC")
             .str.replace(r"[,\s¥\\円]", "", regex=True).str.replace("−", "-"))
    values = pd.to_numeric(clean.where(clean != ""), errors="coerce")
    bad = values.isna() & (clean != "")
    return values.to_numpy(dtype="float64"), bad.to_numpy()
