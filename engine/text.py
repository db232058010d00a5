"""Text the user typed (a search, a note, a survey answer, a name), made safe to
search with and to store: never a crash on what a keyboard, a paste or another
program can produce."""
from __future__ import annotations

import re

# A lone half of a UTF-16 surrogate pair (pasted from broken text, some IMEs'
# failures): Python can hold one, UTF-8 (and so SQLite) cannot. A NUL character:
# PostgreSQL's text cannot hold one (a shop must read the same in both stores).
_UNSTORABLE = re.compile("[\ud800-\udfff\x00]")


def user_text(value: object) -> str:
    """``value`` as text without lone surrogates or NUL characters (each becomes
    U+FFFD), trimmed."""
    return _UNSTORABLE.sub("\ufffd", "" if value is None else str(value)).strip()


def format_postal(postal: str) -> str:
    """〒123-4567 from a postal code written any way (as given when not 7 digits)."""
    digits = re.sub(r"[^0-9]", "", postal or "")
    return f"〒{digits[:3]}-{digits[3:]}" if len(digits) == 7 else f"〒{postal}"
