"""Drawing of the measured charts of ``archcost report``: MACs against measured latency with its fitted line, and
the per-layer roofline of one network. The accuracy and batch charts reuse the drawers of ``archcost plot``."""

from __future__ import annotations

import math
from typing import Any

from archcost.plots.chart_data import ChartData
from archcost.plots.draw_accuracy import log_ticks, tick_text
from archcost.plots.labels import place_labels
from archcost.plots.style import GREY, MARKERS, PALETTE, add_caption, new_figure, rc_context

BOUND_STYLE = {"memory": (PALETTE[6], "v", "memory-bound (intensity < ridge)"),
               "compute": (PALETTE[0], "o", "compute-bound (intensity >= ridge)"),
               None: (GREY, "s", "no intensity recorded")}


def _frame(chart: ChartData) -> tuple[Any, Any]:
    figure = new_figure()
    height_in = figure.get_size_inches()[1]
    bottom = add_caption(figure, chart.caption)
    axes = figure.add_axes((0.08, bottom, 0.62, 1 - bottom - 0.65 / height_in))
    axes.set_title(chart.title, loc="left", fontweight="bold", fontsize=14)
    return figure, axes


def _log_axis(setter: Any, low: float, high: float) -> None:
    ticks = log_ticks(low, high)
    setter(ticks, [tick_text(t) for t in ticks])


def draw_macs_latency(chart: ChartData) -> Any:
    rows, fit = chart.rows, chart.meta["fit"]
    with rc_context():
        figure, axes = _frame(chart)
        for bound, (colour, marker, label) in BOUND_STYLE.items():
            members = [r for r in rows if r["bound"] == bound]
            if members:
                axes.scatter([r["macs"] / 1e9 for r in members], [r["median_ms"] for r in members], s=80,
                             c=colour, marker=marker, edgecolors="#222222", linewidths=0.7, zorder=3, label=label,
                             gid=f"points:{bound}")
        gmacs = [r["macs"] / 1e9 for r in rows]
        low, high = min(gmacs) / 1.6, max(gmacs) * 1.6
        line_x = [low, high]
        line_y = [10 ** (fit["intercept_log10_ms"] + fit["slope"] * (9 + math.log10(x))) for x in line_x]
        axes.plot(line_x, line_y, color=GREY, linestyle="--", linewidth=1.6, zorder=2, gid="fit",
                  label=f"least squares in log space (slope {fit['slope']:.2f})")
        times = [r["median_ms"] for r in rows] + line_y
        _log_axes(axes, (low, high), (min(times) / 1.5, max(times) * 1.5))
        axes.set_xlabel("GMACs per image (computed, log scale)")
        axes.set_ylabel("measured latency at batch 1 (ms, log scale)")
        axes.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, fontsize=11)
        place_labels(axes, [(r["macs"] / 1e9, r["median_ms"], f"{r['arch']} x{r['deviation_ratio']:.2f}", 5.0,
                             f"label:{r['arch']}") for r in rows], fontsize=10, lines=[_fit_polyline(fit, low, high)])
    return figure


def _log_axes(axes: Any, xlim: tuple[float, float], ylim: tuple[float, float]) -> None:
    """Both axes logarithmic over these limits, with the readable major ticks of ``_log_axis`` and no minor ones."""
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlim(*xlim)
    axes.set_ylim(*ylim)
    _log_axis(axes.set_xticks, *xlim)
    _log_axis(axes.set_yticks, *axes.get_ylim())
    axes.minorticks_off()


def _fit_polyline(fit: dict, low: float, high: float, steps: int = 40) -> list[tuple[float, float]]:
    """The fitted line as short segments in data coordinates, straight on the log axes (an obstacle for labels)."""
    xs = [low * (high / low) ** (i / steps) for i in range(steps + 1)]
    return [(x, 10 ** (fit["intercept_log10_ms"] + fit["slope"] * (9 + math.log10(x)))) for x in xs]


def draw_layer_roofline(chart: ChartData) -> Any:
    meta, rows = chart.meta, chart.rows
    peak, bandwidth, ridge = meta["peak_gflops"], meta["bandwidth_gb_per_s"], meta["ridge_flops_per_byte"]
    with rc_context():
        figure, axes = _frame(chart)
        intensities = [r["intensity_flops_per_byte"] for r in rows]
        achieved = [r["achieved_gflops"] for r in rows]
        low, high = min(intensities + [ridge]) / 3, max(intensities + [ridge]) * 3
        xs = [low, ridge, high] if low < ridge < high else [low, high]
        axes.plot(xs, [min(peak, bandwidth * x) for x in xs], color=GREY, linewidth=2, gid="roof",
                  label=f"roof: {peak:,.0f} GFLOP/s,\n{bandwidth:,.1f} GB/s\n(ridge {ridge:.1f} FLOP/byte)")
        types = sorted({r["type"] for r in rows})
        for index, kind in enumerate(types):
            members = [r for r in rows if r["type"] == kind]
            axes.scatter([r["intensity_flops_per_byte"] for r in members], [r["achieved_gflops"] for r in members],
                         s=45, color=PALETTE[index % len(PALETTE)], marker=MARKERS[index % len(MARKERS)],
                         edgecolors="#222222", linewidths=0.5, zorder=3, alpha=0.85, label=kind,
                         gid=f"layers:{kind}")
        _log_axes(axes, (low, high), (min(achieved) / 3, max(achieved + [peak]) * 2))
        axes.set_xlabel("arithmetic intensity (FLOP per byte moved, computed, log scale)")
        axes.set_ylabel("achieved GFLOP/s per layer (log scale)")
        axes.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, fontsize=11)
    return figure


def draw_any(chart: ChartData) -> Any:
    """A measured chart, or any chart ``archcost plot`` draws (accuracy, batch)."""
    drawers = {"macs-latency": draw_macs_latency, "layer-roofline": draw_layer_roofline}
    if chart.kind in drawers:
        return drawers[chart.kind](chart)
    from archcost.plots.figures import draw

    return draw(chart)
