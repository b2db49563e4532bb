"""Charts from an ``archcost bench`` file: time per image against batch size, and the roofline."""

from __future__ import annotations

from typing import Any

from archcost.plots.chart_data import ChartData
from archcost.plots.draw_accuracy import log_ticks, tick_text
from archcost.plots.labels import place_labels
from archcost.plots.style import GREY, MARKERS, PALETTE, add_caption, new_figure, rc_context


def _series(rows: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    series: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        series.setdefault((row["arch"], row["config"]), []).append(row)
    return series


def _frame(chart: ChartData) -> tuple[Any, Any]:
    figure = new_figure()
    height_in = figure.get_size_inches()[1]
    bottom = add_caption(figure, chart.caption)
    axes = figure.add_axes((0.08, bottom, 0.6, 1 - bottom - 0.65 / height_in))
    axes.set_title(chart.title, loc="left", fontweight="bold")
    return figure, axes


def draw_batch(chart: ChartData) -> Any:
    with rc_context():
        figure, axes = _frame(chart)
        for index, ((arch, config), rows) in enumerate(_series(chart.rows).items()):
            colour, marker = PALETTE[index % len(PALETTE)], MARKERS[index % len(MARKERS)]
            batches = [r["batch"] for r in rows]
            axes.plot(batches, [r["ms_per_image"] for r in rows], marker=marker, color=colour, linewidth=2,
                      markersize=8, label=f"{arch} ({config})", gid=f"series:{arch}:{config}")
            if all(r["p10_ms_per_image"] is not None and r["p90_ms_per_image"] is not None for r in rows):
                axes.fill_between(batches, [r["p10_ms_per_image"] for r in rows],
                                  [r["p90_ms_per_image"] for r in rows], color=colour, alpha=0.18, linewidth=0)
        axes.set_xscale("log", base=2)
        axes.set_yscale("log")
        batches = sorted({r["batch"] for r in chart.rows})
        axes.set_xticks(batches, [str(b) for b in batches])
        values = [r["ms_per_image"] for r in chart.rows]
        low, high = min(values) * 0.8, max(values) * 1.25
        axes.set_ylim(low, high)
        ticks = log_ticks(low, high)
        axes.set_yticks(ticks, [tick_text(t) for t in ticks])
        axes.minorticks_off()
        axes.set_xlabel("batch size (log scale)")
        axes.set_ylabel("median time per image (ms, log scale)")
        axes.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, title="network (setting)")
        _state_noise(axes, chart)
    return figure


def _state_noise(axes: Any, chart: ChartData) -> None:
    """The noise, and a run taken on a busy machine, said on the plot itself (right of it, under the legend, where
    no line runs), not only in the caption a reader may skip."""
    covs = [r["cov"] for r in chart.rows if r.get("cov") is not None]
    lines = [f"noise: CoV of the timed calls\n{min(covs):.1%} to {max(covs):.1%}; band: p10 to p90" if covs
             else "noise: not recorded (no CoV)\nband: p10 to p90"]
    axes.text(1.02, 0.0, lines[0], transform=axes.transAxes, ha="left", va="bottom", color=GREY, gid="noise")
    if chart.meta.get("under_load"):
        axes.text(1.02, 0.16, "TAKEN UNDER LOAD:\nslower and noisier than\nthis machine's own times",
                  transform=axes.transAxes, ha="left", va="bottom", color="#b00020", fontweight="bold",
                  bbox={"facecolor": "white", "edgecolor": "#b00020"}, gid="load-warning")


def draw_roofline(chart: ChartData) -> Any:
    roofs = chart.meta["roofs"]
    with rc_context():
        figure, axes = _frame(chart)
        intensities = [r["intensity_flops_per_byte"] for r in chart.rows]
        achieved = [r["achieved_gflops"] for r in chart.rows]
        low, high = min(intensities) / 4, max(intensities) * 4
        bandwidth = roofs.get("bandwidth_gb_per_s")
        for index, (dtype, peak) in enumerate(roofs["peak_gflops"].items()):
            xs = [low, high] if not bandwidth else sorted({low, min(max(peak / bandwidth, low), high), high})
            ys = [peak if not bandwidth else min(peak, bandwidth * x) for x in xs]
            axes.plot(xs, ys, color=GREY, linewidth=2, linestyle=("-", "--", ":")[index % 3],
                      label=f"roof {dtype}: {peak:,.0f} GFLOP/s" + (f", {bandwidth:,.0f} GB/s" if bandwidth else ""),
                      gid=f"roof:{dtype}")
        for index, ((arch, config), rows) in enumerate(_series(chart.rows).items()):
            axes.scatter([r["intensity_flops_per_byte"] for r in rows], [r["achieved_gflops"] for r in rows],
                         s=70, color=PALETTE[index % len(PALETTE)], marker=MARKERS[index % len(MARKERS)],
                         edgecolors="#222222", linewidths=0.7, zorder=3, label=f"{arch} ({config})",
                         gid=f"points:{arch}:{config}")
        axes.set_xscale("log")
        axes.set_yscale("log")
        peaks = list(roofs["peak_gflops"].values())
        axes.set_xlim(low, high)
        axes.set_ylim(min(achieved) / 3, max(peaks + achieved) * 2)
        for setter, (a, b) in ((axes.set_xticks, (low, high)), (axes.set_yticks, axes.get_ylim())):
            ticks = log_ticks(a, b)
            setter(ticks, [tick_text(t) for t in ticks])
        axes.minorticks_off()
        axes.set_xlabel("arithmetic intensity (FLOP per byte moved, log scale)")
        axes.set_ylabel("achieved GFLOP/s (log scale)")
        axes.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
        place_labels(axes, [(r["intensity_flops_per_byte"], r["achieved_gflops"], f"b{r['batch']}", 4.5,
                             f"label:{r['arch']}:{r['config']}:{r['batch']}") for r in chart.rows], fontsize=10,
                     lines=[list(zip(line.get_xdata(), line.get_ydata())) for line in axes.lines
                            if (line.get_gid() or "").startswith("roof:")])
    return figure
