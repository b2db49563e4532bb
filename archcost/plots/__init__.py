"""Charts of archcost's computed costs: accuracy against cost, per-block cost, inception branches, EfficientNet
scaling, and timing charts from an ``archcost bench`` file.

The only package of archcost that imports matplotlib, and only inside the drawing functions (Agg canvas, no pyplot):
importing ``archcost.plots`` costs nothing. Data (``*_chart`` functions, returning :class:`ChartData`) and drawing
(:func:`draw`, :func:`render`) are apart, so the data behind any chart can be printed or tested on its own.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ChartData", "accuracy_chart", "layers_chart", "inception_chart", "scaling_chart", "batch_chart",
           "roofline_chart", "load_bench", "published_accuracy", "draw", "render", "write_report_charts",
           "measured_charts", "write_measured_charts"]

_WHERE = {
    "ChartData": "chart_data", "accuracy_chart": "chart_data",
    "layers_chart": "cost_data", "inception_chart": "cost_data", "scaling_chart": "cost_data",
    "batch_chart": "bench_data", "roofline_chart": "bench_data", "load_bench": "bench_data",
    "published_accuracy": "published", "draw": "figures", "render": "figures", "write_report_charts": "report",
    "measured_charts": "measured_data", "write_measured_charts": "draw_measured_report",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        from importlib import import_module

        return getattr(import_module(f"archcost.plots.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'archcost.plots' has no attribute {name!r}")
