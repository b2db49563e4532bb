"""Drawing of ``archcost plot predicted``: the latency model's and the MACs-only power law's predictions against
measured latency, log-log, with the identity line and the ±20 % band. Tests check the data, never the raster."""

from __future__ import annotations

from typing import Any

from archcost.plots.chart_data import ChartData
from archcost.plots.style import PALETTE, add_caption, new_figure, rc_context


def draw_predicted(chart: ChartData) -> Any:
    points = chart.rows
    values = [p[k] for p in points for k in ("measured_ms", "predicted_ms", "macs_only_ms")]
    low, high = min(values) / 1.5, max(values) * 1.5
    with rc_context():
        figure = new_figure()
        bottom = add_caption(figure, chart.caption)
        for i, (key, name) in enumerate((("predicted_ms", "archcost latency model (profile only)"),
                                         ("macs_only_ms", "MACs-only power law (fitted on these networks)"))):
            axes = figure.add_axes((0.07 + 0.47 * i, bottom + 0.04, 0.40, 0.80 - bottom))
            axes.fill_between([low, high], [low / 1.2, high / 1.2], [low * 1.2, high * 1.2], color="0.88",
                              label="±20 %")
            axes.plot([low, high], [low, high], color="0.4", linewidth=1, label="predicted = measured")
            for j, batch in enumerate(sorted({p["batch"] for p in points})):
                chosen = [p for p in points if p["batch"] == batch]
                axes.scatter([p["measured_ms"] for p in chosen], [p[key] for p in chosen], s=22,
                             color=PALETTE[(2 * j) % len(PALETTE)], label=f"batch {batch}", alpha=0.85)
            axes.set_xscale("log")
            axes.set_yscale("log")
            axes.set_xlim(low, high)
            axes.set_ylim(low, high)
            axes.set_title(name, loc="left", fontsize=11)
            axes.set_xlabel("measured ms (median)")
            axes.set_ylabel("predicted ms")
            axes.legend(loc="upper left", fontsize=9)
        figure.suptitle(chart.title, x=0.02, ha="left", fontweight="bold")
    return figure
