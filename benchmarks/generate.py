"""Generate a large, realistic Rakuten order export (楽天ペイ受注 layout, cp932).

    python benchmarks/generate.py OUT.csv [--lines 1000000] [--seed 7]

The shop it describes has ten years of history and grows over time; about 0.35
distinct customers per order line; repeat customers with a heavy-tailed purchase
count (most buy once, a few hundred times); multi-line orders; some
cancellations; customers who move (same phone, new address) or change phone
(same name and postal code); names, kana and addresses with characters only
cp932 has (髙, 﨑, ①, №, ～), half-width kana and full-width digits in places.
The same seed always gives the same bytes. Rows are generated and written in
chunks, so memory stays small whatever the size.
"""
from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HEADERS = [
    "注文番号", "ステータス", "注文日時", "注文日", "注文時間", "商品合計金額", "送料合計", "合計金額",
    "注文者郵便番号1", "注文者郵便番号2", "注文者住所都道府県", "注文者住所郡市区",
    "注文者住所それ以降の住所", "注文者姓", "注文者名", "注文者姓カナ", "注文者名カナ",
    "注文者電話番号1", "注文者電話番号2", "注文者電話番号3", "注文者メールアドレス", "注文者性別",
    "送付先郵便番号1", "送付先郵便番号2", "送付先住所都道府県", "送付先住所郡市区",
    "送付先住所それ以降の住所", "送付先姓", "送付先名", "商品明細ID", "商品ID", "商品名", "商品番号",
    "商品管理番号", "単価", "個数",
]

