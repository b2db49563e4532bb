"""Draw a ChartData and write it as PNG, SVG or PDF: the dispatcher between the data and the drawing modules."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from archcost.errors import Option, UsageError
from archcost.plots.chart_data import ChartData


def _drawers() -> dict[str, Callable[[ChartData], Any]]:
    from archcost.plots.draw_accuracy import draw_accuracy
    from archcost.plots.draw_bench import draw_batch, draw_roofline
    from archcost.plots.draw_cost import draw_inception, draw_layers, draw_scaling
    from archcost.plots.draw_memory import draw_memory
    from archcost.plots.draw_predicted import draw_predicted

    return {"accuracy": draw_accuracy, "layers": draw_layers, "inception": draw_inception, "scaling": draw_scaling,
            "batch": draw_batch, "roofline": draw_roofline, "memory": draw_memory,
            "predicted": draw_predicted}


def draw(chart: ChartData) -> Any:
    """The chart as a matplotlib Figure (on its own Agg canvas); tests read the plotted data back from its artists."""
    return _drawers()[chart.kind](chart)


def image_format(path: Path) -> str:
    """png, svg or pdf from the file name; anything else is a usage error raised before any work is done."""
    from archcost.plots.style import FORMATS

    suffix = path.suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise UsageError(f"cannot tell the image format of {path}: name it .png, .svg or .pdf "
                         "(or print the data with $format)", Option("format", "csv|json"))
    return suffix


def render(chart: ChartData, fmt: str) -> bytes:
    """The chart's file contents in ``fmt`` (png, svg, pdf), byte-for-byte reproducible."""
    from archcost.plots.style import figure_bytes

    return figure_bytes(draw(chart), fmt)
