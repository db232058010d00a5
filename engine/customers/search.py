"""Customer search as you type (SPEC §5): each keystroke is answered from indexes.

A customer matches when the text is their customer number, starts their name or
kana (the whole of it, or the given name after the space; hiragana, half-width
kana and spacing do not matter), starts their phone number (typed in any format)
or email address, or equals the last four digits of their phone. Results come
in that order of strength. Only when nothing matches so and the text has three
or more characters is the slower search anywhere inside names, kana, phones and
emails made, so a middle-of-name search still finds people.
"""
from __future__ import annotations

import re
import sqlite3

import pandas as pd

from engine.imports import normalize
from engine.store.dialects import SQLITE
from engine.text import user_text

_TOP = "\U0010ffff"  # above every character: prefix p covers [p, p + _TOP)
_PHONE_LIKE = re.compile(r"[\d\s()+\-]+")
_GIVEN_NAME = "substr(name, instr(name, ' ') + 1)"
_GIVEN_KANA = "substr(kana, instr(kana, ' ') + 1)"
# Identity keys (identity.py) by prefix: every phone and e-mail a customer's orders
# carried, including those of customers merged into them.
_KEY = "identity_keys.key"


def search_ids(conn: sqlite3.Connection, text: str, limit: int,
               dialect=SQLITE) -> list[int]:
    """Ids of customers matching ``text``, strongest matches first, at most ``limit``."""
    words = normalize.text(pd.Series([user_text(text)])).iloc[0]
    if not words:
        return []
    key = words.replace(" ", "")
    kana = normalize.kana(pd.Series([words])).iloc[0].replace(" ", "")
    lookups: list[tuple[str, str, str]] = []  # (indexed expression, extra condition, value)
    # Customer numbers are ASCII digits that fit SQLite's integers (٣ or 𐩀 are
    # digits to Python, not numbers int() reads; 20 nines overflow).
    if key.isascii() and key.isdigit() and len(key) <= 18:
        lookups.append(("id", "", key))
    lookups += [("name_key", "", key), ("replace(kana, ' ', '')", "", kana),
                (_GIVEN_NAME, "instr(name, ' ') > 0", key),
                (_GIVEN_KANA, "instr(kana, ' ') > 0", kana)]
    email = normalize.email(pd.Series([words])).iloc[0]
    if _PHONE_LIKE.fullmatch(words):
        digits = normalize.phone_digits(pd.Series([words])).iloc[0]
        if digits:
            lookups.append(("phone_digits", "", digits))
            # A phone known only from a customer merged into this one (its keys moved).
            lookups.append((_KEY, "", f"p|{digits}"))
        if len(digits) == 4:
            lookups.append(("substr(phone_digits, -4)", "", digits))
    lookups.append(("email", "", email))
    if "@" in email:
        lookups.append((_KEY, "", f"e|{email}"))
    found: dict[int, None] = {}
    for expression, condition, value in lookups:
        if len(found) >= limit:
            break
        for (customer_id,) in _lookup(conn, expression, condition, value, limit, dialect):
            found.setdefault(customer_id, None)
    if not found and len(key) >= 3:
        for (customer_id,) in _anywhere(conn, key, kana, words, limit, dialect):
            found.setdefault(customer_id, None)
    return list(found)[:limit]


def _lookup(conn, expression: str, condition: str, value: str, limit: int, dialect=SQLITE):
    if expression == _KEY:
        return conn.execute(
            "SELECT k.customer_id FROM identity_keys k JOIN customers c ON c.id = k.customer_id "
            "WHERE k.key >= ? AND k.key < ? AND c.deleted_at IS NULL ORDER BY k.key LIMIT ?",
            (value, value + _TOP, limit)).fetchall()
    if expression == "id":
        return conn.execute("SELECT id FROM customers WHERE id = ? AND deleted_at IS NULL",
                            (int(value),)).fetchall()
    if expression == "substr(phone_digits, -4)":
        where, params, order = f"{expression} = ?", [value], "id"
    else:
        where, params = f"{expression} >= ? AND {expression} < ?", [value, value + _TOP]
        order = f"{expression}, id"
    if condition:
        where += f" AND {condition}"
    return conn.execute(dialect.spelled(
        f"SELECT id FROM customers WHERE {where} AND deleted_at IS NULL "
        f"ORDER BY {order} LIMIT ?"), params + [limit]).fetchall()


def _anywhere(conn, key: str, kana: str, words: str, limit: int, dialect=SQLITE):
    """The slow path: a scan for the text inside names, kana, phones and emails."""
    clauses = ["instr(name_key, ?) > 0", "instr(replace(kana, ' ', ''), ?) > 0",
               "instr(email, ?) > 0"]
    params = [key, kana, words.lower().replace(" ", "")]
    digits = normalize.phone_digits(pd.Series([words])).iloc[0]
    if len(digits) >= 3 and _PHONE_LIKE.fullmatch(words):
        clauses.append("instr(phone_digits, ?) > 0")
        params.append(digits)
    return conn.execute(dialect.spelled(
        f"SELECT id FROM customers WHERE ({' OR '.join(clauses)}) AND deleted_at IS NULL "
        "ORDER BY id LIMIT ?"), params + [limit]).fetchall()
