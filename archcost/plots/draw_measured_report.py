"""Write the measured charts of ``archcost report`` under ``folder/charts/``: PNG and SVG, with the data each is
drawn from beside it (``<name>.json``), as the deterministic charts of :mod:`archcost.plots.report` are."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def write_measured_charts(folder: Path, measured: dict[str, Any], *, svg: bool = True) -> tuple[list[Path],
                                                                                                list[str]]:
    """Write every chart :func:`archcost.plots.measured_data.measured_charts` can draw from ``measured``; returns
    the paths written (PNG first per chart) and one line per chart that could not be drawn, with why."""
    from archcost.errors import ArchcostError
    from archcost.plots.draw_measured import draw_any
    from archcost.plots.measured_data import measured_charts
    from archcost.plots.report import write_chart

    charts = Path(folder) / "charts"
    charts.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    try:
        computed, problems = measured_charts(measured), []
    except ArchcostError as error:  # e.g. no timed network has a published accuracy
        computed, problems = {}, [f"measured charts: {error}"]
    for stem, data in computed.items():
        written += write_chart(charts, stem, data, draw_any(data), svg=svg)
    return written, problems
