"""The sample shop's valid orders read straight from the export files, without the engine.

Each order is tied to its truth.csv person by phone number (every sample order
carries the buyer's phone, and truth.csv lists each person's phone), so tests
can compute expected analysis figures independently of the importer and the
identity rules.
"""
from functools import lru_cache

import pandas as pd

from tests.support.snapshot import SAMPLES, meta


def _digits(column: pd.Series) -> pd.Series:
    return column.fillna("").astype(str).str.replace(r"\D", "", regex=True)


def _lines(path, source: str) -> pd.DataFrame:
    """One row per export line: order_no, ordered_at, code, amount, phone, cancelled."""
    if source == "generic":
        d = pd.read_excel(path, dtype=str)
        return pd.DataFrame({
            "order_no": d["受注番号"], "ordered_at": d["受注日"], "code": d["商品コード"],
            "amount": d["単価"].astype(int) * d["数量"].astype(int),
            "phone": _digits(d["電話番号"]), "cancelled": False})
    if source == "amazon":
        d = pd.read_csv(path, sep="\t", dtype=str)
        return pd.DataFrame({
            "order_no": d["order-id"], "ordered_at": d["purchase-date"], "code": d["sku"],
            "amount": d["item-price"].astype(int), "phone": _digits(d["buyer-phone-number"]),
            "cancelled": False})
    if source == "shopify":
        d = pd.read_csv(path, dtype=str)
        # Order-level fields are filled on an order's first row only.
        order = d.groupby("Name")[["Created at", "Financial Status", "Cancelled at",
                                   "Billing Phone"]].transform("first")
        return pd.DataFrame({
            "order_no": d["Name"], "ordered_at": order["Created at"], "code": d["Lineitem sku"],
            "amount": d["Lineitem price"].astype(int) * d["Lineitem quantity"].astype(int),
            "phone": _digits(order["Billing Phone"]),
            "cancelled": order["Cancelled at"].notna()
            | order["Financial Status"].isin(["refunded", "voided"])})
    d = pd.read_csv(path, dtype=str, encoding="cp932")
    if source == "base":
        return pd.DataFrame({
            "order_no": d["注文ID"], "ordered_at": d["注文日時"], "code": d["商品ID"],
            "amount": d["価格"].astype(int) * d["数量"].astype(int),
            "phone": _digits(d["電話番号(請求先)"]), "cancelled": d["発送状況"] == "キャンセル"})
    if source == "colorme":
        return pd.DataFrame({
            "order_no": d["売上ID"], "ordered_at": d["受注日"], "code": d["購入商品 商品ID"],
            "amount": d["購入商品 販売価格(消費税込)"].astype(int)
            * d["購入商品 販売個数"].astype(int),
            "phone": _digits(d["購入者 携帯番号"].fillna(d["購入者 電話番号"])),
            "cancelled": False})
    assert source == "rakuten", source
    return pd.DataFrame({
        "order_no": d["注文番号"], "ordered_at": d["注文日時"], "code": d["商品管理番号"],
        "amount": d["単価"].astype(int) * d["個数"].astype(int),
        "phone": _digits(d["注文者電話番号1"] + d["注文者電話番号2"] + d["注文者電話番号3"]),
        "cancelled": d["ステータス"] == "キャンセル確定"})


@lru_cache(maxsize=1)
def sample_lines() -> pd.DataFrame:
    """Valid order lines: source, order_no, ordered_at ('YYYY-MM-DD HH:MM:SS' Japan
    time; the samples' offsets are all +09:00), date, month, code, amount, person."""
    frames = []
    for name in meta()["files"]:
        source = name.split("/")[0]
        lines = _lines(SAMPLES / name, source)
        lines.insert(0, "source", source)
        frames.append(lines)
    lines = pd.concat(frames, ignore_index=True)
    lines = lines[~lines["cancelled"]].copy()
    lines["ordered_at"] = lines["ordered_at"].str.replace("T", " ").str[:19]
    lines["date"] = lines["ordered_at"].str[:10]
    lines["month"] = lines["ordered_at"].str[:7]
    truth = pd.read_csv(SAMPLES / "truth.csv", dtype={"phone": str})
    person = pd.Series(truth["person"].to_numpy(), index=_digits(truth["phone"]))
    lines["person"] = lines["phone"].map(person)
    assert lines["person"].notna().all()
    return lines.drop(columns=["phone", "cancelled"]).reset_index(drop=True)


def sample_orders() -> pd.DataFrame:
    """Valid orders: source, order_no, ordered_at, date, month, amount, person,
    purchase_number (per person, by time of order)."""
    orders = (sample_lines().groupby(["source", "order_no"], as_index=False)
              .agg(ordered_at=("ordered_at", "first"), date=("date", "first"),
                   month=("month", "first"), amount=("amount", "sum"),
                   person=("person", "first")))
    orders = orders.sort_values(["person", "ordered_at"], kind="mergesort")
    orders["purchase_number"] = orders.groupby("person").cumcount() + 1
    return orders.reset_index(drop=True)
