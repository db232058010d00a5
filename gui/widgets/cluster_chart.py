"""The cluster chart both the dashboard and the セグメント・フォロー tab show."""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.ticker import PercentFormatter

from gui.widgets.charts import PALETTE


def paint_clusters(figure, summary: pd.DataFrame) -> None:
    """Two bar panels over the same clusters: how many customers, and their share of sales."""
    count_axes, share_axes = figure.subplots(1, 2, sharey=True)
    y = np.arange(len(summary))[::-1]  # TOP1% at the top
    labels = summary["label"].tolist()
    count_axes.barh(y, summary["customers"], color=PALETTE[0])
    count_axes.set_yticks(y, labels, fontsize=9)
    count_axes.set_title("顧客数（人）", fontsize=9)
    share_axes.barh(y, summary["share"] * 100, color=PALETTE[1])
    share_axes.set_title("売上構成比", fontsize=9)
    share_axes.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    for axes, values, text in ((count_axes, summary["customers"], "{:,.0f}"),
                               (share_axes, summary["share"] * 100, "{:.1f}%")):
        top = float(values.max()) if len(values) else 0.0
        axes.set_xlim(0, top * 1.3 if top else 1)
        for position, value in zip(y, values):
            axes.text(value + top * 0.02, position, text.format(value), va="center", fontsize=8)
        axes.tick_params(axis="x", labelsize=8)
        axes.spines[["top", "right"]].set_visible(False)
