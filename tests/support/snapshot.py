"""Helpers shared by engine tests: loading samples and snapshotting a database."""
import json
from collections import Counter
from pathlib import Path

import pandas as pd

from tests.support.paths import DATA

SAMPLES = DATA / "samples"
FIGURES = ["purchase_count", "total_amount", "first_purchase", "last_purchase",
           "tenure_days", "recency_days"]
# Data the user owns; bookkeeping tables (operations, journal, imports) may differ.
DATA_TABLES = ["customers", "identity_keys", "identity_separations", "customer_merges",
               "orders", "order_lines", "products", "settings"]


def meta(folder: Path = SAMPLES) -> dict:
    return json.loads((folder / "meta.json").read_text(encoding="utf-8"))


def sample_files(folder: Path = SAMPLES) -> list[Path]:
    return [folder / f for f in meta(folder)["files"]]


def figures(frame: pd.DataFrame) -> Counter:
    return Counter(tuple(str(v) for v in row) for row in frame[FIGURES].itertuples(index=False))


def snapshot(shop) -> dict:
    return {t: shop.db.query(f"SELECT * FROM {t} ORDER BY 1") for t in DATA_TABLES}


def imported_shop(folder: Path = SAMPLES, location: str = ":memory:"):
    """A fresh shop (in memory, or at ``location``: an empty PostgreSQL database's
    URL) with every sample file of ``folder`` imported."""
    from engine import Shop
    shop = Shop(location)
    for path in sample_files(folder):
        shop.imports.import_file(path)
    return shop
