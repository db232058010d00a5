"""Customer identity (名寄せ, SPEC §2): orders belong to one customer when any key
matches, transitively. Keys, strongest first:

1. ``m|source|member id`` — the source's own member ID,
2. ``p|phone|name`` — normalised phone + name without spaces,
3. ``e|email`` — except marketplace relay addresses (a mask per order),
4. ``a|name|postal`` — name + 7-digit postal code.

Same name alone never merges. A manual split is remembered as a separation:
separated customers are never merged again by an import.
"""
from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd

from engine.imports import normalize
from engine.store.database import Database, now_text

def order_keys(orders: pd.DataFrame, source: str) -> pd.DataFrame:
    """Long frame (pos, key, rank, stored): every identity key of every order.

    ``orders`` needs member_id, name, name_key, phone_digits, email, postal_code;
    ``pos`` is the order's position in ``orders``. A two-part name also yields its
    keys with the parts the other way round (山田 太郎 → 太郎山田), not ``stored``:
    they find a customer whose name was written 名 姓 (or 姓 名) elsewhere, while
    the keys a customer owns stay those of the name as written.
    """
    pos = np.arange(len(orders))
    phone = orders["phone_digits"]
    email = orders["email"]
    postal = orders["postal_code"]
    swapped = _swapped_name_keys(orders["name"])
    has_phone = phone.str.len() >= 10
    has_postal = postal.str.len() == 7
    candidates = [  # strongest first: the position is the key's rank
        [(orders["member_id"] != "", "m|" + source + "|" + orders["member_id"])],
        [(has_phone & (orders["name_key"] != ""), "p|" + phone + "|" + orders["name_key"]),
         (has_phone & (swapped != ""), "p|" + phone + "|" + swapped)],
        [((email.str.contains("@", regex=False)) & ~normalize.is_relay_email(email),
          "e|" + email)],
        [(has_postal & (orders["name_key"] != ""), "a|" + orders["name_key"] + "|" + postal),
         (has_postal & (swapped != ""), "a|" + swapped + "|" + postal)],
    ]
    parts = []
    for rank, kinds in enumerate(candidates):
        for variant, (mask, keys) in enumerate(kinds):
            mask = mask.to_numpy()
            parts.append(pd.DataFrame({"pos": pos[mask], "key": keys.to_numpy()[mask],
                                       "rank": rank, "stored": variant == 0}))
    return pd.concat(parts, ignore_index=True)


def _swapped_name_keys(names: pd.Series) -> pd.Series:
    """Each two-part name's key with its parts swapped ('' for any other name)."""
    parts = names.astype(str).str.extract(r"^(\S+)\s+(\S+)$")
    return (parts[1] + parts[0]).fillna("").astype(str)


def components(n_orders: int, keys: pd.DataFrame, key_owner: pd.Series,
               order_owner: np.ndarray) -> tuple[np.ndarray, pd.DataFrame]:
    """Connected components of orders, keys and existing customers.

    ``key_owner``: existing customer per key (index = key); ``order_owner``: the
    current customer of each order (0 for new orders). Returns each order's
    component label and a frame (component, customer) of existing customers.
    """
    key_codes, key_index = pd.factorize(keys["key"])
    owners = np.concatenate([key_owner.reindex(key_index).fillna(0).to_numpy(dtype="int64"),
                             order_owner])
    cust_codes, cust_index = pd.factorize(owners[owners > 0])
    n_keys, n_cust = len(key_index), len(cust_index)
    size = n_orders + n_keys + n_cust
    cust_lookup = pd.Series(np.arange(n_cust), index=cust_index)
    rows = [keys["pos"].to_numpy(), ]
    cols = [n_orders + key_codes]
    owned_keys = np.flatnonzero(owners[:n_keys] > 0)
    rows.append(n_orders + owned_keys)
    cols.append(n_orders + n_keys + cust_lookup.reindex(owners[owned_keys]).to_numpy())
    owned_orders = np.flatnonzero(order_owner > 0)
    rows.append(owned_orders)
    cols.append(n_orders + n_keys + cust_lookup.reindex(order_owner[owned_orders]).to_numpy())
    labels = component_roots(size, np.concatenate(rows).astype("int64"),
                             np.concatenate(cols).astype("int64"))
    customers = pd.DataFrame({"component": labels[n_orders + n_keys:],
                              "customer": np.asarray(cust_index, dtype="int64")})
    return labels[:n_orders], customers


