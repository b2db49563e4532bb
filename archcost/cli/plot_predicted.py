"""``archcost plot predicted --from FILE``: predicted against measured latency (issue 24), from the JSON that
``benchmarks/predict.py`` writes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from archcost.cli.plot import DataFormatOption, ImageOutOption, _finish, _prepare, plot_app


@plot_app.command("predicted")
def predicted_command(
    source: Annotated[Path, typer.Option("--from", help="The .json benchmarks/predict.py writes beside its "
                                         "report (reports/benchmarks/predict.json).")],
    format: DataFormatOption = None,
    out: ImageOutOption = None,
) -> None:
    """Predicted against measured latency per network: the latency model beside the best MACs-only power law, with
    the identity line and the ±20 % band."""
    image = _prepare(format, out)
    from archcost.plots.predicted_data import predicted_chart, read_points

    _finish(predicted_chart(read_points(source)), image, format, out)
