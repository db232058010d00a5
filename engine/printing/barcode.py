"""Japan Post customer barcode (カスタマバーコード): address numbers, symbols and bars.

Everything here follows Japan Post's 郵便番号・バーコードマニュアル
(https://www.post.japanpost.jp/zipcode/zipmanual/):

- p12: format (start, 7 postal digits, 13 address digits, check digit, stop), truncation
  and CC4 padding of the 13 address digits, the 10-point dimensions;
- p13: at least 2 mm of blank space around the barcode;
- p17: the worked example 〒100-0013 1丁目3番2号 郵便プラザ503室 → 1-3-2-503, check digit 9;
- p19: the extraction rules (抜き出しの基本ルール 1–6 and 補足ルール 1–5);
- p20: a letter whose control code falls on the last address digit keeps only that code;
- p21: check digit values (0–9, '-' = 10, CC1–CC8 = 11–18), the total being a multiple of 19.

The 3-bar patterns per character and the start/stop pairs are the manual's code table, as
also implemented by zint and OkapiBarcode; tests check whole 67-bar strings against zint's
reference bitmaps of the manual's examples (zint/zint backend/tests/test_postal.c).

The extraction rules are meant for the address *after* the town name (住所B); see
:func:`address_code` for what is done when the whole address is given.
"""
from __future__ import annotations

import re
import unicodedata

from engine.errors import InvalidInputError

# 10-point geometry in mm (manual p12, a/10 = 1). Heights are measured top to bottom.
BAR_WIDTH_MM = 0.6
BAR_SPACE_MM = 0.6
BAR_PITCH_MM = 1.2
LONG_BAR_MM = 3.6
# p12 gives long (6 units) and timing (2 units) bars only; a semi-long bar is the timing
# bar plus one half of what the long bar adds above and below it: 2 + (6 - 2) / 2 = 4 units.
SEMI_BAR_MM = 2.4
TIMING_BAR_MM = 1.2
QUIET_ZONE_MM = 2.0
BAR_COUNT = 67
TOTAL_WIDTH_MM = round((BAR_COUNT - 1) * BAR_PITCH_MM + BAR_WIDTH_MM, 3)

# Where each bar kind starts and ends, from the top of a long bar, so a drawer needs no
# knowledge of the symbology: F long, A ascender (upper semi-long), D descender (lower
# semi-long), T timing.
BAR_EXTENT_MM = {
    "F": (0.0, LONG_BAR_MM),
    "A": (0.0, SEMI_BAR_MM),
    "D": (round(LONG_BAR_MM - SEMI_BAR_MM, 3), LONG_BAR_MM),
    "T": (round((LONG_BAR_MM - TIMING_BAR_MM) / 2, 3),
          round((LONG_BAR_MM + TIMING_BAR_MM) / 2, 3)),
}

START, STOP, PAD = "STC", "SPC", "CC4"
ADDRESS_LENGTH = 13

# The manual's code table: 1 = long, 2 = upper semi-long, 3 = lower semi-long, 4 = timing,
# written here with the letters F, A, D, T.
_PATTERNS = {
    "1": "FFT", "2": "FDA", "3": "DFA", "4": "FAD", "5": "FTF",
    "6": "DAF", "7": "AFD", "8": "ADF", "9": "TFF", "0": "FTT",
    "-": "TFT",
    "CC1": "DAT", "CC2": "DTA", "CC3": "ADT", "CC4": "TDA",
    "CC5": "ATD", "CC6": "TAD", "CC7": "TTF", "CC8": "FFF",
    START: "FD", STOP: "DF",
}

# Check values (p21): digits are themselves, '-' is 10, CCn is 10 + n.
_VALUES = {str(d): d for d in range(10)} | {"-": 10} | {f"CC{n}": 10 + n for n in range(1, 9)}
_SYMBOL_OF_VALUE = {v: s for s, v in _VALUES.items()}

_KANJI_DIGITS = {c: d for d, c in enumerate("〇一二三四五六七八九")}
_KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}
_KANJI_NUMERAL = "[〇一二三四五六七八九十百千]"

# 補足ルール1: kanji numerals count only in front of 丁目 丁 番地 番 号 地割 線 の ノ.
# Two narrowings keep town names (住所A) out when a whole address is given; neither can
# occur in the address numbers the manual's rules are written for:
#   番町 is always a town name (六番町), never a block number;
#   の/ノ between kanji and a non-number is a place name (三ノ輪, 一の宮), not "12の3".
_KANJI_BEFORE_MARK = re.compile(
    rf"({_KANJI_NUMERAL}+)(?=丁|番(?!町)|号|地割|線|[のノ](?=[0-9]|{_KANJI_NUMERAL}))")
# Hokkaido grid towns (南1条西, 北六条東) and 番町 towns carry their number in the town name.
_TOWN_NUMBER = re.compile(rf"(?:[0-9]|{_KANJI_NUMERAL})+(?=条|番町)")
_REMOVED = re.compile(r"[&/・.]")                 # 基本ルール2: dropped, not hyphenated
_FLOOR_F = re.compile(r"(?<=[0-9])F(?![A-Z])")     # 補足ルール2/3: "2F" is a floor, not a letter
_LETTER_RUN = re.compile(r"[A-Z]{2,}")             # 基本ルール3: only a lone letter is kept
_NOT_KEPT = re.compile(r"[^0-9A-Z-]+")             # 基本ルール4: everything else is a hyphen
_HYPHENS = re.compile(r"-{2,}")                    # 基本ルール5
_AROUND_LETTER = re.compile(r"-?([A-Z])-?")        # 補足ルール4 (and 5: letters then stay joined)
_POSTAL_NOISE = re.compile(r"[\s〒'\-‐‑‒–—―−ー]")


