"""Charts of where the cost goes: per-block bars, the two inception modules by branch, EfficientNet scaling."""

from __future__ import annotations

from typing import Any

from archcost.plots.chart_data import ChartData
from archcost.plots.style import PALETTE, add_caption, new_figure, rc_context

MACS_COLOUR, PARAMS_COLOUR = PALETTE[0], PALETTE[6]


def _millions(value: float) -> str:
    return f"{value / 1e6:,.1f}M" if value >= 1e5 else f"{value / 1e3:,.1f}K" if value else "0"


def draw_layers(chart: ChartData) -> Any:
    rows = chart.rows
    height_in = max(6.0, 0.3 * len(rows) + 3.2)
    with rc_context():
        figure = new_figure((13.33, height_in))
        bottom = add_caption(figure, chart.caption)
        top = 1 - 0.75 / height_in
        names = [r["block"] for r in rows]
        positions = list(range(len(rows)))[::-1]  # first block on top, as in the paper's table
        left_axes = figure.add_axes((0.2, bottom, 0.36, top - bottom))
        right_axes = figure.add_axes((0.62, bottom, 0.34, top - bottom), sharey=left_axes)
        for axes, key, colour, label in ((left_axes, "macs", MACS_COLOUR, "MACs (millions)"),
                                         (right_axes, "params", PARAMS_COLOUR, "parameters (millions)")):
            values = [r[key] / 1e6 for r in rows]
            axes.barh(positions, values, color=colour, alpha=0.85, height=0.72, gid=f"bars:{key}")
            axes.set_xlabel(label)
            axes.set_xlim(0, max(values) * 1.28 if max(values) > 0 else 1)
            for y, row, value in zip(positions, rows, values):
                axes.text(value, y, f" {row[key + '_percent']:.1f}%", va="center", ha="left", fontsize=10,
                          color="#333333")
            axes.grid(axis="y", visible=False)
        left_axes.set_yticks(positions, names, fontsize=11 if len(rows) <= 30 else 9)
        right_axes.tick_params(axis="y", labelleft=False)
        left_axes.set_ylim(-0.7, len(rows) - 0.3)
        figure.text(0.01, 1 - 0.3 / height_in, chart.title, fontsize=17, fontweight="bold", va="center")
    return figure


def draw_inception(chart: ChartData) -> Any:
    modules = list(chart.meta["modules"])
    branches = sorted({r["branch"] for r in chart.rows})
    with rc_context():
        figure = new_figure()
        height_in = figure.get_size_inches()[1]
        bottom = add_caption(figure, chart.caption)
        top = 1 - 0.75 / height_in
        panels = [figure.add_axes((0.07, bottom, 0.38, top - bottom)),
                  figure.add_axes((0.53, bottom, 0.30, top - bottom))]
        for axes, key, unit, label in ((panels[0], "macs", 1e6, "MACs (millions)"),
                                       (panels[1], "params", 1e3, "parameters (thousands)")):
            base = [0.0] * len(modules)
            for branch in branches:
                cells = [next(r for r in chart.rows if r["module"] == m and r["branch"] == branch) for m in modules]
                values = [c[key] / unit for c in cells]
                colour = PALETTE[(branch - 1) * 2 % len(PALETTE)]
                axes.bar(range(len(modules)), values, bottom=base, color=colour, width=0.62, edgecolor="white",
                         label=cells[-1]["kind"], gid=f"{key}:branch{branch}")
                if key == "macs":
                    for i, (cell, value) in enumerate(zip(cells, values)):
                        if value > 0.06 * chart.meta["modules"][modules[0]]["macs"] / unit:
                            axes.text(i, base[i] + value / 2, f"{cell['path']}\n{value:,.1f}M", ha="center",
                                      va="center", fontsize=10, color="white" if branch % 2 else "#111111")
                base = [b + v for b, v in zip(base, values)]
            for i, total in enumerate(base):
                axes.text(i, total, f"{total:,.1f}M" if key == "macs" else f"{total:,.0f}K", ha="center", va="bottom",
                          fontsize=13, fontweight="bold")
                printed = chart.meta["modules"][modules[i]].get("lecture_text")
                if key == "macs" and printed:
                    # The lecture's total beside the computed one, so the gap is visible on the chart itself.
                    axes.annotate(f"lecture: {printed}", xy=(i, total), xytext=(0, 20), textcoords="offset points",
                                  ha="center", va="bottom", fontsize=11, style="italic", color="#555555",
                                  gid=f"lecture:{modules[i]}")
            axes.set_xticks(range(len(modules)), modules)
            axes.set_ylabel(label)
            axes.set_ylim(0, max(base) * (1.2 if key == "macs" else 1.12))
            axes.grid(axis="x", visible=False)
        panels[1].legend(loc="upper left", bbox_to_anchor=(1.03, 1.0), frameon=False, title="branch")
        figure.text(0.01, 1 - 0.3 / height_in, chart.title, fontsize=17, fontweight="bold", va="center")
    return figure


# Width and resolution end close together (both grow as m^2): one exponent label above its point, one below.
LABEL_OFFSETS_PT = {"width": (8, -14), "depth": (8, -4), "resolution": (8, 6), "compound": (8, -4)}


def draw_scaling(chart: ChartData) -> Any:
    from archcost.plots.draw_accuracy import log_ticks, tick_text

    names = {"width": "width w alone", "depth": "depth d alone", "resolution": "resolution r alone",
             "compound": "compound, at 2^phi"}
    markers = {"width": "o", "depth": "s", "resolution": "^", "compound": "D"}
    with rc_context():
        figure = new_figure()
        height_in = figure.get_size_inches()[1]
        bottom = add_caption(figure, chart.caption)
        axes = figure.add_axes((0.08, bottom, 0.86, 1 - bottom - 0.65 / height_in))
        axes.set_title(chart.title, loc="left", fontweight="bold")
        for index, (curve, fit) in enumerate(chart.meta["fits"].items()):
            rows = [r for r in chart.rows if r["curve"] == curve]
            flag = "" if fit["within_tolerance"] else "  (see note)"
            colour = PALETTE[index * 2 % len(PALETTE)]
            axes.plot([r["multiplier"] for r in rows], [r["macs"] / 1e9 for r in rows], marker=markers[curve],
                      color=colour, linewidth=2, markersize=8, gid=f"curve:{curve}",
                      label=f"{names[curve]}: p = {fit['exponent']:.2f} (ideal {fit['theory']:.2f}){flag}")
            axes.annotate(f"p = {fit['exponent']:.2f}", xy=(rows[-1]["multiplier"], rows[-1]["macs"] / 1e9),
                          xytext=LABEL_OFFSETS_PT[curve], textcoords="offset points", color=colour, fontsize=13,
                          fontweight="bold", gid=f"exponent:{curve}")
        axes.set_xscale("log")
        axes.set_yscale("log")
        xs = [r["multiplier"] for r in chart.rows]
        ys = [r["macs"] / 1e9 for r in chart.rows]
        axes.set_xlim(min(xs) * 0.93, max(xs) * 1.4)  # room for the last exponent label
        for setter, values in ((axes.set_xticks, log_ticks(min(xs), max(xs))),
                               (axes.set_yticks, log_ticks(min(ys) * 0.9, max(ys) * 1.1))):
            setter(values, [tick_text(v) for v in values])
        axes.minorticks_off()
        axes.set_xlabel("multiplier (log scale)")
        axes.set_ylabel("GMACs (billions, log scale)")
        axes.legend(loc="lower right", frameon=True, framealpha=0.9, edgecolor="#cccccc",
                    title="fitted exponent p of MACs ~ multiplier^p")
    return figure
