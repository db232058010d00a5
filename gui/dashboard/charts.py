"""The dashboard's charts: monthly sales (new vs repeat), clusters, and the sales decomposition."""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from gui.widgets.charts import PALETTE, YEN

RUNNING_LABEL = "集計中"
YOY_LINES = [("sales_yoy", "売上"), ("buyers_yoy", "購入者数"),
             ("orders_per_buyer_yoy", "購入頻度"), ("average_order_value_yoy", "客単価")]


def month_label(month: str) -> str:
    """"2025-07" → "25/7": short enough for 24 bars side by side."""
    return f"{month[2:4]}/{int(month[5:7])}"


def paint_monthly_sales(figure, monthly: pd.DataFrame) -> None:
    """Stacked bars: sales from first orders (新規) under sales from repeat orders (リピート).

    A month not over yet is drawn pale and hatched and says 集計中: its short bar is
    the month so far, not a collapse.
    """
    axes = figure.add_subplot()
    x = np.arange(len(monthly))
    new, repeat = monthly["new_sales"].to_numpy(), monthly["repeat_sales"].to_numpy()
    running = ~monthly["complete"].to_numpy(dtype=bool)
    for stack, bottom, colour, label in ((new, None, PALETTE[4], "新規のお客様"),
                                         (repeat, new, PALETTE[0], "リピートのお客様")):
        bars = axes.bar(x, stack, bottom=bottom, color=colour, label=label)
        for bar in np.array(bars.patches, dtype=object)[running]:
            bar.set_alpha(0.35)
            bar.set_hatch("///")
    for position in x[running]:
        axes.annotate(RUNNING_LABEL, (position, new[position] + repeat[position]),
                      xytext=(0, 2), textcoords="offset points", ha="center", va="bottom",
                      fontsize=7, color="#555555")
    axes.set_xticks(x, [month_label(m) for m in monthly["month"]], fontsize=8,
                    rotation=90 if len(x) > 14 else 0)
    axes.yaxis.set_major_formatter(YEN)
    axes.tick_params(axis="y", labelsize=8)
    axes.legend(fontsize=8, loc="upper left", frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)


def has_yoy(decomposition: pd.DataFrame) -> bool:
    return bool(decomposition["sales_yoy"].notna().any())


def paint_yoy(figure, decomposition: pd.DataFrame) -> None:
    """Year-over-year ratios of sales and its three factors; 100% = same as a year ago."""
    axes = figure.add_subplot()
    x = np.arange(len(decomposition))
    for (key, caption), colour in zip(YOY_LINES, PALETTE):
        values = decomposition[key].astype("float64") * 100
        axes.plot(x, values, marker="o", markersize=3, color=colour, label=caption,
                  linewidth=2.2 if key == "sales_yoy" else 1.2)
    axes.axhline(100, color="#888888", linewidth=0.8, linestyle="--")
    beat = decomposition["beat_two_months"].fillna(False).astype(bool).to_numpy()
    if beat.any():
        axes.scatter(x[beat], decomposition["sales_yoy"].to_numpy()[beat] * 100, s=80,
                     facecolors="none", edgecolors="#D55E00", linewidths=1.5, zorder=3,
                     label="2か月連続で前年超え")
    labels = [month_label(m) if done else f"{month_label(m)}\n{RUNNING_LABEL}"
              for m, done in zip(decomposition["month"], decomposition["complete"])]
    axes.set_xticks(x, labels, fontsize=8)
    axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:.0f}%"))
    axes.tick_params(axis="y", labelsize=8)
    axes.legend(fontsize=8, loc="best", frameon=False, ncols=2)
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", color="#dddddd", linewidth=0.6)
