"""Follow-up e-mail text: a template per follow-up action with fields filled in
per customer, and the footer the law requires on every advertising e-mail.

A template is a subject and a body in which {氏名}, {姓}, {名}, {最終購入日},
{最終購入商品}, {おすすめ商品}, {購入回数} and {店名} are replaced for each customer. Templates
are kept per action (the 内容 of a follow-up rule); the shop edits them, the
bundled ones (resources/mail/templates.json) are the starting point, and an
action without a template of its own uses the common one.

The footer (特定電子メール法 §4: the sender's name, address and contact, and
where to say "stop") is not part of any template: it is added to every message,
so no edit can remove it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from engine.errors import InvalidInputError
from engine.resources import read_json
from engine.text import user_text

FIELDS = {
    "氏名": "お客様の氏名（姓と名）",
    "姓": "お客様の姓",
    "名": "お客様の名",
    "最終購入日": "最後にご購入いただいた日（例: 2025年3月1日）",
    "最終購入商品": "最後にご購入いただいた商品",
    "おすすめ商品": "最後にご購入いただいた商品の次によく買われている商品（ない場合は空欄）",
    "購入回数": "これまでのご購入回数",
    "店名": "送信者名（メール設定の店名）",
}
COMMON = ""          # the action key of the shop's common template
_FIELD = re.compile(r"\{([^{}\s]{1,20})\}")
# 「…（DM不可のためメールで代替）」: a substituted task uses its own action's template.
_SUBSTITUTED = re.compile(r"（[^（）]+不可のため[^（）]+で代替）$")
MAX_SUBJECT = 150
MAX_BODY = 20_000


@dataclass(frozen=True)
class Template:
    action: str            # COMMON for the common template
    subject: str
    body: str
    custom: bool = False   # edited by the shop (else bundled)


@dataclass(frozen=True)
class Sender:
    """Who sends: what the footer and the From header say."""
    name: str
    address: str           # postal address (所在地)
    contact: str           # phone or address for questions
    unsubscribe: str       # the e-mail address that takes 配信停止 requests


def base_action(action: str) -> str:
    """The rule's action of a task, without the note a substitution added."""
    return _SUBSTITUTED.sub("", action or "")


def bundled() -> dict[str, Template]:
    data = read_json("mail", "templates.json")
    found = {COMMON: Template(COMMON, **data["default"])}
    found.update({action: Template(action, **t) for action, t in data["templates"].items()})
    return found


def check(subject: str, body: str) -> tuple[str, str]:
    """The cleaned subject and body, or an error naming the unknown field."""
    subject, body = user_text(subject), (body or "").replace("\r\n", "\n").strip("\n")
    if not subject:
        raise InvalidInputError("件名を入力してください。")
    if "\n" in subject or len(subject) > MAX_SUBJECT:
        raise InvalidInputError(f"件名は1行・{MAX_SUBJECT}文字以内にしてください。")
    if not body.strip():
        raise InvalidInputError("本文を入力してください。")
    if len(body) > MAX_BODY:
        raise InvalidInputError(f"本文は{MAX_BODY:,}文字以内にしてください。")
    for where, text in (("件名", subject), ("本文", body)):
        for name in _FIELD.findall(text):
            if name not in FIELDS:
                raise InvalidInputError(
                    f"{where}の差し込み項目「{{{name}}}」はありません。使えるのは "
                    + "、".join(f"{{{f}}}" for f in FIELDS) + " です。")
    return subject, body


def customer_fields(name: str, last_date: str | None, last_product: str | None,
                    purchases: int, shop_name: str, recommended: str = "") -> dict[str, str]:
    """The values of FIELDS for one customer (words that read well when empty;
    {おすすめ商品} stays empty: no product name reads well in its place)."""
    name = " ".join((name or "").split())
    family, _, given = name.partition(" ")
    when = ""
    if last_date:
        year, month, day = (int(p) for p in str(last_date)[:10].split("-"))
        when = f"{year}年{month}月{day}日"
    return {"氏名": name or "お客", "姓": family or "お客", "名": given,
            "最終購入日": when or "前回", "最終購入商品": last_product or "ご購入の商品",
            "おすすめ商品": recommended or "", "購入回数": f"{int(purchases or 0):,}",
            "店名": shop_name}


def render(text: str, values: dict[str, str]) -> str:
    return _FIELD.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def footer(sender: Sender) -> str:
    """The part of every message no template can leave out."""
    return "\n".join([
        "",
        "――――――――――――――――――――",
        f"このメールは、{sender.name}でお買い物をされ、メールでのご案内を希望された方にお送りしています。",
        f"今後このようなメールが不要な方は、このメールにご返信いただくか {sender.unsubscribe} まで"
        "「配信停止」とお送りください。",
        f"送信者: {sender.name}",
        f"所在地: {sender.address}",
        f"お問い合わせ: {sender.contact}",
    ])
