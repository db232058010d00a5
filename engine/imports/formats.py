"""Import format presets (data files in resources/formats/) and user mappings.

A preset maps canonical fields to one or more columns of the export. Several
columns are joined (name = 姓 + 名, address = 都道府県 + 市区 + 番地 …), except
fields listed under ``"join": {field: "first"}`` which take the first non-empty.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import BadFileError, InvalidInputError, NotFoundError
from engine.resources import listing

# Canonical fields and their Japanese labels (mapping dialog, error messages).
FIELDS: dict[str, str] = {
    "order_no": "注文番号",
    "ordered_at": "注文日時",
    "status": "注文ステータス",
    "cancelled_at": "キャンセル日時",
    "member_id": "会員ID",
    "name": "氏名",
    "kana": "フリガナ",
    "postal_code": "郵便番号",
    "address1": "住所",
    "address2": "住所2（建物名）",
    "phone": "電話番号",
    "email": "メールアドレス",
    "product_code": "商品コード",
    "product_name": "商品名",
    "unit_price": "単価（税込）",
    "quantity": "数量",
    "line_amount": "小計（単価×数量）",
    "shipping": "送料",
    "fee": "手数料",
    "points": "ポイント利用",
    "coupon": "クーポン・値引き",
}

REQUIRED = ("order_no", "ordered_at", "quantity")
# How joined columns are glued together; anything else is joined without a gap.
JOIN_SEPARATOR = {"name": " ", "kana": " ", "phone": "-", "ordered_at": " ", "address2": " "}


class UnknownFormatError(BadFileError):
    """No preset matches the header row; ``headers`` lets the GUI offer a mapping."""

    def __init__(self, file, headers: list[str]):
        self.headers = headers
        shown = "、".join(headers[:8]) + ("…" if len(headers) > 8 else "")
        super().__init__(
            file, f"どの形式の注文データか判別できません（見出し: {shown}）。"
            "列の対応付けを指定してください（コマンドでは --mapping ファイル）。", row=1)


@dataclass
class FormatPreset:
    """``label`` names the export format (取込 tab); ``short_label`` names the shop the
    orders came from wherever an order's source is shown (楽天, Amazon …)."""
    name: str
    label: str
    match: list[str]
    fields: dict[str, list[str]]
    cancelled_when: list[dict] = field(default_factory=list)
    join: dict[str, str] = field(default_factory=dict)
    short_label: str = ""
    user: bool = False
    # "unique": the platform never reuses an order number (a clash is an error in
    # the file); "reused": a shop's own numbering may restart or two stores share
    # numbers, so another day or buyer under a known number is another order.
    order_numbers: str = "reused"
    # The source writes returns and discounts as negative lines.
    returns: bool = False

    @classmethod
    def from_dict(cls, data: dict, *, origin: str, user: bool = False) -> "FormatPreset":
        try:
            fields = {k: [v] if isinstance(v, str) else list(v)
                      for k, v in data["fields"].items()}
            label = str(data.get("label", data["name"]))
            preset = cls(name=str(data["name"]), label=label,
                         short_label=str(data.get("short_label") or label),
                         match=list(data.get("match") or sorted({c for cs in fields.values()
                                                                 for c in cs})),
                         fields=fields, cancelled_when=list(data.get("cancelled_when", [])),
                         join=dict(data.get("join", {})), user=user,
                         order_numbers=str(data.get("order_numbers", "reused")),
                         returns=bool(data.get("returns", False)))
        except (KeyError, TypeError, AttributeError) as exc:
            raise InvalidInputError(f"{origin}: 対応付けファイルの形が正しくありません（{exc}）。") from None
        unknown = set(preset.fields) - set(FIELDS)
        if unknown:
            raise InvalidInputError(f"{origin}: 知らない項目名があります: {', '.join(sorted(unknown))}。"
                              f"使える項目: {', '.join(FIELDS)}")
        missing = [f for f in ("order_no", "ordered_at", "quantity") if f not in preset.fields]
        if "unit_price" not in preset.fields and "line_amount" not in preset.fields:
            missing.append("unit_price")
        if missing:
            raise InvalidInputError(f"{origin}: 必須の項目が対応付けられていません: "
                              + "、".join(FIELDS[m] for m in missing))
        return preset

    def to_dict(self) -> dict:
        return {"name": self.name, "label": self.label, "short_label": self.short_label,
                "match": self.match, "fields": self.fields,
                "cancelled_when": self.cancelled_when, "join": self.join,
                "order_numbers": self.order_numbers, "returns": self.returns}

    def missing_columns(self, headers: list[str]) -> list[str]:
        present = set(headers)
        return [c for c in self.match if c not in present]


