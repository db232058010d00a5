"""``shop.analysis``: KPIs, sales decomposition, cohorts and entry products (SPEC §3).

A thin facade: each report lives in its own module and works on the database;
this service parses the user's dates and months once for all of them.
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from engine.analysis.cohorts import cohorts
from engine.analysis.decomposition import decompose
from engine.analysis.entry_products import entry_products
from engine.analysis.kpi import kpis, kpis_from_figures, monthly_sales
from engine.analysis.order_history import newest_order_date
from engine.dates import parse_day, parse_month
from engine.store.figures import figures_current


class AnalysisService:
    def __init__(self, shop):
        self.shop = shop
        self.db = shop.db

    def kpis(self, as_of: date | str | None = None) -> dict:
        """KPIs as of a date (default today); see ``engine.analysis.kpi.kpis``."""
        as_of = parse_day(as_of)
        if figures_current(self.db, as_of):
            return kpis_from_figures(self.db, as_of)
        return kpis(self.shop.segments.metrics(as_of), as_of)

    def monthly_sales(self, as_of: date | str | None = None, months: int = 24) -> pd.DataFrame:
        """[month, complete, sales, new_sales, repeat_sales, orders, buyers] for the
        last ``months`` months up to the as-of month; an order is new when it is its
        customer's first valid order; ``complete`` is False for a month not over yet."""
        return monthly_sales(self.db, parse_day(as_of), months)

    def decompose(self, from_month: str, to_month: str,
                  as_of: date | str | None = None) -> pd.DataFrame:
        """Sales = buyers × orders per buyer × average order value per month up to
        ``as_of`` (default today), each with its ratio to the same month a year
        earlier; see ``engine.analysis.decomposition``."""
        return decompose(self.db, parse_month(from_month), parse_month(to_month),
                         parse_day(as_of))

    def cohorts(self, as_of: date | str | None = None) -> pd.DataFrame:
        """First-purchase month × months since: the share of each cohort who bought
        again in that month; see ``engine.analysis.cohorts``."""
        return cohorts(self.db, parse_day(as_of))

    def newest_order_date(self) -> date | None:
        """The date of the newest valid order, None in a shop without orders."""
        return newest_order_date(self.db)

    def entry_products(self, as_of: date | str | None = None) -> pd.DataFrame:
        """Products of customers' first orders and how those customers went on;
        see ``engine.analysis.entry_products``."""
        return entry_products(self.db, parse_day(as_of))
