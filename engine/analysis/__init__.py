"""Figures computed from orders: RFM, rank segments and clusters, KPIs, sales decomposition, cohorts, entry products."""
