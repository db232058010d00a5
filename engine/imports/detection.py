"""Which preset a file is, from its header row, and the preset bound to that file.

Header names are compared by a key (NFKC, case-folded, without whitespace), so
楽天's 注文者郵便番号１, Shopify's Lineitem SKU and a template's "Billing  Name" all
meet the preset's spelling; a preset lists other spellings under ``aliases``.
Each preset (or each file of a multi-file download) is scored by the share of its
``match`` columns present; the best usable one wins, a user's saved mapping before
a built-in preset, and a real tie between presets is asked about. Binding rewrites
the preset's column names to the file's own spellings, once per file, so the rest
of the pipeline (and every error message) names the columns as the file does.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace

from engine.errors import BadFileError
from engine.imports.formats import (BUYER_FIELDS, FIELDS, AmbiguousFormatError, FilePart,
                                    FormatPreset,
                                    RefusedReportError, RowKinds, UnknownFormatError,
                                    missing_fields)

# Share of a preset's match columns a file must have: a shop's template may leave
# some out, but a file with fewer than this is another layout.
MIN_SHARE = 0.6


def header_key(header: str) -> str:
    """What two spellings of one column have in common: width, case, spaces aside."""
    return "".join(unicodedata.normalize("NFKC", header).casefold().split())


class HeaderIndex:
    """A file's header row, normalised once: finds a column by any spelling."""

    def __init__(self, headers: list[str]):
        self.headers = headers
        self._by_key: dict[str, str] = {}
        for header in headers:
            self._by_key.setdefault(header_key(header), header)

    def find(self, column: str, aliases=()) -> str | None:
        """The file's spelling of ``column`` (or of one of its ``aliases``)."""
        for spelling in (column, *aliases):
            found = self._by_key.get(header_key(spelling))
            if found is not None:
                return found
        return None

    def share(self, preset: FormatPreset, match: list[str]) -> tuple[float, int]:
        """The share and number of ``match`` columns this file has."""
        found = sum(self.find(c, preset.aliases.get(c, ())) is not None for c in match)
        return (found / len(match) if match else 0.0), found


def bind(preset: FormatPreset, headers: list[str] | HeaderIndex,
         part: str | None = None) -> FormatPreset:
    """``preset`` reading this file: its columns in the file's spelling, the ones the
    file lacks left out (``missing_columns`` tells whether that matters)."""
    index = headers if isinstance(headers, HeaderIndex) else HeaderIndex(headers)

    def spelled(column: str) -> str | None:
        return index.find(column, preset.aliases.get(column, ()))

    fields = {}
    for name, columns in preset.fields.items():
        present = [s for s in map(spelled, columns) if s is not None]
        if present:
            fields[name] = present
    rules = [rule if "column" not in rule else {**rule, "column": spelled(rule["column"])}
             for rule in preset.cancelled_when]
    rows = preset.rows
    if rows is not None:
        rows = RowKinds(spelled(rows.column) or "", rows.goods, rows.charges)
    return replace(preset, fields=fields, rows=rows, part=part, aliases={},
                   match=[s for s in map(spelled, preset.match) if s is not None],
                   cancelled_when=[r for r in rules if r.get("column", "") is not None])


def missing_columns(preset: FormatPreset, bound: FormatPreset) -> list[str]:
    """Columns of ``preset`` that the file bound in ``bound`` lacks and an import
    needs: the required fields', and the row-kind column of a preset with one."""
    missing = [preset.fields[f][0] if f in preset.fields else FIELDS[f]
               for f in missing_fields(bound.fields)]
    if preset.rows is not None and not bound.rows.column:
        missing.append(preset.rows.column)
    return missing


def require_columns(file, preset: FormatPreset, bound: FormatPreset) -> None:
    """Raise BadFileError when the file lacks a column the preset needs, or every
    column that says who bought."""
    missing = missing_columns(preset, bound)
    if missing:
        raise BadFileError(file, f"「{preset.label}」の形式に必要な列がありません: "
                                 + "、".join(missing), row=1)
    if not any(f in bound.fields for f in BUYER_FIELDS):
        raise BadFileError(file, "購入者を表す列（氏名・電話番号・メールアドレス・会員ID）が"
                                 "ひとつもないため、顧客を作れません。", row=1)


# What only an order export has: an order's number and date, and who bought.
ORDER_FIELDS = ("order_no", "ordered_at", *BUYER_FIELDS)


def order_columns(presets: list[FormatPreset], headers: list[str]) -> set[str]:
    """The columns of this header row that some preset reads as an order's number
    or date or as its buyer: a file without any is no order export."""
    index = HeaderIndex(headers)
    found: set[str] = set()
    for preset in presets:
        bound = bind(preset, index)
        for field in ORDER_FIELDS:
            found.update(bound.fields.get(field, ()))
    return found


def part_of(preset: FormatPreset, headers: list[str]) -> str | None:
    """Which file of ``preset``'s download this header row is: None for a one-file
    preset, or for a file with its lines and their dates (the download in one file)."""
    if not preset.files or not missing_fields(set(bind(preset, headers).fields) - {"order_amount"}):
        return None
    index = HeaderIndex(headers)
    return max((index.share(preset, part.match), part.name) for part in preset.files)[1]


@dataclass
class _Candidate:
    preset: FormatPreset
    part: FilePart | None
    share: float
    found: int

    def rank(self) -> tuple:
        return self.share, self.preset.user, self.found


def detect(presets: list[FormatPreset], file, headers: list[str]) -> FormatPreset:
    """The preset this header row is, bound to the file (``part`` set for one file of
    a multi-file download). Raises RefusedReportError for a report recognised only
    to be refused, AmbiguousFormatError on a real tie, else UnknownFormatError."""
    index = HeaderIndex(headers)
    for preset in presets:
        if preset.refuse and index.share(preset, preset.match)[0] == 1.0:
            raise RefusedReportError(file, preset.refuse, row=1)
    candidates, near = [], []
    for preset in presets:
        if preset.refuse:
            continue
        for part in preset.files or [None]:
            share, found = index.share(preset, part.match if part else preset.match)
            if share < MIN_SHARE:
                continue
            usable = part is not None or not missing_columns(preset, bind(preset, index))
            (candidates if usable else near).append(_Candidate(preset, part, share, found))
    if not candidates:
        raise _unknown(file, headers, near)
    best = max(c.rank() for c in candidates)
    top = [c for c in candidates if c.rank() == best]
    if len({c.preset.name for c in top}) > 1:
        raise AmbiguousFormatError(file, headers, [c.preset for c in top])
    chosen = top[0].preset
    return bind(chosen, index, part_of(chosen, headers))


def _unknown(file, headers: list[str], near: list[_Candidate]) -> UnknownFormatError:
    if not near:
        return UnknownFormatError(file, headers)
    closest = max(near, key=_Candidate.rank).preset
    missing = "、".join(missing_columns(closest, bind(closest, headers)))
    return UnknownFormatError(
        file, headers, f"「{closest.label}」の形式に似ていますが、必要な列（{missing}）がありません。"
                       "出力する項目に加えてダウンロードし直すか、列を対応付けてください。")
