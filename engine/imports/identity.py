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
from engine.imports.name_order import surely_family_first
from engine.store import figures
from engine.store.database import Database, now_text

def order_keys(orders: pd.DataFrame, source: str) -> pd.DataFrame:
    """Long frame (pos, key, rank): every identity key of every order.

    ``orders`` needs member_id, name, name_key, phone_digits, email, postal_code;
    ``pos`` is the order's position in ``orders``. A two-part name not surely
    written 姓 名 (name_order.surely_family_first) also has its name keys with the
    parts the other way round (太郎 山田 → 山田太郎): whichever way another channel
    writes the name, one of the two has the other's key.
    """
    # Keys are glued on object arrays: several times faster than on pandas' strings.
    text = {c: orders[c].to_numpy(dtype=object)
            for c in ("member_id", "name_key", "phone_digits", "email", "postal_code")}
    name_key, swapped = text["name_key"], _swapped_name_keys(orders["name"])
    email = orders["email"]
    with_phone = "p|" + text["phone_digits"] + "|"
    with_postal = "|" + text["postal_code"]
    has_phone = (orders["phone_digits"].str.len() >= 10).to_numpy()
    has_postal = (orders["postal_code"].str.len() == 7).to_numpy()
    named, two_parts = name_key != "", swapped != ""
    candidates = [  # (rank: strongest first, mask, keys)
        (0, text["member_id"] != "", "m|" + source + "|" + text["member_id"]),
        (1, has_phone & named, with_phone + name_key),
        (1, has_phone & two_parts, with_phone + swapped),
        (2, (email.str.contains("@", regex=False) & ~normalize.is_relay_email(email)).to_numpy(),
         "e|" + text["email"]),
        (3, has_postal & named, "a|" + name_key + with_postal),
        (3, has_postal & two_parts, "a|" + swapped + with_postal),
    ]
    pos = np.arange(len(orders))
    return pd.DataFrame({
        "pos": np.concatenate([pos[mask] for _, mask, _ in candidates]),
        "key": np.concatenate([keys[mask] for _, mask, keys in candidates]),
        "rank": np.concatenate([np.full(mask.sum(), rank) for rank, mask, _ in candidates]),
    })


def _swapped_name_keys(names: pd.Series) -> np.ndarray:
    """Each two-part name's key with its parts swapped ('' for any other name and
    for a name surely written 姓 名)."""
    # A customer's orders repeat their name: each distinct name is split once.
    codes, distinct = pd.factorize(names)
    return np.array([_swapped(name) for name in distinct] or [""], dtype=object)[codes]


def _swapped(name: str) -> str:
    parts = name.split()
    if len(parts) != 2 or surely_family_first(*parts):
        return ""
    return parts[1] + parts[0]


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
    """Every table that points at customers, including ones later features add; not
    the summary tables, which the commit brings up to date from the orders."""
    return [name for name, columns in db.table_columns().items() if "customer_id" in columns
            and name not in figures.DERIVED_TABLES]


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
        db.dialect.reassign(conn, table, "customer_id", keep, others)
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
