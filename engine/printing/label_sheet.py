"""Label sheets (ラベル用紙): the built-in A4 sheets, custom sheets and the printer offset.

Built-in sheets are data files in ``resources/labels/`` giving what the sheet's package
says: page size, grid (columns × rows) and label size in mm, plus the margins and pitch
when known. What a file leaves out is derived so the grid sits on the page like the
real sheets do:

- pitch (distance from one label's corner to the next) = the label size, i.e. labels
  touch each other, as on the common die-cut sheets without gaps;
- left margin = (page width − (columns − 1) × pitch − label width) / 2, and the same for
  the top, so the grid is centred on the page.

A4 12面 gives its top and left margins (21.2 / 18.6 mm, SPEC §6); 10面 becomes
left 18.6 / top 21.5, 21面 left 0 / top 0.45, 24面 left 6 / top 12.9. A sheet whose
package says otherwise is entered as a custom sheet, which takes every value in mm.

Custom sheets and the printer offset (calibration: how far the printer shifts what it
prints, in mm) are stored in the shop's settings.
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

from engine.errors import InvalidInputError, NotFoundError, OtokuiError
from engine.resources import listing
from engine.text import user_text

CUSTOM_KEY = "label_sheets_custom"
OFFSET_KEY = "label_print_offset"
MAX_OFFSET_MM = 10.0
DEFAULT_SHEET = "a4-12"
_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,40}")


@dataclass(frozen=True)
class Cell:
    """One label's rectangle on the page, in mm from the page's top-left corner."""
    index: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class LabelSheet:
    id: str
    name: str
    page_width: float
    page_height: float
    columns: int
    rows: int
    label_width: float
    label_height: float
    left: float
    top: float
    pitch_x: float
    pitch_y: float
    custom: bool = False

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    def cell(self, index: int) -> Cell:
        """The label at ``index`` on a page (0 = top left, then along the row)."""
        if not 0 <= index < self.per_page:
            raise InvalidInputError(f"開始位置は 1〜{self.per_page} の番号で指定してください。")
        row, column = divmod(index, self.columns)
        return Cell(index, round(self.left + column * self.pitch_x, 4),
                    round(self.top + row * self.pitch_y, 4), self.label_width,
                    self.label_height)

    def cells(self) -> list[Cell]:
        return [self.cell(i) for i in range(self.per_page)]

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("custom")
        return data

    @classmethod
    def from_dict(cls, data: dict, custom: bool = False) -> "LabelSheet":
        """Build and check a sheet; a missing pitch or margin is derived (see module doc).

        Accepts the resource-file form (``page``, ``grid``, ``label``, ``margin``,
        ``pitch`` lists) and the flat form of :meth:`to_dict`.
        """
        name = user_text(data.get("name"))
        try:
            page_w, page_h = _pair(data, "page", "page_width", "page_height", (210, 297))
            columns, rows = _pair(data, "grid", "columns", "rows")
            label_w, label_h = _pair(data, "label", "label_width", "label_height")
            pitch_x, pitch_y = _pair(data, "pitch", "pitch_x", "pitch_y", (label_w, label_h))
            margin = data.get("margin") or {}
            left = data.get("left", margin.get("left"))
            top = data.get("top", margin.get("top"))
            if not (columns.is_integer() and rows.is_integer() and columns >= 1 and rows >= 1):
                raise ValueError
            columns, rows = int(columns), int(rows)
            left = (page_w - (columns - 1) * pitch_x - label_w) / 2 if left is None else float(left)
            top = (page_h - (rows - 1) * pitch_y - label_h) / 2 if top is None else float(top)
        except (KeyError, TypeError, ValueError):
            raise InvalidInputError(f"ラベル用紙「{name or '名前なし'}」: 用紙・面数・ラベルの大きさを"
                              "数値で指定してください。") from None
        sheet = cls(str(data.get("id") or ""), name, page_w, page_h, columns, rows, label_w,
                    label_h, round(left, 4), round(top, 4), pitch_x, pitch_y, custom)
        sheet.check()
        return sheet

    def check(self) -> None:
        """Raise :class:`OtokuiError` (Japanese, naming the problem) if the sheet is impossible."""
        label = f"ラベル用紙「{self.name or self.id}」"
        if not _ID.fullmatch(self.id):
            raise InvalidInputError(f"{label}: IDは半角英小文字・数字・-・_ で付けてください（例: my-12）。")
        if not self.name:
            raise InvalidInputError(f"{label}: 名前を入力してください。")
        if min(self.page_width, self.page_height, self.label_width, self.label_height) <= 0:
            raise OtokuiError(f"{label}: 用紙とラベルの大きさは0より大きくしてください。")
        if self.pitch_x < self.label_width or self.pitch_y < self.label_height:
            raise InvalidInputError(f"{label}: ラベルの間隔（ピッチ）がラベルの大きさより小さいため、"
                              "ラベルが重なります。")
        if self.left < 0 or self.top < 0:
            raise InvalidInputError(f"{label}: 余白がマイナスです。ラベルが用紙からはみ出します。")
        right = self.left + (self.columns - 1) * self.pitch_x + self.label_width
        bottom = self.top + (self.rows - 1) * self.pitch_y + self.label_height
        if right > self.page_width + 1e-6:
            raise InvalidInputError(f"{label}: ラベルが用紙の右端を {right - self.page_width:.1f}mm "
                              "はみ出します。余白・ピッチ・列数を確認してください。")
        if bottom > self.page_height + 1e-6:
            raise InvalidInputError(f"{label}: ラベルが用紙の下端を {bottom - self.page_height:.1f}mm "
                              "はみ出します。余白・ピッチ・行数を確認してください。")


def _pair(data: dict, key: str, first: str, second: str, default=None) -> tuple[float, float]:
    if key in data:
        a, b = data[key]
    elif first in data or second in data:
        a, b = data[first], data[second]
    elif default is not None:
        a, b = default
    else:
        raise KeyError(key)
    return float(a), float(b)


def builtin_sheets() -> list[LabelSheet]:
    """The sheets shipped in ``resources/labels``, ordered by labels per page."""
    sheets = [LabelSheet.from_dict(json.loads(entry.read_text("utf-8")))
              for entry in listing("labels", (".json",))]
    return sorted(sheets, key=lambda s: (s.per_page, s.id))


class LabelSheets:
    """Built-in and custom sheets and the printer offset of one shop."""

    def __init__(self, settings):
        self.settings = settings

    def all(self) -> list[LabelSheet]:
        return builtin_sheets() + self.custom()

    def custom(self) -> list[LabelSheet]:
        return [LabelSheet.from_dict(d, custom=True) for d in self.settings.get(CUSTOM_KEY, [])]

    def get(self, sheet_id: str | None = None) -> LabelSheet:
        sheet_id = sheet_id or DEFAULT_SHEET
        for sheet in self.all():
            if sheet.id == sheet_id:
                return sheet
        known = "、".join(s.id for s in self.all())
        raise NotFoundError(f"ラベル用紙「{sheet_id}」はありません。使える用紙: {known}")

    def save_custom(self, data: dict) -> LabelSheet:
        """Add or replace a custom sheet (checked first); a built-in id cannot be reused."""
        sheet = LabelSheet.from_dict(data, custom=True)
        if any(s.id == sheet.id for s in builtin_sheets()):
            raise InvalidInputError(f"「{sheet.id}」は標準の用紙のIDです。別のIDを付けてください。")
        kept = [d for d in self.settings.get(CUSTOM_KEY, []) if d.get("id") != sheet.id]
        self.settings.set(CUSTOM_KEY, kept + [sheet.to_dict()])
        return sheet

    def delete_custom(self, sheet_id: str) -> None:
        kept = [d for d in self.settings.get(CUSTOM_KEY, []) if d.get("id") != sheet_id]
        self.settings.set(CUSTOM_KEY, kept)

    def offset(self) -> tuple[float, float]:
        """The printer offset (x right, y down) in mm; (0, 0) until calibrated."""
        stored = self.settings.get(OFFSET_KEY) or {}
        return float(stored.get("x", 0.0)), float(stored.get("y", 0.0))

    def set_offset(self, x: float, y: float) -> None:
        """Store the calibration: how far to shift everything printed (x right, y down, mm)
        to make up for a printer that feeds or prints off-centre."""
        try:
            x, y = float(x), float(y)
        except (TypeError, ValueError):
            raise InvalidInputError("印刷位置の補正は mm の数値で入力してください。") from None
        if abs(x) > MAX_OFFSET_MM or abs(y) > MAX_OFFSET_MM:
            raise InvalidInputError(f"印刷位置の補正は ±{MAX_OFFSET_MM:g}mm 以内で入力してください。")
        self.settings.set(OFFSET_KEY, {"x": x, "y": y})
