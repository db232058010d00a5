"""Finding a customer from what was typed: an ID, a name, kana or a phone number."""
from __future__ import annotations

import unicodedata

from engine.database import Database


def find_customers(db: Database, text: str, limit: int = 20) -> list[dict]:
    """Customers matching ``text``, best first (id, name, kana, phone, postal_code, address1).

    Digits match the customer ID exactly or the phone number anywhere; other
    text matches the name (spaces ignored) or the kana (hiragana is accepted).
    Deleted customers are never offered.
    """
    key = "".join(unicodedata.normalize("NFKC", text).split())
    if not key:
        return []
    columns = "id, name, kana, phone, postal_code, address1"
    if key.isdigit():
        return db.query(
            f"""SELECT {columns} FROM customers WHERE deleted_at IS NULL
                AND (id = ? OR phone_digits LIKE ?)
                ORDER BY id != ?, id LIMIT ?""",
            (int(key), f"%{key}%", int(key), limit))
    kana = _to_katakana(key)
    like = "%" + key.replace("%", "").replace("_", "") + "%"
    kana_like = "%" + kana.replace("%", "").replace("_", "") + "%"
    return db.query(
        f"""SELECT {columns} FROM customers WHERE deleted_at IS NULL
            AND (name_key LIKE ? OR replace(replace(kana, ' ', ''), '　', '') LIKE ?)
            ORDER BY NOT (name_key LIKE ? OR kana LIKE ?), name_key, id LIMIT ?""",
        (like, kana_like, key + "%", kana + "%", limit))


def _to_katakana(text: str) -> str:
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in text)
