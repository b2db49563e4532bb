"""Chart of training memory against batch size: stacked bars by kind, the device's size as a horizontal line."""

from __future__ import annotations

from typing import Any

from archcost.plots.chart_data import ChartData
from archcost.plots.memory_data import KINDS
from archcost.plots.style import PALETTE, add_caption, new_figure, rc_context

LABELS = {"parameter_bytes": "parameters", "gradient_bytes": "gradients", "optimizer_state_bytes": "optimizer state",
          "saved_activation_bytes": "saved activations", "backward_transient_bytes": "backward transient"}


def draw_memory(chart: ChartData) -> Any:
    rows = chart.rows
    with rc_context():
        figure = new_figure((13.33, 7.5))
        bottom = add_caption(figure, chart.caption)
        axes = figure.add_axes((0.08, bottom, 0.88, 0.9 - bottom))
        positions = list(range(len(rows)))
        base = [0.0] * len(rows)
        for colour, kind in zip(PALETTE, KINDS):
            values = [r[kind] / 1e9 for r in rows]
            axes.bar(positions, values, bottom=base, color=colour, label=LABELS[kind], gid=f"bars:{kind}")
            base = [b + v for b, v in zip(base, values)]
        device = chart.meta.get("device_memory_bytes")
        if device is not None:
            axes.axhline(device / 1e9, color="#b00020", linestyle="--", gid="device",
                         label=f"device {device / 1e9:,.1f} GB (largest batch {chart.meta['largest_batch']:,})")
        axes.set_xticks(positions, [str(r["batch"]) for r in rows])
        axes.set_xlabel("batch size")
        axes.set_ylabel("training memory (GB)")
        axes.set_title(chart.title)
        axes.legend(loc="upper left")
    return figure
