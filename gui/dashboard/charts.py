"""The dashboard's charts: monthly sales (new vs repeat), clusters, the sales
decomposition and the effect of the follow-up plans (施策の効果)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator

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


# 施策の効果: the verdict's colour (the dot and its interval, and the table's text).
EFFECT_COLOURS = {"good": "#1b7f3b", "bad": "#b3261e", "undecided": "#6b6b6b"}
EFFECT_LEGEND = [("good", "効果あり"), ("undecided", "まだ判断できません"),
                 ("bad", "逆効果の可能性あり")]
NO_COMPARISON = "比較できるお客様がいません"


def verdict_tone(verdict: str | None) -> str:
    """"good", "bad" or "undecided", from the engine's verdict text."""
    text = verdict or ""
    if text.startswith("効果あり"):
        return "good"
    if text.startswith("逆効果"):
        return "bad"
    return "undecided"


def points(value: float, signed: bool = True) -> str:
    """A difference of two rates (0.108) in percentage points: "+10.8"."""
    return f"{value * 100:+.1f}" if signed else f"{value * 100:.1f}"


def wrap_label(text: str, width: int = 18) -> str:
    """A rule's name on lines of about ``width`` characters, broken after 「・」
    (「TOP10%（TOP1%を除く）・60〜日」 never splits inside 60)."""
    lines: list[str] = []
    for part in text.replace("・", "・\n").split("\n"):
        if lines and len(lines[-1]) + len(part) <= width:
            lines[-1] += part
        else:
            lines.append(part)
    return "\n".join(lines)


def paint_effects(figure, rows: pd.DataFrame) -> None:
    """A forest plot: one row per group (``caption``), a dot at the difference of the
    buying rates (followed − held out) and a line over its 95 % interval, against a
    zero line; a group without a comparison says so. ``section`` separates
    全体 / rules / media with a thin line."""
    axes = figure.add_subplot()
    count = len(rows)
    y = np.arange(count)[::-1]
    measured = rows["lift"].notna().to_numpy()
    spans = [0.0]
    if measured.any():
        spans += rows.loc[measured, "lift_low"].tolist() + rows.loc[measured, "lift_high"].tolist()
    left, right = min(spans) * 100, max(spans) * 100
    pad = max(5.0, (right - left) * 0.12)
    for position, (_i, row) in zip(y, rows.iterrows()):
        if pd.isna(row["lift"]):
            axes.text(0, position, NO_COMPARISON, ha="center", va="center", fontsize=7,
                      color="#888888")
            continue
        colour = EFFECT_COLOURS[verdict_tone(row["verdict"])]
        low, high, lift = row["lift_low"] * 100, row["lift_high"] * 100, row["lift"] * 100
        axes.plot([low, high], [position, position], color=colour, linewidth=2,
                  solid_capstyle="butt")
        axes.plot([low, low], [position - 0.18, position + 0.18], color=colour, linewidth=1.2)
        axes.plot([high, high], [position - 0.18, position + 0.18], color=colour, linewidth=1.2)
        axes.plot([lift], [position], "o", color=colour, markersize=6 if row["section"] else 8)
        axes.text(high + pad * 0.15, position, f"{points(row['lift'])}pt", va="center",
                  fontsize=7, color=colour)
    axes.axvline(0, color="#444444", linewidth=0.9)
    sections = rows["section"].tolist()
    for index in range(1, count):
        if sections[index] != sections[index - 1]:
            axes.axhline(y[index] + 0.5, color="#cccccc", linewidth=0.8, linestyle=":")
    axes.set_yticks(y, [wrap_label(c) for c in rows["caption"]], fontsize=8)
    for label, section in zip(axes.get_yticklabels(), sections):
        if section == 0:   # the bundled font has no bold: 全体 is larger instead
            label.set_fontsize(10)
    axes.set_ylim(-0.7, count - 0.3)
    axes.set_xlim(left - pad, right + pad * 1.6)
    axes.xaxis.set_major_locator(MaxNLocator(nbins=8, steps=[1, 2, 5, 10], integer=True))
    axes.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:+.0f}" if v else "0"))
    axes.tick_params(axis="x", labelsize=8)
    axes.set_xlabel("購入率の差（フォローしたお客様 − お休みしたお客様、ポイント）と95%区間",
                    fontsize=8)
    axes.spines[["top", "right", "left"]].set_visible(False)
    axes.tick_params(axis="y", length=0)
    axes.grid(axis="x", color="#eeeeee", linewidth=0.6)
    axes.set_axisbelow(True)
    handles = [Line2D([], [], color=EFFECT_COLOURS[tone], marker="o", linewidth=2, label=label)
               for tone, label in EFFECT_LEGEND]
    figure.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=8,
                  frameon=False)