def builtin_presets() -> list[FormatPreset]:
    return [FormatPreset.from_dict(json.loads(entry.read_text(encoding="utf-8")), origin=entry.name)
            for entry in listing("formats", (".json",))]


def load_mapping_file(path: Path) -> FormatPreset:
    """A user mapping file (same JSON shape as the presets)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise NotFoundError(f"{Path(path).name}: 対応付けファイルが見つかりません。") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInputError(f"{Path(path).name}: 対応付けファイルをJSONとして読めません（{exc}）。") from None
    data.setdefault("name", Path(path).stem)
    return FormatPreset.from_dict(data, origin=Path(path).name, user=True)


class FormatRegistry:
    """Built-in presets plus the user's saved mappings (stored in settings)."""

    SETTING = "user_formats"
    FIELDS = FIELDS

    def __init__(self, settings):
        self.settings = settings
        self._builtin = builtin_presets()

    def presets(self) -> list[FormatPreset]:
        saved = self.settings.get(self.SETTING, []) or []
        return self._builtin + [FormatPreset.from_dict(d, origin="保存済みの形式", user=True)
                                for d in saved]

    def source_labels(self) -> dict[str, str]:
        """Every preset's short label by name: what an order's ``source`` is shown as."""
        return {preset.name: preset.short_label for preset in self.presets()}

    def by_name(self, name: str) -> FormatPreset:
        for preset in self.presets():
            if preset.name == name:
                return preset
        names = ", ".join(p.name for p in self.presets())
        raise NotFoundError(f"形式「{name}」はありません。使える形式: {names}")

    def detect(self, file, headers: list[str]) -> FormatPreset:
        """The most specific preset whose match columns are all in the header row."""
        candidates = [p for p in self.presets() if not p.missing_columns(headers)]
        if not candidates:
            raise UnknownFormatError(file, headers)
        return max(candidates, key=lambda p: (len(p.match), p.user))

    def save_user_preset(self, label: str, headers: list[str],
                         field_map: dict[str, list[str]]) -> FormatPreset:
        """Save a mapping made in the GUI; files with these headers are recognised next time."""
        existing = self.settings.get(self.SETTING, []) or []
        saved = [d for d in existing if d["label"] != label]
        used = sorted({c for cols in field_map.values() for c in cols})
        # A preset saved again under its label keeps its name: orders store it as their source.
        same = [d["name"] for d in existing if d["label"] == label]
        numbers = [int(d["name"][5:]) for d in existing if d["name"][5:].isdigit()]
        name = same[0] if same else f"user_{max(numbers, default=0) + 1}"
        preset = FormatPreset.from_dict(
            {"name": name, "label": label, "match": [h for h in headers if h in used],
             "fields": field_map}, origin=label, user=True)
        self.settings.set(self.SETTING, saved + [preset.to_dict()])
        return preset

    def forget_user_preset(self, name: str) -> None:
        """Remove a saved mapping (the GUI does so when the first import with it fails)."""
        saved = [d for d in (self.settings.get(self.SETTING, []) or []) if d["name"] != name]
        if saved:
            self.settings.set(self.SETTING, saved)
        else:
            self.settings.delete(self.SETTING)
