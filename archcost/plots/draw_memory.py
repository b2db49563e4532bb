"""Chart of training memory against batch size: stacked bars by kind, each bar's total written above it, and the
device's size as an annotated line. The axis fits the bars: a device far above them is named in words, not drawn at
a scale that flattens every bar into a sliver."""

from __future__ import annotations

from typing import Any

from archcost.plots.chart_data import ChartData
from archcost.plots.memory_data import KINDS
from archcost.plots.style import PALETTE, add_caption, new_figure, rc_context

LABELS = {"parameter_bytes": "parameters", "buffer_bytes": "buffers", "gradient_bytes": "gradients",
          "optimizer_state_bytes": "optimizer state", "saved_activation_bytes": "saved activations", "backward_transient_bytes": "backward transient"}
DEVICE_ON_SCALE = 1.5  # the device line is drawn on the axis when it is at most this many times the tallest bar


def draw_memory(chart: ChartData) -> Any:
    rows = chart.rows
    with rc_context():
        figure = new_figure((13.33, 7.5))
        bottom = add_caption(figure, chart.caption)
        # The legend goes right of the axes, where neither the bars nor the device line can run under it.
        axes = figure.add_axes((0.07, bottom, 0.74, 0.9 - bottom))
        positions = list(range(len(rows)))
        base = [0.0] * len(rows)
        for colour, kind in zip(PALETTE, KINDS):
            values = [r[kind] / 1e9 for r in rows]
            axes.bar(positions, values, bottom=base, color=colour, label=LABELS[kind], gid=f"bars:{kind}")
            base = [b + v for b, v in zip(base, values)]
        tallest_gb = max(base)
        for position, total_gb in zip(positions, base):
            axes.annotate(f"{total_gb:,.2f}", (position, total_gb), xytext=(0, 3), textcoords="offset points",
                          ha="center", va="bottom", fontsize=8, gid="total")
        top_gb = _device(axes, chart, tallest_gb)
        axes.set_ylim(0, top_gb * 1.12)
        axes.set_xticks(positions, [f"{r['batch']:,}" for r in rows])
        axes.set_xlabel("batch size")
        axes.set_ylabel("training memory (GB)")
        axes.set_title(chart.title)
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return figure


def _device(axes: Any, chart: ChartData, tallest_gb: float) -> float:
    """Draw the device's size (a labelled line, or words when it is far above the bars); the top the axis must show."""
    device = chart.meta.get("device_memory_bytes")
    if device is None:
        return tallest_gb
    device_gb = device / 1e9
    words = f"device {device_gb:,.1f} GB: largest batch that fits {chart.meta['largest_batch']:,}"
    # The line is always there (clipped when off the scale) so the figure's data carries the device size.
    axes.axhline(device_gb, color="#b00020", linestyle="--", gid="device")
    if device_gb <= tallest_gb * DEVICE_ON_SCALE:
        axes.annotate(words, (0.01, device_gb), xycoords=("axes fraction", "data"), xytext=(0, 4),
                      textcoords="offset points", color="#b00020", va="bottom", gid="device-label")
        return max(tallest_gb, device_gb)
    axes.text(0.01, 0.97, f"{words} (above this scale)", transform=axes.transAxes, color="#b00020", va="top",
              gid="device-label")
    return tallest_gb