SURNAMES = [
    ("佐藤", "サトウ"), ("鈴木", "スズキ"), ("高橋", "タカハシ"), ("髙橋", "タカハシ"), ("田中", "タナカ"),
    ("伊藤", "イトウ"), ("渡辺", "ワタナベ"), ("渡邉", "ワタナベ"), ("山本", "ヤマモト"), ("中村", "ナカムラ"),
    ("小林", "コバヤシ"), ("加藤", "カトウ"), ("吉田", "ヨシダ"), ("山田", "ヤマダ"), ("佐々木", "ササキ"),
    ("山口", "ヤマグチ"), ("松本", "マツモト"), ("井上", "イノウエ"), ("木村", "キムラ"), ("林", "ハヤシ"),
    ("斎藤", "サイトウ"), ("齋藤", "サイトウ"), ("清水", "シミズ"), ("山﨑", "ヤマザキ"), ("山崎", "ヤマザキ"),
    ("森", "モリ"), ("池田", "イケダ"), ("橋本", "ハシモト"), ("阿部", "アベ"), ("石川", "イシカワ"),
    ("山下", "ヤマシタ"), ("中島", "ナカジマ"), ("石井", "イシイ"), ("小川", "オガワ"), ("前田", "マエダ"),
    ("岡田", "オカダ"), ("長谷川", "ハセガワ"), ("藤田", "フジタ"), ("後藤", "ゴトウ"), ("近藤", "コンドウ"),
    ("村上", "ムラカミ"), ("遠藤", "エンドウ"), ("青木", "アオキ"), ("坂本", "サカモト"), ("斉藤", "サイトウ"),
    ("福田", "フクダ"), ("太田", "オオタ"), ("西村", "ニシムラ"), ("藤井", "フジイ"), ("金子", "カネコ"),
    ("岡本", "オカモト"), ("藤原", "フジワラ"), ("中野", "ナカノ"), ("三浦", "ミウラ"), ("原田", "ハラダ"),
    ("中川", "ナカガワ"), ("松田", "マツダ"), ("竹内", "タケウチ"), ("小野", "オノ"), ("田村", "タムラ"),
    ("中山", "ナカヤマ"), ("和田", "ワダ"), ("石田", "イシダ"), ("森田", "モリタ"), ("上田", "ウエダ"),
    ("原", "ハラ"), ("内田", "ウチダ"), ("柴田", "シバタ"), ("酒井", "サカイ"), ("宮崎", "ミヤザキ"),
    ("宮﨑", "ミヤザキ"), ("横山", "ヨコヤマ"), ("高木", "タカギ"), ("髙木", "タカギ"), ("安藤", "アンドウ"),
    ("宮本", "ミヤモト"), ("大野", "オオノ"), ("小島", "コジマ"), ("谷口", "タニグチ"), ("工藤", "クドウ"),
    ("今井", "イマイ"), ("高田", "タカダ"), ("増田", "マスダ"), ("丸山", "マルヤマ"), ("杉山", "スギヤマ"),
    ("村田", "ムラタ"), ("大塚", "オオツカ"), ("新井", "アライ"), ("小山", "コヤマ"), ("平野", "ヒラノ"),
    ("藤本", "フジモト"), ("河野", "コウノ"), ("上野", "ウエノ"), ("野口", "ノグチ"), ("武田", "タケダ"),
    ("松井", "マツイ"), ("千葉", "チバ"), ("岩崎", "イワサキ"), ("菅原", "スガワラ"), ("木下", "キノシタ"),
    ("久保", "クボ"), ("佐野", "サノ"), ("野村", "ノムラ"), ("松尾", "マツオ"), ("菊地", "キクチ"),
    ("杉本", "スギモト"), ("市川", "イチカワ"), ("古川", "フルカワ"), ("大西", "オオニシ"), ("島田", "シマダ"),
    ("德永", "トクナガ"), ("濵田", "ハマダ"), ("國分", "コクブン"), ("邊見", "ヘンミ"), ("櫻井", "サクライ"),
]
GIVEN = [
    ("翔太", "ショウタ", "男"), ("大輔", "ダイスケ", "男"), ("健一", "ケンイチ", "男"), ("直樹", "ナオキ", "男"),
    ("拓也", "タクヤ", "男"), ("学", "マナブ", "男"), ("洋介", "ヨウスケ", "男"), ("智也", "トモヤ", "男"),
    ("太一", "タイチ", "男"), ("涼平", "リョウヘイ", "男"), ("和也", "カズヤ", "男"), ("淳", "ジュン", "男"),
    ("誠", "マコト", "男"), ("浩二", "コウジ", "男"), ("隆", "タカシ", "男"), ("修", "オサム", "男"),
    ("悠真", "ユウマ", "男"), ("蓮", "レン", "男"), ("陽翔", "ハルト", "男"), ("大翔", "ヒロト", "男"),
    ("一郎", "イチロウ", "男"), ("正雄", "マサオ", "男"), ("勝", "マサル", "男"), ("清", "キヨシ", "男"),
    ("裕子", "ユウコ", "女"), ("美香", "ミカ", "女"), ("恵子", "ケイコ", "女"), ("陽子", "ヨウコ", "女"),
    ("さゆり", "サユリ", "女"), ("由美", "ユミ", "女"), ("真由美", "マユミ", "女"), ("久美子", "クミコ", "女"),
    ("明美", "アケミ", "女"), ("七海", "ナナミ", "女"), ("結衣", "ユイ", "女"), ("愛", "アイ", "女"),
    ("彩", "アヤ", "女"), ("美咲", "ミサキ", "女"), ("花子", "ハナコ", "女"), ("幸子", "サチコ", "女"),
    ("和子", "カズコ", "女"), ("京子", "キョウコ", "女"), ("直美", "ナオミ", "女"), ("智子", "トモコ", "女"),
    ("優子", "ユウコ", "女"), ("麻衣", "マイ", "女"), ("千尋", "チヒロ", "女"), ("葵", "アオイ", "女"),
    ("陽菜", "ヒナ", "女"), ("凛", "リン", "女"), ("芽依", "メイ", "女"), ("さくら", "サクラ", "女"),
    ("瑞穂", "ミズホ", "女"), ("舞", "マイ", "女"), ("香織", "カオリ", "女"), ("綾乃", "アヤノ", "女"),
    ("敦子", "アツコ", "女"), ("純子", "ジュンコ", "女"), ("節子", "セツコ", "女"), ("弘美", "ヒロミ", "女"),
]
PREFECTURES = [
    ("北海道", ["札幌市中央区", "旭川市", "函館市"]), ("宮城県", ["仙台市青葉区", "石巻市"]),
    ("埼玉県", ["さいたま市浦和区", "川口市", "所沢市"]), ("千葉県", ["千葉市美浜区", "船橋市", "長生郡白子町"]),
    ("東京都", ["世田谷区", "練馬区", "品川区", "西多摩郡瑞穂町", "八王子市"]),
    ("神奈川県", ["横浜市青葉区", "川崎市多摩区", "相模原市中央区", "藤沢市"]),
    ("新潟県", ["新潟市中央区", "長岡市"]), ("静岡県", ["静岡市葵区", "浜松市中区"]),
    ("愛知県", ["名古屋市千種区", "豊田市", "岡崎市"]), ("京都府", ["京都市左京区", "宇治市"]),
    ("大阪府", ["大阪市北区", "堺市堺区", "豊中市", "東大阪市"]), ("兵庫県", ["神戸市中央区", "姫路市", "西宮市"]),
    ("広島県", ["広島市中区", "福山市"]), ("福岡県", ["福岡市博多区", "北九州市小倉北区", "久留米市"]),
    ("熊本県", ["熊本市中央区"]), ("沖縄県", ["那覇市", "島尻郡与那原町"]),
]
TOWNS = ["丸の内", "東上野", "港南", "浅草橋", "幸手", "羽折町", "南郷屋", "東和町", "上吉羽", "方京",
         "本町", "栄町", "緑が丘", "桜台", "旭町", "中央", "霞ケ丘", "花園", "若葉", "曙町"]
