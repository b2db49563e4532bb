"""The charts of ``archcost report``: every chart that needs no timing file, written as PNG (and SVG)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from archcost.plots.chart_data import ChartData

# file stem -> how to compute its data; the order is the report's.
REPORT_CHARTS: dict[str, Callable[[], ChartData]] = {}


def _register() -> None:
    from archcost.plots.chart_data import accuracy_chart
    from archcost.plots.cost_data import inception_chart, layers_chart, scaling_chart

    REPORT_CHARTS.update({
        "accuracy-imagenet": lambda: accuracy_chart(dataset="imagenet"),
        "layers-googlenet": lambda: layers_chart(arch="googlenet"),
        "layers-resnet50": lambda: layers_chart(arch="resnet50"),
        "inception": inception_chart,
        "scaling-efficientnet-b0": scaling_chart,
    })


def write_report_charts(folder: Path, *, svg: bool = True) -> list[Path]:
    """Write each chart as ``folder/charts/<name>.png`` (and ``.svg``) with the data it is drawn from beside it
    (``<name>.json``, what ``archcost plot ... --format json`` prints); returns the paths written, PNGs first per
    chart. Files are written atomically and are identical from one run to the next on one machine; across machines
    the pixels may differ (font rasterising, float rounding), so ``tests/test_report.py`` compares the JSON."""
    from archcost.plots.figures import draw

    if not REPORT_CHARTS:
        _register()
    charts = Path(folder) / "charts"
    charts.mkdir(parents=True, exist_ok=True)
    written = []
    for stem, compute in REPORT_CHARTS.items():
        data = compute()
        written += write_chart(charts, stem, data, draw(data), svg=svg)
    return written


def write_chart(charts: Path, stem: str, data: Any, figure: Any, *, svg: bool) -> list[Path]:
    """One chart's images (PNG, and SVG when asked) and its data JSON under ``charts``; the paths written."""
    from archcost.writes import write_file
    from archcost.plots.style import figure_bytes
    from archcost.render import to_json

    written = []
    for fmt in ("png", "svg") if svg else ("png",):
        path = charts / f"{stem}.{fmt}"
        write_file(path, figure_bytes(figure, fmt))
        written.append(path)
    path = charts / f"{stem}.json"
    write_file(path, to_json(data.to_dict()))
    written.append(path)
    return written