def component_roots(size: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """For each of ``size`` vertices, the smallest vertex of its connected component
    in the undirected graph with edges ``a[i]``–``b[i]``.

    A vectorised union-find: every edge joining two different roots hooks the
    larger root onto the smaller, then paths are compressed until each vertex
    points at its root; a few rounds settle even long chains. Labels are the
    smallest vertex, so components come out in the order of their first vertex.
    """
    parent = np.arange(size, dtype=np.int64)
    while True:
        root_a, root_b = parent[a], parent[b]
        apart = root_a != root_b
        if not apart.any():
            return parent
        root_a, root_b = root_a[apart], root_b[apart]
        np.minimum.at(parent, np.maximum(root_a, root_b), np.minimum(root_a, root_b))
        while not np.array_equal(grand := parent[parent], parent):
            parent = grand


def separated_pairs(conn: sqlite3.Connection) -> set[frozenset]:
    return {frozenset(r) for r in conn.execute(
        "SELECT customer_a, customer_b FROM identity_separations")}


def tables_with_customer_id(db: Database) -> list[str]:
    """Every table that points at customers, including ones later features add."""
    return [table.name for table in db.utils.tables if "customer_id" in table.columns_dict]


def merge_customers(db: Database, keep: int, others: list[int], manual: bool) -> None:
    """Fold ``others`` into ``keep``: orders, keys and every customer reference move.

    Opt-out wins (a customer who asked for no DM stays opted out); notes are joined.
    """
    others = [o for o in others if o != keep]
    if not others:
        return
    conn = db.conn
    marks = ",".join("?" * len(others))
    for table in tables_with_customer_id(db):
        conn.execute(f"UPDATE OR IGNORE {table} SET customer_id = ? WHERE customer_id IN ({marks})",
                     [keep, *others])
        conn.execute(f"DELETE FROM {table} WHERE customer_id IN ({marks})", others)
    for column in ("customer_a", "customer_b"):
        conn.execute(f"UPDATE identity_separations SET {column} = ? WHERE {column} IN ({marks})",
                     [keep, *others])
    rows = conn.execute(
        f"SELECT id, info_at, notes, dm_manual, dm_opt_out FROM customers "
        f"WHERE id IN (?, {marks}) ORDER BY id", [keep, *others]).fetchall()
    notes = "\n".join(r[2] for r in rows if r[2])
    opt_out = max(r[4] for r in rows)
    manual_values = [r[3] for r in rows if r[3] is not None]
    dm_manual = min(manual_values) if manual_values else None
    newest = max(rows, key=lambda r: r[1])[0]
    if newest != keep:
        fields = ("name", "name_key", "kana", "postal_code", "address1", "address2",
                  "phone", "phone_digits", "email", "info_at")
        conn.execute(
            f"UPDATE customers SET ({', '.join(fields)}) = "
            f"(SELECT {', '.join(fields)} FROM customers WHERE id = ?) WHERE id = ?",
            (newest, keep))
    conn.execute("UPDATE customers SET notes = ?, dm_opt_out = ?, dm_manual = ? WHERE id = ?",
                 (notes, opt_out, dm_manual, keep))
    conn.execute(f"DELETE FROM customers WHERE id IN ({marks})", others)
    stamp = now_text()
    conn.executemany(
        "INSERT INTO customer_merges (kept_id, merged_id, manual, created_at) VALUES (?,?,?,?)",
        [(keep, o, int(manual), stamp) for o in others])
