"""Who gets a DM: customers chosen by cluster, usage cycle, follow-up task or by hand,
cleaned up for printing (SPEC §6).

- customers who may not get DMs (DM不可, e.g. known only from Amazon), who asked not to
  be contacted (配信停止) or who were deleted are left out, and so is anyone without a
  postal code, address or name to print;
- customers sharing one address (same postal code and address once spacing, full-width
  characters and 丁目/番地/番/号 versus hyphens are evened out) get one label, addressed to
  the best customer of them (highest total amount, then lowest ID);
- the labels come sorted by postal code, which is also how post offices sort mail.

Everything is done with SQL and pandas column operations, so a selection of a whole
shop (hundreds of thousands of customers) stays quick.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from engine.analysis.rfm import CLUSTERS
from engine.customers.service import ADDRESS_SQL
from engine.dates import add_months, month_of, parse_day
from engine.errors import InvalidInputError
from engine.imports import normalize

TARGET_COLUMNS = ["customer_id", "name", "kana", "postal_code", "address1", "address2",
                  "address", "phone", "cluster", "recency_days", "purchase_count",
                  "total_amount", "customer_ids"]
SKIPPED_COLUMNS = ["customer_id", "name", "reason"]
DUE_STATES = ("due", "overdue")

REASON_DELETED = "削除済み"
REASON_OPT_OUT = "配信停止"
REASON_NO_DM = "DM不可"
REASON_NO_ADDRESS = "住所なし"
REASON_NO_NAME = "氏名なし"
REASON_UNKNOWN = "顧客番号が見つかりません"
REASON_HELD_OUT = "比較用にお休み（効果測定中）"
REASON_SAME_ADDRESS = ("同じ住所（顧客番号 ", " のラベルにまとめました）")
# Why "due to buy again" finds nobody in a shop that set no usage cycles yet.
NO_CYCLES = ("消費サイクル（何日で使い切るか）が登録された商品がないため、買い替え時期のお客様を"
             "選べません。商品リスト（商品コード・消費サイクル(日)）を取込タブにドロップして"
             "登録してください。")

@dataclass
class Selection:
    """The labels to print (``targets``) and who was left out and why (``skipped``)."""
    targets: pd.DataFrame
    skipped: pd.DataFrame

    @property
    def customer_ids(self) -> list[int]:
        """Every customer a label reaches, including those merged onto another's label."""
        return sorted(int(i) for i in self.targets["customer_ids"].explode())

    def summary(self) -> str:
        """One Japanese line: labels, customers reached, and who was left out by reason."""
        text = f"ラベル {len(self.targets)}枚（{len(self.customer_ids)}名）"
        if len(self.skipped):
            reasons = self.skipped["reason"].where(
                ~self.skipped["reason"].str.startswith(REASON_SAME_ADDRESS[0]), "同じ住所")
            text += "。対象外: " + "、".join(
                f"{reason} {count}名" for reason, count in reasons.value_counts().items())
        return text


def candidate_ids(shop, clusters=None, due: bool = False, followup_month: str | None = None,
                  customer_ids=None, as_of=None, table: pd.DataFrame | None = None) -> list[int]:
    """Customers picked by any of the given ways (their union), before any exclusion.
    ``table``: shop.customers.table(as_of) when the caller has it already."""
    picked: list[pd.Series] = []
    if clusters:
        unknown = sorted(set(clusters) - set(CLUSTERS))
        if unknown:
            raise InvalidInputError(f"クラスター「{'、'.join(unknown)}」はありません。"
                              f"使えるクラスター: {', '.join(CLUSTERS)}")
        if table is None:
            table = shop.customers.table(as_of=as_of)
        picked.append(table.loc[table["cluster"].isin(list(clusters)), "customer_id"])
    if due:
        if not shop.products.cycles_known():
            raise InvalidInputError(NO_CYCLES)
        due_frame = shop.products.due_targets(as_of=as_of)
        picked.append(due_frame.loc[due_frame["state"].isin(DUE_STATES), "customer_id"])
    if followup_month:
        tasks = shop.followups.tasks(followup_month)
        picked.append(tasks.loc[(tasks["medium"] == "dm") & (tasks["status"] == "open"),
                                "customer_id"])
    if customer_ids is not None:
        picked.append(pd.Series(list(customer_ids), dtype="int64"))
    if not picked:
        raise InvalidInputError("宛名ラベルの対象を選んでください（クラスター・購入サイクル・"
                          "フォロー・顧客番号のいずれか）。")
    return sorted(set(pd.concat(picked).astype("int64").tolist()))


def address_key(postal: pd.Series, address: pd.Series) -> pd.Series:
    """One key per real address, however it was typed."""
    # The import's own address rule (NFKC, one hyphen between digits), then no spaces.
    text = normalize.address(address.fillna("").astype(str)).str.upper()
    text = text.str.replace(r"\s+", "", regex=True)
    text = text.str.replace(r"(?<=[0-9])(?:丁目|番地|番|の)(?=[0-9])", "-", regex=True)
    text = text.str.replace(r"(?<=[0-9])(?:番地|番|号)(?![0-9])", "", regex=True)
    digits = postal.fillna("").astype(str).str.replace(r"[^0-9]", "", regex=True)
    return digits + "|" + text


