"""The customer list a screen at a time: every count, page and order equals the
whole ranked table (shop.customers.table) filtered and sorted by pandas."""
from datetime import date

import numpy as np
import pandas as pd
import pytest

from engine.analysis import rfm
from engine.analysis.rfm import CLUSTERS
from engine.customers.listing import ListQuery
from tests.support.snapshot import imported_shop

CURRENT = date(2026, 1, 1)   # after every sample order: the kept figures
EARLIER = date(2025, 9, 15)  # some orders later than this: a copy for that day


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shop(request):
    """The sample shop in each store: the list reads the same from both."""
    if request.param == "sqlite":
        yield imported_shop()
        return
    with imported_shop(location=request.getfixturevalue("postgres_module_url")) as server:
        yield server


def expected(shop, as_of, query: ListQuery) -> pd.DataFrame:
    table = shop.customers.table(as_of)
    digits = pd.DataFrame(shop.db.query("SELECT id AS customer_id, phone_digits FROM customers"))
    table = table.merge(digits, on="customer_id", how="left")
    if query.cluster is not None:
        table = table[table["cluster"] == query.cluster]
    if query.dm_only:
        table = table[table["dm_ok"] == 1]
    if query.only_ids is not None:
        table = table[table["customer_id"].isin(query.only_ids)]
    if query.sort == "rank":
        return table.iloc[::-1] if query.descending else table
    key = {"phone": "phone_digits", "segment": "cluster"}.get(query.sort, query.sort)
    values = table[key]
    if key == "cluster":
        values = values.map({c: i for i, c in enumerate(CLUSTERS)})
    order = np.argsort(-values.to_numpy() if query.descending and values.dtype.kind in "iu"
                       else values.to_numpy(), kind="stable")
    if query.descending and values.dtype.kind not in "iu":
        # Stable descending for text: ties keep the rank order.
        order = pd.Series(values.to_numpy()).sort_values(ascending=False, kind="stable").index
    return table.iloc[np.asarray(order)]


QUERIES = [
    ListQuery(),
    ListQuery(descending=True),
    *(ListQuery(cluster=c) for c in CLUSTERS),
    ListQuery(dm_only=True),
    ListQuery(cluster="once", dm_only=True, sort="name"),
    ListQuery(sort="name"), ListQuery(sort="kana", descending=True),
    ListQuery(sort="phone"), ListQuery(sort="purchase_count", descending=True),
    ListQuery(sort="total_amount"), ListQuery(sort="last_purchase"),
    ListQuery(sort="recency_days"), ListQuery(sort="recency_days", descending=True),
    ListQuery(sort="cluster"), ListQuery(sort="customer_id", descending=True),
    ListQuery(sort="dm_ok"),
]


@pytest.mark.parametrize("as_of", [CURRENT, EARLIER], ids=["current", "earlier"])
@pytest.mark.parametrize("query", QUERIES, ids=repr)
def test_pages_are_the_ranked_table_filtered_and_sorted(shop, as_of, query):
    want = expected(shop, as_of, query)
    listing = shop.customers.listing
    assert listing.count(query, as_of) == len(want)
    assert listing.ids(query, as_of).tolist() == want["customer_id"].tolist()
    pages = [listing.page(query, offset, 7, as_of) for offset in range(0, max(len(want), 1), 7)]
    got = pd.concat(pages, ignore_index=True)
    columns = ["customer_id", "name", "purchase_count", "total_amount", "first_purchase",
               "last_purchase", "tenure_days", "recency_days", "segment", "cluster", "dm_ok",
               "address", "phone"]
    pd.testing.assert_frame_equal(got[columns], want[columns].reset_index(drop=True),
                                  check_dtype=False)


def test_the_clusters_split_the_customers_as_rfm_does(shop):
    listing = shop.customers.listing
    counts = {c: listing.count(ListQuery(cluster=c), CURRENT) for c in CLUSTERS}
    n = listing.total(CURRENT)
    # 148 sample customers: TOP1% ⌈1.48⌉ = 2, TOP10% 15 − 2, TOP20% 30 − 15.
    assert n == 148
    assert (counts["top1"], counts["top10"], counts["top20"]) == (2, 13, 15)
    assert sum(counts.values()) == n


def test_only_ids_and_a_page_past_the_end(shop):
    listing = shop.customers.listing
    table = shop.customers.table(CURRENT)
    chosen = tuple(table["customer_id"].iloc[[40, 3, 77]])
    query = ListQuery(only_ids=chosen)
    assert listing.page(query, 0, 10, CURRENT)["customer_id"].tolist() == \
        sorted(chosen, key=table["customer_id"].tolist().index)
    assert listing.page(query, 3, 10, CURRENT).empty
    assert listing.page(ListQuery(), 140, -1, CURRENT)["customer_id"].tolist() == \
        table["customer_id"].iloc[140:].tolist()


def test_rows_of_keeps_the_order_given_and_shows_non_buyers_without_figures(shop):
    listing = shop.customers.listing
    table = shop.customers.table(EARLIER).set_index("customer_id")
    later_only = shop.db.scalar(
        "SELECT customer_id FROM orders GROUP BY customer_id HAVING min(order_date) > ?",
        (EARLIER.isoformat(),))
    ranked = table.index[[5, 0]].tolist()
    rows = listing.rows_of([ranked[0], later_only, ranked[1], 999_999], EARLIER)
    assert rows["customer_id"].tolist() == [ranked[0], later_only, ranked[1]]
    assert rows.loc[0, "total_amount"] == table.loc[ranked[0], "total_amount"]
    assert rows.loc[0, "cluster"] == table.loc[ranked[0], "cluster"]
    assert rows.loc[1, "purchase_count"] == 0 and pd.isna(rows.loc[1, "cluster"])


def test_the_working_copy_for_an_earlier_day_keeps_the_memos(shop, monkeypatch):
    computed = []
    real = rfm._metrics
    monkeypatch.setattr(rfm, "_metrics", lambda *a: computed.append(1) or real(*a))
    shop.db.forget_memos()
    day = date(2025, 8, 31)
    first = shop.customers.listing.page(ListQuery(), 0, 5, day)
    again = shop.customers.listing.page(ListQuery(), 0, 5, day)
    rfm.customer_metrics(shop.db, day)
    assert len(computed) == 1
    pd.testing.assert_frame_equal(first, again)


def test_a_change_to_the_data_rebuilds_the_copy(tmp_path):
    shop = imported_shop()
    listing = shop.customers.listing
    before = listing.count(ListQuery(), EARLIER)
    victim = int(listing.page(ListQuery(), 0, 1, EARLIER)["customer_id"][0])
    with shop.db.transaction() as conn:
        conn.execute("UPDATE orders SET status = 'cancelled' WHERE customer_id = ?", (victim,))
    assert listing.count(ListQuery(), EARLIER) == before - 1
    assert victim not in listing.ids(ListQuery(), EARLIER)


def copies(shop) -> int:
    """How many TEMP copies of the figures this connection holds (0 or 1)."""
    if shop.db.dialect.name == "postgresql":
        return shop.db.scalar("SELECT count(*) FROM pg_class "
                              "WHERE oid = to_regclass('pg_temp.listing_figures')")
    return shop.db.scalar("SELECT count(*) FROM sqlite_temp_master WHERE name = 'listing_figures'")


def test_a_current_day_reads_the_kept_figures_without_a_copy():
    shop = imported_shop()
    shop.customers.listing.page(ListQuery(cluster="top10"), 0, 10, CURRENT)
    assert copies(shop) == 0
    shop.customers.listing.page(ListQuery(), 0, 10, EARLIER)
    assert copies(shop) == 1
