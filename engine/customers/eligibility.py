"""Who may receive direct mail: the one rule every list, label and task uses.

A customer gets DMs only when DM is allowed (by hand, or by default from where
they bought — Amazon buyers may not be marketed to), they have not asked to stop
(配信停止), and they are neither deleted nor erased on request.
"""
from __future__ import annotations


def dm_eligible_sql(alias: str | None = "c") -> str:
    """The SQL condition (true/false) for one row of ``customers`` under ``alias``
    (``None`` for unqualified column names)."""
    p = f"{alias}." if alias else ""
    return (f"(coalesce({p}dm_manual, {p}dm_default) = 1 AND {p}dm_opt_out = 0 "
            f"AND {p}deleted_at IS NULL AND {p}erased_at IS NULL)")