def _profiles(db, ids: list[int], running_since: str) -> pd.DataFrame:
    # The ids go in as one JSON parameter: nothing is written, so the figures
    # remembered for this database state stay valid.
    listed, param = db.dialect.in_list("c.id", ids)
    return db.frame(
        "SELECT c.id AS customer_id, c.name, c.kana, c.postal_code, c.address1, c.address2, "
        f"{ADDRESS_SQL} AS address, c.phone, "
        "(c.deleted_at IS NOT NULL OR c.erased_at IS NOT NULL) AS deleted, "
        "c.dm_opt_out AS opted_out, coalesce(c.dm_manual, c.dm_default) AS dm_allowed, "
        # Set aside by a running plan (the last three months): a DM would spoil the
        # comparison that tells whether the plan works.
        "EXISTS (SELECT 1 FROM followup_targets g WHERE g.customer_id = c.id "
        "AND g.held_out = 1 AND g.month >= ?) AS held_out "
        f"FROM customers c WHERE {listed} ORDER BY c.id", (running_since, param))


def _reason(frame: pd.DataFrame) -> pd.Series:
    """Why each customer gets no label ('' when they do); the first reason that applies."""
    reason = pd.Series("", index=frame.index, dtype=object)
    checks = [
        (frame["deleted"] == 1, REASON_DELETED),
        (frame["opted_out"] == 1, REASON_OPT_OUT),
        (frame["held_out"] == 1, REASON_HELD_OUT),
        (frame["dm_allowed"] != 1, REASON_NO_DM),
        ((frame["postal_code"].fillna("").str.strip() == "")
         | (frame["address"].fillna("").str.strip() == ""), REASON_NO_ADDRESS),
        (frame["name"].fillna("").str.strip() == "", REASON_NO_NAME),
    ]
    for mask, text in reversed(checks):
        reason = reason.mask(mask, text)
    return reason


def select(shop, clusters=None, due: bool = False, followup_month: str | None = None,
           customer_ids=None, as_of=None) -> Selection:
    """The DM labels for the customers picked (see :func:`candidate_ids`), cleaned up as
    the module says, with cluster and R/F/M as of ``as_of`` for the target list."""
    table = shop.customers.table(as_of=as_of)
    ids = candidate_ids(shop, clusters, due, followup_month, customer_ids, as_of, table)
    day = parse_day(as_of, "基準日")
    frame = _profiles(shop.db, ids, add_months(month_of(day), -2))
    metrics = table[["customer_id", "cluster", "recency_days", "purchase_count", "total_amount"]]
    frame = frame.merge(metrics, on="customer_id", how="left")
    frame[["purchase_count", "total_amount"]] = (
        frame[["purchase_count", "total_amount"]].fillna(0).astype("int64"))
    frame["cluster"] = frame["cluster"].fillna("")
    frame["reason"] = _reason(frame)
    missing = sorted(set(ids) - set(frame["customer_id"].tolist()))
    skipped = [frame.loc[frame["reason"] != "", SKIPPED_COLUMNS],
               pd.DataFrame({"customer_id": missing, "name": "", "reason": REASON_UNKNOWN})]
    kept = frame.loc[frame["reason"] == ""].copy()

    kept["key"] = address_key(kept["postal_code"], kept["address"])
    kept = kept.sort_values(["key", "total_amount", "customer_id"],
                            ascending=[True, False, True], kind="stable")
    groups = kept.groupby("key", sort=False)["customer_id"]
    kept["addressee"] = groups.transform("first")
    merged = kept.loc[kept["customer_id"] != kept["addressee"]]
    skipped.append(pd.DataFrame({
        "customer_id": merged["customer_id"], "name": merged["name"],
        "reason": REASON_SAME_ADDRESS[0] + merged["addressee"].astype(str)
        + REASON_SAME_ADDRESS[1]}))
    together = (kept.sort_values("customer_id").groupby("key")["customer_id"].agg(list)
                .rename("customer_ids"))
    targets = kept.loc[kept["customer_id"] == kept["addressee"]]
    # pandas cannot join on Arrow-backed text when one side has no rows (no chunks).
    targets = (targets.join(together, on="key") if len(targets)
               else targets.assign(customer_ids=pd.Series([], dtype=object)))
    targets = targets.sort_values(["key", "customer_id"], kind="stable")
    skipped_frame = pd.concat(skipped, ignore_index=True).sort_values("customer_id")
    return Selection(targets[TARGET_COLUMNS].reset_index(drop=True),
                     skipped_frame[SKIPPED_COLUMNS].reset_index(drop=True))