def _kanji_to_int(numeral: str) -> int:
    """十二 → 12, 二十三 → 23, 百五 → 105; without 十百千 the digits are positional (二〇三 → 203)."""
    if not any(c in _KANJI_UNITS for c in numeral):
        return int("".join(str(_KANJI_DIGITS[c]) for c in numeral))
    total, digit = 0, None
    for c in numeral:
        if c in _KANJI_UNITS:
            total += (1 if digit is None else digit) * _KANJI_UNITS[c]
            digit = None
        else:
            digit = _KANJI_DIGITS[c] if digit is None else digit * 10 + _KANJI_DIGITS[c]
    return total + (digit or 0)


def address_code(address: str) -> str:
    """The address numbers (住所表示番号) of ``address`` per Japan Post's extraction rules.

    ``東京都千代田区霞が関1丁目3番2号 郵便プラザ503室`` → ``1-3-2-503``;
    ``十一丁目六番地一号 郵便タワー601`` → ``11-6-1-601``; ``9丁目7-6 郵便シティA棟1F1号``
    → ``9-7-6A1-1``. The result may be longer than the 13 barcode digits; :func:`encode`
    truncates.

    The manual applies its rules to the part after the town name. Without a postal
    dictionary the whole address is accepted: prefecture and city names carry no numbers
    the rules would pick up, and town names numbered with 条 or 番町 are skipped, but a
    town name like 三ノ輪 written with digits (3ノ輪) would still leak into the result.
    """
    text = unicodedata.normalize("NFKC", address or "").upper()
    text = _REMOVED.sub("", text)
    text = _TOWN_NUMBER.sub(" ", text)
    text = _KANJI_BEFORE_MARK.sub(lambda m: str(_kanji_to_int(m.group(1))), text)
    text = _FLOOR_F.sub(" ", text)
    text = _LETTER_RUN.sub(" ", text)
    # Hyphen-like characters (‐ − – — ― ー …) need no mapping of their own: like every
    # other character that is not kept they become one hyphen here.
    text = _NOT_KEPT.sub("-", text)
    text = _HYPHENS.sub("-", text).strip("-")
    return _AROUND_LETTER.sub(r"\1", text)


def postal_digits(postal: str) -> str:
    """The 7 digits of a postal code written as 〒100-0013, １００－００１３, 1000013 …

    Raises :class:`OtokuiError` when no 7-digit code remains.
    """
    digits = _POSTAL_NOISE.sub("", unicodedata.normalize("NFKC", postal or ""))
    if not re.fullmatch(r"[0-9]{7}", digits):
        raise InvalidInputError(f"郵便番号「{postal}」は7桁の数字ではありません。"
                          "例: 100-0013 または 1000013")
    return digits


def _address_symbols(code: str) -> list[str]:
    symbols: list[str] = []
    for c in code:
        if c.isdigit() or c == "-":
            symbols.append(c)
        else:
            # A–J = CC1 + 0–9, K–T = CC2 + 0–9, U–Z = CC3 + 0–5 (manual p12 code table).
            index = ord(c) - ord("A")
            symbols += [f"CC{index // 10 + 1}", str(index % 10)]
    # Cutting the flat list keeps a letter's control code when it is the 13th symbol (p12, p20).
    symbols = symbols[:ADDRESS_LENGTH]
    return symbols + [PAD] * (ADDRESS_LENGTH - len(symbols))


def check_symbol(data: list[str]) -> str:
    """The check character that makes the values of ``data`` plus itself a multiple of 19."""
    total = sum(_VALUES[s] for s in data)
    return _SYMBOL_OF_VALUE[-total % 19]


def encode(postal: str, address: str) -> list[str]:
    """The customer barcode as its 23 symbols.

    ``STC``, the 7 postal digits, 13 address symbols (digits, ``-``, ``CC1``–``CC3`` + digit
    for a letter, padded with ``CC4``), the check symbol (``0``–``9``, ``-``, ``CC1``–``CC8``)
    and ``SPC``. Raises :class:`OtokuiError` for a postal code that is not 7 digits.
    """
    data = list(postal_digits(postal)) + _address_symbols(address_code(address))
    return [START, *data, check_symbol(data), STOP]


def bars(symbols: list[str]) -> str:
    """The 67 bars of ``symbols`` (as returned by :func:`encode`), left to right.

    Each bar is ``F`` (long), ``A`` (upper semi-long), ``D`` (lower semi-long) or ``T``
    (timing); see :data:`BAR_EXTENT_MM` for where each is drawn.
    """
    body = symbols[1:-1]
    if (len(symbols) != 23 or symbols[0] != START or symbols[-1] != STOP
            or any(s not in _VALUES for s in body)):
        raise ValueError(f"カスタマバーコードの記号列が正しくありません: {' '.join(symbols)}")
    return "".join(_PATTERNS[s] for s in symbols)
