"""A logging filter that masks personal data (emails, phone numbers, postal codes).

Log lines should not carry customer data in the first place; this filter is the
safety net for the ones that do (an error quoting a cell, a third-party message).
``install(handler)`` adds it to a handler; engine/app/logs.py installs it on the log file.
"""
from __future__ import annotations

import logging
import re

EMAIL_MASK = "[メール]"
PHONE_MASK = "[電話]"
POSTAL_MASK = "[郵便番号]"

_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
# Japanese numbers: 0 + 9–10 digits, with or without hyphens/spaces/brackets, or +81.
_PHONE = re.compile(r"(?<![\d\-])(?:\+81[\s\-]?|[(（]?0)\d{1,4}[\s\-()（）]*\d{1,4}[\s\-()（）]*\d{3,4}(?![\d\-])")
_POSTAL = re.compile(r"(?:〒\s*\d{3}-?\d{4}|(?<![\d\-])\d{3}-\d{4}(?![\d\-]))")


def mask(text: str) -> str:
    """``text`` with every email, phone number and postal code replaced by a label."""
    text = _EMAIL.sub(EMAIL_MASK, text)
    text = _POSTAL.sub(POSTAL_MASK, text)
    return _PHONE.sub(lambda m: PHONE_MASK if _is_phone(m.group()) else m.group(), text)


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
