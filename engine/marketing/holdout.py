"""比較用にお休み: the customers a month's plan sets aside at random, so that what
the plan did can be told from what would have happened anyway (effects.py).

When a month's plan is first created, a share of the customers it targets (10 %
by default; 0 turns it off) is held out: no task, label, insert or e-mail from
that plan. The split is

- random, from a seed stored with the plan, so it is reproducible: the same
  seed and customers give the same split on any machine;
- stratified by rule (the plan a customer falls under): each rule holds out its
  share, so a rule's effect is measured on its own customers. Rounding a small
  rule's share to whole customers would hold out nobody from every rule of
  fewer than five, so each rule's count is ⌊share·n + r⌋ with r a seeded random
  offset in [0, 1): exact on average, never more than one customer off;
- stable: regenerating the plan keeps everyone's side; only customers the plan
  newly targets are drawn, among themselves;
- TOP1% customers are not held out unless the shop says so (the practice this
  product follows looks after them one by one).
"""
from __future__ import annotations

import secrets

import numpy as np
import pandas as pd

from engine.errors import InvalidInputError

SHARE_SETTING = "followups.holdout_share"
TOP1_SETTING = "followups.holdout_top1"
DEFAULT_SHARE = 0.10
MAX_SHARE = 0.5
HELD_OUT_LABEL = "比較用にお休み"

_MASK = np.uint64(0xFFFFFFFFFFFFFFFF)


def new_seed() -> int:
    return secrets.randbelow(2**31)


def check_share(share) -> float:
    try:
        value = float(share)
    except (TypeError, ValueError):
        raise InvalidInputError(f"比較用にお休みする割合「{share}」は 0〜0.5 の数にしてください"
                                "（10% なら 0.1）。") from None
    if not 0 <= value <= MAX_SHARE:
        raise InvalidInputError(f"比較用にお休みする割合は 0〜{MAX_SHARE:g} にしてください"
                                f"（10% なら 0.1。いま {value:g}）。")
    return value


def draws(seed: int, keys: np.ndarray) -> np.ndarray:
    """A uniform number in [0, 1) per key, the same for the same seed and key
    (splitmix64 of seed and key: vectorised, and independent of numpy's RNGs)."""
    with np.errstate(over="ignore"):
        x = (np.asarray(keys, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
             + np.uint64(seed) * np.uint64(0xD1B54A32D192ED03)) & _MASK
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) / float(2**53)


def split(targets: pd.DataFrame, share: float, seed: int, previous: pd.DataFrame,
          include_top1: bool = False) -> pd.Series:
    """Held out (bool per row of ``targets``: customer_id, stratum, cluster).

    ``previous`` (customer_id, held_out) is the split already made for the month:
    those customers keep their side; the others are drawn per stratum.
    """
    known = targets["customer_id"].map(previous.set_index("customer_id")["held_out"])
    held = known.fillna(0).astype(bool)
    fresh = known.isna() & (include_top1 | (targets["cluster"] != "top1"))
    if share <= 0 or not fresh.any():
        return held
    pool = targets.loc[fresh, ["customer_id", "stratum"]].copy()
    pool["u"] = draws(seed, pool["customer_id"].to_numpy())
    pool["rank"] = pool.groupby("stratum")["u"].rank(method="first") - 1
    size = pool.groupby("stratum")["u"].transform("size")
    # The per-rule offset comes from the seed too (keys far from any customer id).
    offset = pd.Series(draws(seed, 2**40 + pool["stratum"].to_numpy().astype(np.int64)),
                       index=pool.index)
    quota = np.floor(share * size + offset)
    held.loc[pool.index] = (pool["rank"] < quota).to_numpy()
    return held
