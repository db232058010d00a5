"""A chunk's raw cells as the preset's fields: columns joined, values distinct.

Exports repeat the same customer, product, date and status on many lines, so
joining and normalising only the distinct values is several times faster.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from engine.errors import BadFileError
from engine.imports.formats import JOIN_SEPARATOR, FormatPreset
from engine.imports.reader import Table


def joined(frame: pd.DataFrame, columns: list[str], first: bool, separator: str) -> pd.Series:
    """The columns' text glued with ``separator`` (empty cells skipped), or with
    ``first`` the first non-empty one."""
    parts = [frame[c].str.strip() for c in columns]
    if first or len(parts) == 1:
        value = parts[0]
        for part in parts[1:]:
            value = value.where(value != "", part)
        return value
    value = parts[0]
    for part in parts[1:]:
        value = (value + separator + part).where(part != "", value).where(value != "", part)
    return value


class RawColumns:
    """Each field's (or column's) raw text as distinct values plus a code per line."""

    def __init__(self, table: Table, preset: FormatPreset):
        self.table, self.preset = table, preset
        self._cache: dict[tuple, tuple[np.ndarray, pd.Series, str | None]] = {}

    def column(self, field: str, rows: np.ndarray | None = None) -> str | None:
        """The column the field is read from, for error messages: of a field taking
        the first non-empty of its columns, the one that gave the first of ``rows``
        its value; otherwise the first. None when the file has none."""
        columns = self._columns(field)
        if rows is not None and rows.any() and len(columns) > 1 and self._joining(field)[0]:
            at = int(np.flatnonzero(rows)[0])
            return next((c for c in columns if self.table.frame[c].iat[at].strip()), columns[0])
        return columns[0] if columns else None

    def apply(self, field: str, function) -> np.ndarray | tuple[np.ndarray, ...]:
        """``function`` of the field's text, per line (arrays; tuples stay tuples)."""
        return self._applied(self._distinct(self._columns(field), *self._joining(field)),
                             function)

    def apply_column(self, column: str, function) -> np.ndarray:
        """``function`` of one column's text, per line ('' where the file lacks it)."""
        present = [column] if column in self.table.frame.columns else []
        return self._applied(self._distinct(present, True, ""), function)

    def _columns(self, field: str) -> list[str]:
        return [c for c in self.preset.fields.get(field, []) if c in self.table.frame.columns]

    def _joining(self, field: str) -> tuple[bool, str]:
        return self.preset.join.get(field) == "first", JOIN_SEPARATOR.get(field, "")

    @staticmethod
    def _applied(distinct, function):
        codes, values, _ = distinct
        result = function(values)
        if isinstance(result, tuple):
            return tuple(np.asarray(part)[codes] for part in result)
        return np.asarray(result)[codes]

    def _distinct(self, columns: list[str], first: bool,
                  separator: str) -> tuple[np.ndarray, pd.Series, str | None]:
        key = (tuple(columns), first, separator)
        if key not in self._cache:
            frame = self.table.frame
            if not columns:
                codes = np.zeros(len(frame), dtype="int64")
                self._cache[key] = codes, pd.Series([""], dtype=str), None
            else:
                if len(columns) == 1:
                    codes, values = pd.factorize(frame[columns[0]])
                    distinct = pd.DataFrame({columns[0]: pd.Series(values, dtype=str)})
                else:
                    # ngroup numbers groups by first appearance, as drop_duplicates keeps them.
                    codes = frame.groupby(columns, sort=False).ngroup().to_numpy()
                    distinct = frame[columns].drop_duplicates().reset_index(drop=True)
                self._cache[key] = (codes, joined(distinct, columns, first, separator),
                                    columns[0])
        return self._cache[key]


def fail(path: Path, table: Table, mask: np.ndarray, column: str | None, reason: str):
    """Raise BadFileError naming the first row of ``mask`` in the file ``column``
    came from (an order file joined to its lines names itself)."""
    first = int(np.flatnonzero(mask)[0])
    path, rows = table.located(path, column)
    raise BadFileError(path, reason, row=int(rows[first]), column=column)
