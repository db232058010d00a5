"""Import format presets (data files in resources/formats/) and user mappings.

A preset maps canonical fields to one or more columns of the export. Several
columns are joined (name = 姓 + 名, address = 都道府県 + 市区 + 番地 …), except
fields listed under ``"join": {field: "first"}`` which take the first non-empty.
Column names are matched whatever their width, case and spacing (detection.py),
and a preset lists other spellings of a column under ``aliases``.

Beyond fields, a preset may say: ``name_order`` ("given_first": its two-part names
are 名 姓); ``blank_values`` (cells that mean "none", EC-CUBE 2's 会員ID 0);
``rows`` (which rows are goods lines and which carry the order's shipping, fee or
discount, EC-CUBE 4's 明細区分); ``files`` (the files of a download that comes as
several, joined on the order number: Yahoo's 注文 + 商品); ``refuse`` (a report
recognised only to say which one to download instead); ``download`` (where the
admin screen offers the file) and ``source`` (where its real header row came from).
An export without lines maps ``order_amount`` (the order's goods subtotal) instead
of quantity and price.
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
    "email_consent": "メール配信の同意",
    "product_code": "商品コード",
    "product_name": "商品名",
    "unit_price": "単価（税込）",
    "unit_price_ex_tax": "単価（税抜）",
    "tax_rate": "税率（%）",
    "quantity": "数量",
    "line_amount": "小計（単価×数量）",
    "order_amount": "注文の商品合計（明細のない形式）",
    "shipping": "送料",
    "fee": "手数料",
    "points": "ポイント利用",
    "coupon": "クーポン・値引き",
}

# What every import needs; the goods amount comes from lines (quantity and a price)
# or, in an export without lines, from the order's goods subtotal.
REQUIRED = ("order_no", "ordered_at")
PRICE_FIELDS = ("unit_price", "line_amount", "unit_price_ex_tax")
# Fields that say who bought: a file with none of them cannot build customers.
BUYER_FIELDS = ("member_id", "name", "phone", "email")
# The order fields a charge row (送料, 手数料, 割引 …) can add to.
CHARGE_FIELDS = ("shipping", "fee", "points", "coupon")
# How joined columns are glued together; anything else is joined without a gap.
JOIN_SEPARATOR = {"name": " ", "kana": " ", "phone": "-", "ordered_at": " ", "address2": " "}


def missing_fields(fields) -> list[str]:
    """The canonical fields an import needs that ``fields`` lack: order number, date,
    and either quantity with a price (税抜 with its tax rate) or the order amount."""
    present = set(fields)
    missing = [f for f in REQUIRED if f not in present]
    prices = [f for f in PRICE_FIELDS if f in present and (
        f != "unit_price_ex_tax" or "tax_rate" in present)]
    if "quantity" in present and prices or "order_amount" in present:
        return missing
    if "quantity" not in present:
        missing.append("quantity")
    if not prices:
        missing.append("tax_rate" if "unit_price_ex_tax" in present else "unit_price")
    return missing


class UnknownFormatError(BadFileError):
    """No preset matches the header row; ``headers`` lets a front end offer a mapping
    (the GUI opens its mapping dialog, the command line takes a mapping file)."""

    def __init__(self, file, headers: list[str], reason: str | None = None):
        self.headers = headers
        shown = "、".join(headers[:8]) + ("…" if len(headers) > 8 else "")
        super().__init__(
            file, reason or f"どの形式の注文データか判別できません（見出し: {shown}）。"
                            "どの列が注文番号・日付・金額かを対応付けると取り込めます。", row=1)

    def __reduce__(self):
        return type(self), (self.file, self.headers, self.reason)


class AmbiguousFormatError(UnknownFormatError):
    """The header row fits two presets equally well; ``candidates`` are their names."""

    def __init__(self, file, headers: list[str], candidates: list["FormatPreset"]):
        self.candidates = [p.name for p in candidates]
        labels = "、".join(f"「{p.label}」" for p in candidates)
        super().__init__(file, headers, f"{labels}のどれの形式か見出しだけでは決められません。"
                                        "形式を選んでください。")

    def __reduce__(self):
        return _ambiguous, (self.file, self.headers, self.reason, self.candidates)


def _ambiguous(file, headers, reason, candidates):
    error = AmbiguousFormatError.__new__(AmbiguousFormatError)
    UnknownFormatError.__init__(error, file, headers, reason)
    error.candidates = candidates
    return error


class RefusedReportError(BadFileError):
    """A report Otokui recognises but cannot build customers from (Amazon's 未出荷の注文
    and 全注文レポート); the message says which report to download instead."""


@dataclass
class FilePart:
    """One file of a download that comes as several (Yahoo's 注文 and 商品)."""
    name: str
    label: str
    match: list[str]
    download: str = ""


@dataclass
class RowKinds:
    """Exports writing fees as rows: ``column`` says what a row is; rows with a
    ``goods`` value are lines, rows with a ``charges`` value add their amount to
    that order field; any other row (a tax row) is left out."""
    column: str
    goods: list[str]
    charges: dict[str, list[str]] = field(default_factory=dict)


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
    source: str = ""
    download: str = ""
    aliases: dict[str, list[str]] = field(default_factory=dict)
    # "given_first": two-part names are written 名 姓 and stored 姓 名.
    name_order: str = "family_first"
    blank_values: dict[str, list[str]] = field(default_factory=dict)
    rows: RowKinds | None = None
    files: list[FilePart] = field(default_factory=list)
    refuse: str = ""
    # Set on a preset bound to one file of a multi-file download: that file's part.
    part: str | None = None

    @classmethod
    def from_dict(cls, data: dict, *, origin: str, user: bool = False) -> "FormatPreset":
        try:
            fields = {k: [v] if isinstance(v, str) else list(v)
                      for k, v in data.get("fields", {}).items()}
            label = str(data.get("label", data["name"]))
            rows = data.get("rows")
            preset = cls(
                name=str(data["name"]), label=label,
                short_label=str(data.get("short_label") or label),
                match=list(data.get("match") or sorted({c for cs in fields.values() for c in cs})),
                fields=fields, cancelled_when=list(data.get("cancelled_when", [])),
                join=dict(data.get("join", {})), user=user,
                order_numbers=str(data.get("order_numbers", "reused")),
                returns=bool(data.get("returns", False)),
                source=str(data.get("source", "")), download=str(data.get("download", "")),
                aliases={k: list(v) for k, v in data.get("aliases", {}).items()},
                name_order=str(data.get("name_order", "family_first")),
                blank_values={k: list(v) for k, v in data.get("blank_values", {}).items()},
                rows=RowKinds(str(rows["column"]), list(rows["goods"]),
                              {k: list(v) for k, v in rows.get("charges", {}).items()})
                if rows else None,
                files=[FilePart(str(f["name"]), str(f["label"]), list(f["match"]),
                                str(f.get("download", ""))) for f in data.get("files", [])],
                refuse=str(data.get("refuse", "")))
        except (KeyError, TypeError, AttributeError) as exc:
            raise InvalidInputError(f"{origin}: 対応付けファイルの形が正しくありません（{exc}）。") from None
        preset._check(origin)
        return preset

    def _check(self, origin: str) -> None:
        unknown = (set(self.fields) | set(self.blank_values)
                   | set(self.rows.charges if self.rows else ())) - set(FIELDS)
        if unknown:
            raise InvalidInputError(f"{origin}: 知らない項目名があります: {', '.join(sorted(unknown))}。"
                                    f"使える項目: {', '.join(FIELDS)}")
        if self.rows and set(self.rows.charges) - set(CHARGE_FIELDS):
            raise InvalidInputError(f"{origin}: 明細区分で足せるのは {', '.join(CHARGE_FIELDS)} だけです。")
        if self.name_order not in ("family_first", "given_first"):
            raise InvalidInputError(f"{origin}: name_order は family_first か given_first です。")
        if self.order_numbers not in ("unique", "reused"):
            raise InvalidInputError(f"{origin}: order_numbers は unique か reused です。")
        missing = missing_fields(self.fields)
        if missing and not self.refuse:
            raise InvalidInputError(f"{origin}: 必須の項目が対応付けられていません: "
                                    + "、".join(FIELDS[m] for m in missing))

    def to_dict(self) -> dict:
        data = {"name": self.name, "label": self.label, "short_label": self.short_label,
                "match": self.match, "fields": self.fields,
                "cancelled_when": self.cancelled_when, "join": self.join,
                "order_numbers": self.order_numbers, "returns": self.returns}
        optional = {"source": self.source, "download": self.download, "aliases": self.aliases,
                    "blank_values": self.blank_values, "refuse": self.refuse,
                    "name_order": self.name_order if self.name_order != "family_first" else "",
                    "rows": self.rows and {"column": self.rows.column, "goods": self.rows.goods,
                                           "charges": self.rows.charges},
                    "files": [vars(part) for part in self.files]}
        data.update({key: value for key, value in optional.items() if value})
        return data

    def columns(self) -> set[str]:
        """Every column this preset reads (fields, the row kind, cancel rules)."""
        used = {c for cs in self.fields.values() for c in cs}
        used.update(rule["column"] for rule in self.cancelled_when if "column" in rule)
        if self.rows:
            used.add(self.rows.column)
        return used

    def file_part(self, name: str) -> FilePart:
        return next(part for part in self.files if part.name == name)


def builtin_presets() -> list[FormatPreset]:
    return [FormatPreset.from_dict(json.loads(entry.read_text(encoding="utf-8")), origin=entry.name)
            for entry in listing("formats", (".json",))]


def load_mapping_file(path: Path) -> FormatPreset:
    """A user mapping file (same JSON shape as the presets)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise NotFoundError(f"{path.name}: 対応付けファイルが見つかりません。") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInputError(f"{path.name}: 対応付けファイルをJSONとして読めません（{exc}）。") from None
    if not isinstance(data, dict):
        raise InvalidInputError(f"{path.name}: 対応付けファイルの形が正しくありません。")
    data.setdefault("name", path.stem)
    return FormatPreset.from_dict(data, origin=path.name, user=True)