BUILDINGS = ["コーポ", "ハイツ", "メゾン", "パレス", "アーバン", "シティ", "グランド", "レジデンス"]
PRODUCT_KINDS = [("青汁", 3980), ("酵素ドリンク", 4980), ("サプリメント", 2980), ("化粧水", 1980),
                 ("洗顔フォーム", 1280), ("ハンドクリーム", 980), ("美容液", 5500), ("黒酢", 3240),
                 ("ルイボスティー", 1620), ("プロテイン", 4320)]
START = np.datetime64("2016-01-01")
END = np.datetime64("2026-01-01")
CHUNK = 100_000
_HALF_KANA = str.maketrans(
    "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲンー",
    "ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜｦﾝｰ")
_FULL_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


def _pick(rng: np.random.Generator, values: list, n: int, zipf: float = 0.0) -> np.ndarray:
    """``n`` picks from ``values``, uniformly or with a Zipf-like skew."""
    weights = 1.0 / np.arange(1, len(values) + 1) ** zipf
    index = rng.choice(len(values), size=n, p=weights / weights.sum())
    return np.asarray(values, dtype=object)[index]


def _join(*parts) -> np.ndarray:
    """Element-wise string concatenation of arrays and scalars."""
    out = None
    for part in parts:
        if not isinstance(part, str):
            part = pd.Series(np.asarray(part)).astype(str)
        out = part if out is None else out + part
    return out.to_numpy(dtype=object)


