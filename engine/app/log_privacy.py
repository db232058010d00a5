"""A logging filter that masks personal data: emails, phone numbers, postal codes,
addresses and names.

Log lines should not carry customer data in the first place; this filter is the
safety net for the ones that do (an error quoting a cell, a third-party message).
Names cannot be told from other words by their letters, so what marks them is
kept to: a value quoted in 「」 (how Otokui's messages quote a cell) unless it is a
column or field name, a name before 様/さま/殿, and the value after a name label
(氏名, 注文者 …). Addresses start at a prefecture, or at a city, ward, town or
village followed by block numbers.
``install(handler)`` adds it to a handler; engine/app/logs.py installs it on the log file.
"""
from __future__ import annotations

import functools
import logging
import re

EMAIL_MASK = "[メール]"
PHONE_MASK = "[電話]"
POSTAL_MASK = "[郵便番号]"
ADDRESS_MASK = "[住所]"
NAME_MASK = "[氏名]"

_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
# Japanese numbers: 0 + 9–10 digits, with or without hyphens/spaces/brackets, or +81.
_PHONE = re.compile(r"(?<![\d\-])(?:\+81[\s\-]?|[(（]?0)\d{1,4}[\s\-()（）]*\d{1,4}[\s\-()（）]*\d{3,4}(?![\d\-])")
_POSTAL = re.compile(r"(?:〒\s*\d{3}-?\d{4}|(?<![\d\-])\d{3}-\d{4}(?![\d\-]))")
_PREFECTURES = ("北海道|東京都|京都府|大阪府|青森県|岩手県|宮城県|秋田県|山形県|福島県|茨城県|栃木県|"
                "群馬県|埼玉県|千葉県|神奈川県|新潟県|富山県|石川県|福井県|山梨県|長野県|岐阜県|"
                "静岡県|愛知県|三重県|滋賀県|兵庫県|奈良県|和歌山県|鳥取県|島根県|岡山県|広島県|"
                "山口県|徳島県|香川県|愛媛県|高知県|福岡県|佐賀県|長崎県|熊本県|大分県|宮崎県|鹿児島県|"
                "沖縄県")
_ADDRESS_CHARS = r"[^\s、。,，」』）)\]]"
# A building and room after a space belong to the address: a word ending in a number.
_BUILDING = rf"(?:[ 　]{_ADDRESS_CHARS}{{0,20}}?[0-9０-９]+{_ADDRESS_CHARS}*)?"
_ADDRESS = re.compile(
    rf"(?:(?:{_PREFECTURES}){_ADDRESS_CHARS}+"
    rf"|[一-龥ぁ-んァ-ヶ]{{1,8}}[市区町村]{_ADDRESS_CHARS}{{0,24}}?[0-9０-９]+{_ADDRESS_CHARS}*)"
    + _BUILDING)
_NAME_PART = r"[^\s「」『』（）()、。,，:：\[\]]{1,8}"
# お客様, 皆様 … are no one's name.
_HONORIFIC = re.compile(rf"(?<![^\s「『（(、。,，:：])(?!お客|皆|各位|ご担当|担当者)"
                        rf"{_NAME_PART}(?:[ 　]{_NAME_PART})?(?=様|さま|殿)")
_NAME_LABEL = re.compile(r"((?:氏名|お名前|名前|注文者|購入者|宛名|顧客名)\s*[:：=]\s*)([^\s,，、。]+(?:[ 　][^\s,，、。]+)?)")
_QUOTED = re.compile(r"「([^「」]{1,120})」")


def mask(text: str) -> str:
    """``text`` with every email, phone number, postal code, address and name
    replaced by a label."""
    text = _EMAIL.sub(EMAIL_MASK, text)
    text = _POSTAL.sub(POSTAL_MASK, text)
    text = _PHONE.sub(lambda m: PHONE_MASK if _is_phone(m.group()) else m.group(), text)
    text = _QUOTED.sub(_quoted, text)
    text = _NAME_LABEL.sub(lambda m: m.group(1) + NAME_MASK, text)
    text = _HONORIFIC.sub(NAME_MASK, text)
    return _ADDRESS.sub(ADDRESS_MASK, text)


def _quoted(match: re.Match) -> str:
    value = match.group(1)
    if value in _known_words() or value.startswith("[") and value.endswith("]"):
        return match.group(0)
    return f"「{NAME_MASK if _looks_like_name(value) else '[値]'}」"


def _looks_like_name(value: str) -> bool:
    return bool(re.fullmatch(r"[一-龥ぁ-んァ-ヶー々]{1,6}[ 　]?[一-龥ぁ-んァ-ヶー々]{0,6}", value))


@functools.cache
def _known_words() -> frozenset[str]:
    """Column and field names: quoting them is how messages say where, not who."""
    from engine.imports.formats import FIELDS, builtin_presets
    words = set(FIELDS.values()) | set(FIELDS)
    for preset in builtin_presets():
        words.update(preset.columns())
        words.update(preset.match)
        words.update(spelling for spellings in preset.aliases.values() for spelling in spellings)
        words.update(column for part in preset.files for column in part.match)
    return frozenset(words)


def _is_phone(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    if candidate.startswith("+81"):
        return 10 <= len(digits) <= 12
    return 10 <= len(digits) <= 11


class PersonalDataFilter(logging.Filter):
    """Masks the formatted message (and any cached exception text) of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask(record.getMessage())
        record.args = None
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        return True


def install(handler: logging.Handler) -> None:
    """Add the filter to ``handler`` once."""
    if not any(isinstance(f, PersonalDataFilter) for f in handler.filters):
        handler.addFilter(PersonalDataFilter())
