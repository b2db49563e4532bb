"""The accuracy-versus-cost bubble chart (Canziani et al. 2016, arXiv:1605.07678, Fig. 2) from a ChartData.

Bubble area is proportional to parameters with one scale per chart (``SIZE_PT2_AT_MAX`` square points for the
largest network), so the artists' sizes divided by the parameters are the same for every point.
"""

from __future__ import annotations

import math
from typing import Any

from archcost.plots.chart_data import ChartData
from archcost.plots.labels import place_labels
from archcost.plots.style import GREY, add_caption, family_style, new_figure, rc_context

SIZE_PT2_AT_MAX = 1400.0  # marker area of the largest network, in square points
LEGEND_IN = 3.1  # room on the right for the two legends


def log_ticks(low: float, high: float) -> list[float]:
    """1-2-5 ticks between ``low`` and ``high`` (every digit on a short range): readable numbers on a log axis."""
    ticks: list[float] = []
    for mantissas in ((1, 2, 5), tuple(range(1, 10)), (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9)):
        ticks = [m * 10.0**e for e in range(math.floor(math.log10(low)) - 1, math.ceil(math.log10(high)) + 1)
                 for m in mantissas if low <= m * 10.0**e <= high]
        if len(ticks) >= 3:
            break
    return ticks


def tick_text(value: float) -> str:
    return f"{value:g}" if value >= 0.01 else f"{value:.0e}"


def _limits(values: list[float], pad_decades: float) -> tuple[float, float]:
    low, high = math.log10(min(values)), math.log10(max(values))
    return 10 ** (low - pad_decades), 10 ** (high + pad_decades)


def draw_accuracy(chart: ChartData) -> Any:
    points = chart.rows
    scale = SIZE_PT2_AT_MAX / max(p["params"] for p in points)
    with rc_context():
        figure = new_figure()
        width_in, height_in = figure.get_size_inches()
        bottom = add_caption(figure, chart.caption)
        left = 0.95 / width_in
        axes = figure.add_axes((left, bottom, 1 - left - LEGEND_IN / width_in, 1 - bottom - 0.65 / height_in))
        axes.set_title(chart.title, loc="left", fontweight="bold")
        families: dict[str, list[dict[str, Any]]] = {}
        for point in points:
            families.setdefault(point["family"], []).append(point)
        for family, members in families.items():
            colour, marker = family_style(family)
            for multi, group in ((False, [p for p in members if not _multi_crop(p)]),
                                 (True, [p for p in members if _multi_crop(p)])):
                if not group:
                    continue
                # Marker shape and colour already say the family; the outline says how the accuracy was measured.
                axes.scatter([p["x"] for p in group], [p["top1_percent"] for p in group],
                             s=[scale * p["params"] for p in group], c=colour, marker=marker, alpha=0.7,
                             edgecolors="#222222", linewidths=1.3 if multi else 0.8,
                             linestyles=":" if multi else "-",
                             label=family if multi == all(_multi_crop(p) for p in members) else None,
                             gid=f"family:{family}" + (":multi-crop" if multi else ""), zorder=3)
        front = sorted((p for p in points if p["pareto"]), key=lambda p: p["x"])
        axes.plot([p["x"] for p in front], [p["top1_percent"] for p in front], linestyle="--", color=GREY,
                  linewidth=1.4, zorder=2, gid="pareto", label="Pareto front")
        if any(_multi_crop(p) for p in points):
            for multi, text in ((False, "1 crop (solid outline)"), (True, "10 crops (dotted outline)")):
                axes.scatter([], [], s=90.0, c="white", edgecolors="#222222", linewidths=1.3 if multi else 0.8,
                             linestyles=":" if multi else "-", label=text, gid=f"crops-legend:{int(multi)}")
        axes.set_xscale("log")
        low, high = _limits([p["x"] for p in points], 0.18)
        axes.set_xlim(low, high)
        ticks = log_ticks(low, high)
        axes.set_xticks(ticks, [tick_text(t) for t in ticks])
        axes.minorticks_off()
        accuracies = [p["top1_percent"] for p in points]
        span = max(max(accuracies) - min(accuracies), 4.0)
        axes.set_ylim(min(accuracies) - 0.12 * span, max(accuracies) + 0.12 * span)
        axes.set_xlabel(chart.meta["x_label"])
        axes.set_ylabel(chart.meta["y_label"])
        first = axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), title="family", frameon=False,
                            borderaxespad=0.0, fontsize=11, labelspacing=0.35)
        for handle in first.legend_handles:
            if hasattr(handle, "set_sizes"):
                handle.set_sizes([90.0])
        axes.add_artist(first)
        axes.legend(handles=_size_handles(axes, scale, max(p["params"] for p in points)), loc="lower left",
                    bbox_to_anchor=(1.01, 0.0), title="parameters (area)", frameon=False, ncol=3,
                    columnspacing=0.4, handletextpad=0.3, handlelength=3.0, handleheight=2.6,
                    borderaxespad=0.0, fontsize=11)
        place_labels(axes, [(p["x"], p["top1_percent"], p["arch"], math.sqrt(scale * p["params"]) / 2,
                             f"label:{p['arch']}") for p in points],
                     lines=[[(p["x"], p["top1_percent"]) for p in front]])
    return figure


def _multi_crop(point: dict[str, Any]) -> bool:
    return (point.get("crops") or 1) > 1


def _size_handles(axes: Any, scale: float, largest: float) -> list[Any]:
    """Reference bubbles at round parameter counts up to the largest network."""
    candidates = [1e6, 5e6, 10e6, 25e6, 50e6, 100e6, 500e6]
    chosen = [c for c in candidates if c <= largest * 1.05][-3:] or [largest]
    return [axes.scatter([], [], s=scale * c, c="white", edgecolors="#222222", linewidths=0.8,
                         label=f"{c / 1e6:g}M") for c in chosen]