def _addresses(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    pref_index = rng.choice(len(PREFECTURES), size=n)
    prefecture = np.array([p for p, _ in PREFECTURES], dtype=object)[pref_index]
    cities = np.empty(n, dtype=object)
    for i, (_, names) in enumerate(PREFECTURES):
        mask = pref_index == i
        cities[mask] = np.asarray(names, dtype=object)[rng.integers(0, len(names), mask.sum())]
    street = _join(_pick(rng, TOWNS, n), rng.integers(1, 40, n), "丁目",
                   rng.integers(1, 30, n), "番", rng.integers(1, 25, n), "号")
    # Buildings: plain room numbers, circled numbers (①…⑩) and 〜/№ that only cp932 holds.
    kind = rng.random(n)
    building = np.full(n, "", dtype=object)
    room = rng.integers(101, 999, n).astype(str)
    plain = kind < 0.30
    building[plain] = _join(" ", _pick(rng, BUILDINGS, plain.sum()), " ", room[plain])
    circled = (kind >= 0.30) & (kind < 0.34)
    building[circled] = _join(" ", _pick(rng, BUILDINGS, circled.sum()),
                              _pick(rng, list("①②③④⑤⑥⑦⑧⑨⑩"), circled.sum()), "号館")
    numbered = (kind >= 0.34) & (kind < 0.36)
    building[numbered] = _join(" 第", _pick(rng, BUILDINGS, numbered.sum()), "№",
                               rng.integers(1, 9, numbered.sum()))
    postal = rng.integers(100_0000, 999_9999, n)
    return {"postal1": (postal // 10000).astype(str).astype(object),
            "postal2": np.char.zfill((postal % 10000).astype(str), 4).astype(object),
            "prefecture": prefecture, "city": cities, "street": _join(street, building)}


def _phones(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mobile = rng.random(n) < 0.7
    first = np.where(mobile, _pick(rng, ["090", "080", "070"], n),
                     _pick(rng, ["03", "06", "045", "052", "011", "092", "0120"], n)).astype(object)
    second = rng.integers(1000, 9999, n).astype(str).astype(object)
    third = rng.integers(0, 9999, n)
    third = np.char.zfill(third.astype(str), 4).astype(object)
    # A few customers typed their number in full-width digits.
    wide = rng.random(n) < 0.02
    for part in (first, second, third):
        part[wide] = [p.translate(_FULL_DIGITS) for p in part[wide]]
    return first, second, third


def _customers(rng: np.random.Generator, n: int) -> pd.DataFrame:
    surname = rng.choice(len(SURNAMES), size=n, p=_zipf_weights(len(SURNAMES), 0.6))
    given = rng.choice(len(GIVEN), size=n)
    frame = pd.DataFrame({
        "surname": np.array([s for s, _ in SURNAMES], dtype=object)[surname],
        "surname_kana": np.array([k for _, k in SURNAMES], dtype=object)[surname],
        "given": np.array([g for g, _, _ in GIVEN], dtype=object)[given],
        "given_kana": np.array([k for _, k, _ in GIVEN], dtype=object)[given],
        "sex": np.array([s for _, _, s in GIVEN], dtype=object)[given],
    })
    half = rng.random(n) < 0.03
    for column in ("surname_kana", "given_kana"):
        frame.loc[half, column] = [k.translate(_HALF_KANA) for k in frame.loc[half, column]]
    for key, values in _addresses(rng, n).items():
        frame[key] = values
    frame["phone1"], frame["phone2"], frame["phone3"] = _phones(rng, n)
    return frame


def _zipf_weights(n: int, power: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** power
    return weights / weights.sum()


def _orders_per_customer(rng: np.random.Generator, n: int) -> np.ndarray:
    """Heavy tail: ~3 in 4 buy once, a few a hundred times or more (Zipf, capped)."""
    return np.minimum(rng.zipf(2.5, size=n), 400)


def plan(lines: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Customers, orders (sorted by time, numbered) and lines per order."""
    rng = np.random.default_rng(seed)
    # Trimming to the exact line count drops ~8% of planned customers.
    n_customers = max(1, round(lines * 0.38))
    customers = _customers(rng, n_customers)
    counts = _orders_per_customer(rng, n_customers)
    owner = np.repeat(np.arange(n_customers), counts)
    per_order = 1 + rng.choice(5, size=len(owner), p=[0.62, 0.23, 0.09, 0.04, 0.02])
    # Shuffle before trimming so trimming does not favour any kind of customer.
    order = rng.permutation(len(owner))
    owner, per_order = owner[order], per_order[order]
    total = np.cumsum(per_order)
    keep = int(np.searchsorted(total, lines, side="left")) + 1
    owner, per_order = owner[:keep].copy(), per_order[:keep].copy()
    per_order[-1] -= int(per_order.sum()) - lines
    # The shop grows: first purchases lean towards recent years.
    span_days = int((END - START).astype(int))
    first_day = (np.sqrt(rng.random(n_customers)) * span_days).astype("int64")
    active_days = np.minimum(rng.exponential(90, n_customers) * np.maximum(counts, 1) ** 0.8,
                             span_days - first_day)
    rank = pd.Series(owner).groupby(owner).cumcount().to_numpy()
    offset = np.where(rank == 0, 0, rng.random(len(owner)) * active_days[owner])
    seconds = rng.integers(0, 86400, len(owner))
    when = (START + (first_day[owner] + offset.astype("int64")).astype("timedelta64[D]")
            ).astype("datetime64[s]") + seconds.astype("timedelta64[s]")
    status = np.where(rng.random(len(owner)) < 0.03, "キャンセル確定", "発送済").astype(object)
    status[when > END - np.timedelta64(3, "D")] = "処理中"
    orders = pd.DataFrame({"customer": owner, "lines": per_order, "when": when,
                           "status": status}).sort_values("when", kind="stable")
    orders = orders.reset_index(drop=True)
    orders["number"] = np.arange(1, len(orders) + 1)
    _life_changes(rng, customers, orders)
    return customers, orders, counts


def _life_changes(rng: np.random.Generator, customers: pd.DataFrame,
                  orders: pd.DataFrame) -> None:
    """Some repeat customers move (new address, same phone) or change phone (same
    name and postal code) halfway through their history: identity must follow."""
    n = len(customers)
    rank = orders.groupby("customer").cumcount().to_numpy()
    size = orders.groupby("customer")["customer"].transform("size").to_numpy()
    later = rank >= np.maximum(size // 2, 1)
    roll = rng.random(n)
    moved = later & (roll[orders["customer"]] < 0.06)
    rephoned = later & (roll[orders["customer"]] >= 0.06) & (roll[orders["customer"]] < 0.10)
    orders["variant"] = np.where(moved, 1, np.where(rephoned, 2, 0))
    new_address = _addresses(rng, n)
    p1, p2, p3 = _phones(rng, n)
    for key, values in new_address.items():
        customers["moved_" + key] = values
    customers["new_phone1"], customers["new_phone2"], customers["new_phone3"] = p1, p2, p3


def _products(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for number in range(1, 241):
        kind, base = PRODUCT_KINDS[number % len(PRODUCT_KINDS)]
        price = base * (1 + number % 3) if number % 7 else base
        rows.append((f"SKU-{number:04d}", f"{kind} {number}", price))
    return pd.DataFrame(rows, columns=["code", "name", "price"])


def _render(rng: np.random.Generator, customers: pd.DataFrame, orders: pd.DataFrame,
            products: pd.DataFrame, shop_id: str) -> pd.DataFrame:
    """One chunk of orders → their line rows, in the export's columns."""
    lines = orders.loc[orders.index.repeat(orders["lines"])].reset_index(drop=True)
    line_no = lines.groupby("number").cumcount().to_numpy() + 1
    product = rng.choice(len(products), size=len(lines), p=_zipf_weights(len(products), 1.1))
    quantity = 1 + rng.choice(4, size=len(lines), p=[0.7, 0.18, 0.08, 0.04])
    price = products["price"].to_numpy()[product]
    amount = pd.Series(price * quantity).groupby(lines["number"].to_numpy()).transform("sum")
    amount = amount.to_numpy()
    shipping = np.where(amount >= 3980, 0, 550)
    who = customers.iloc[lines["customer"].to_numpy()].reset_index(drop=True)
    variant = lines["variant"].to_numpy()
    addr = {k: who[k].to_numpy(dtype=object).copy()
            for k in ("postal1", "postal2", "prefecture", "city", "street")}
    phone = {k: who[k].to_numpy(dtype=object).copy() for k in ("phone1", "phone2", "phone3")}
    for k in addr:
        addr[k][variant == 1] = who["moved_" + k].to_numpy(dtype=object)[variant == 1]
    for k in phone:
        phone[k][variant == 2] = who["new_" + k].to_numpy(dtype=object)[variant == 2]
    stamp = pd.Series(lines["when"].to_numpy())
    day, clock = stamp.dt.strftime("%Y-%m-%d"), stamp.dt.strftime("%H:%M:%S")
    order_no = _join(shop_id + "-", stamp.dt.strftime("%Y%m%d"), "-",
                     np.char.zfill(lines["number"].to_numpy().astype(str), 7))
    mask = _mask_emails(lines["number"].to_numpy(), seed=int(shop_id))
    code = products["code"].to_numpy(dtype=object)[product]
    frame = pd.DataFrame({
        "注文番号": order_no, "ステータス": lines["status"].to_numpy(),
        "注文日時": _join(day, " ", clock), "注文日": day, "注文時間": clock,
        "商品合計金額": amount, "送料合計": shipping, "合計金額": amount + shipping,
        "注文者郵便番号1": addr["postal1"], "注文者郵便番号2": addr["postal2"],
        "注文者住所都道府県": addr["prefecture"], "注文者住所郡市区": addr["city"],
        "注文者住所それ以降の住所": addr["street"], "注文者姓": who["surname"].to_numpy(),
        "注文者名": who["given"].to_numpy(), "注文者姓カナ": who["surname_kana"].to_numpy(),
        "注文者名カナ": who["given_kana"].to_numpy(), "注文者電話番号1": phone["phone1"],
        "注文者電話番号2": phone["phone2"], "注文者電話番号3": phone["phone3"],
        "注文者メールアドレス": mask, "注文者性別": who["sex"].to_numpy(),
    })
    frame["送付先郵便番号1"] = frame["注文者郵便番号1"]
    frame["送付先郵便番号2"] = frame["注文者郵便番号2"]
    frame["送付先住所都道府県"] = frame["注文者住所都道府県"]
    frame["送付先住所郡市区"] = frame["注文者住所郡市区"]
    frame["送付先住所それ以降の住所"] = frame["注文者住所それ以降の住所"]
    frame["送付先姓"] = frame["注文者姓"]
    frame["送付先名"] = frame["注文者名"]
    frame["商品明細ID"] = _join(order_no, "-", line_no)
    frame["商品ID"] = code
    frame["商品名"] = products["name"].to_numpy(dtype=object)[product]
    frame["商品番号"] = pd.Series(code).str.lower().to_numpy()
    frame["商品管理番号"] = code
    frame["単価"] = price
    frame["個数"] = quantity
    return frame[HEADERS]


def _mask_emails(numbers: np.ndarray, seed: int) -> np.ndarray:
    """Rakuten's per-order relay address: 16 hex digits, stable per order."""
    mixed = (numbers.astype("uint64") * np.uint64(0x9E3779B97F4A7C15)) ^ np.uint64(seed)
    return _join(pd.Series(mixed).map("{:016x}".format), "@pc.fw.rakuten.ne.jp")


def generate(out: Path, lines: int, seed: int = 7, shop_id: str = "123456",
             progress=None) -> dict:
    """Write the export; returns its shape (lines, orders, customers planned)."""
    customers, orders, _ = plan(lines, seed)
    products = _products(np.random.default_rng(seed + 1))
    rng = np.random.default_rng(seed + 2)
    bounds = np.searchsorted(np.cumsum(orders["lines"].to_numpy()),
                             np.arange(CHUNK, lines + CHUNK, CHUNK), side="left") + 1
    start = 0
    with open(out, "w", encoding="cp932", newline="") as handle:
        for i, stop in enumerate(bounds):
            chunk = orders.iloc[start:stop]
            if chunk.empty:
                break
            frame = _render(rng, customers, chunk, products, shop_id)
            frame.to_csv(handle, index=False, header=(start == 0), quoting=csv.QUOTE_ALL,
                         lineterminator="\r\n")
            start = stop
            if progress:
                progress(min(1.0, (i + 1) / len(bounds)))
    return {"lines": lines, "orders": len(orders),
            "customers": int(orders["customer"].nunique())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="the CSV file to write")
    parser.add_argument("--lines", type=int, default=1_000_000, help="order lines (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (same seed, same file)")
    args = parser.parse_args(argv)
    shape = generate(args.out, args.lines, args.seed)
    print(f"{args.out}: {shape['lines']:,} lines, {shape['orders']:,} orders, "
          f"{shape['customers']:,} customers, {args.out.stat().st_size / 1e6:.0f} MB",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
