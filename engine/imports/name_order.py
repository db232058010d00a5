"""Which way round a two-part name is written: 姓 名 or 名 姓.

Shopify writes its Billing Name given name first (太郎 山田), but not every shop's
file does (apps and themes change it, buyers swap the two boxes). So a preset's
``"name_order": "given_first"`` is checked against the names themselves: a known
family name (resources/names/family_names.txt) in second place, and not in first,
says that name is written 名 姓.
"""
from __future__ import annotations

import re
from functools import cache

import numpy as np
import pandas as pd

from engine.resources import read_text

_LATIN = re.compile(r"[A-Za-z]")


def family_name_first(names: pd.Series) -> pd.Series:
    """``names`` (normalised text) in Japanese order, 姓 名.

    A two-part name in Japanese script is swapped when its second part is a known
    family name and its first is not, and kept when its first part is one; a name
    with no such evidence follows the majority of the names that had some (kept on
    a tie). One part, more parts, or Latin letters (Taro Yamada, written so on
    purpose) stay as written.
    """
    parts = names.str.split()
    two = (parts.str.len() == 2).to_numpy() & ~names.str.contains(_LATIN).to_numpy()
    if not two.any():
        return names
    first = parts[two].str[0].to_numpy()
    second = parts[two].str[1].to_numpy()
    known = _family_names()
    first_known = np.isin(first, known)
    second_known = np.isin(second, known)
    given_first = second_known & ~first_known
    family_first = first_known & ~second_known
    undecided = ~given_first & ~family_first
    if given_first.sum() > family_first.sum():
        given_first |= undecided
    result = names.to_numpy(dtype=object, copy=True)
    rows = np.flatnonzero(two)[given_first]
    result[rows] = second[given_first] + " " + first[given_first]
    return pd.Series(result, index=names.index, dtype=str)


def surely_family_first(first: str, second: str) -> bool:
    """Whether a name written ``first second`` is 姓 名 beyond doubt: its first part
    is a known family name and its second is not."""
    known = _family_name_set()
    return first in known and second not in known


@cache
def _family_names() -> np.ndarray:
    lines = read_text("names", "family_names.txt").splitlines()
    return np.array([line.strip() for line in lines if line.strip() and not line.startswith("#")])


@cache
def _family_name_set() -> frozenset[str]:
    return frozenset(_family_names().tolist())
