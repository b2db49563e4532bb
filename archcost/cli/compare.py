"""``archcost compare A B ...``: totals side by side and a block-by-block diff."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from archcost.cli.app import app
from archcost.cli.options import (FormatOption, InputOption, Level, OutOption, SetOption, builder_arguments,
                                  input_argument)
from archcost.cli.output import write
from archcost.writes import check_writable
from archcost.render import Format, Output, View


@app.command("compare")
def compare_command(
    archs: Annotated[list[str], typer.Argument(help="Two or more architectures (registry names or import paths).")],
    by: Annotated[Level, typer.Option("--by", case_sensitive=False,
                                      help="Block level: auto, branch (inception modules), stage, block "
                                           "(residual units) or top (top-level modules).")] = Level.AUTO,
    input: InputOption = None,
    sets: SetOption = None,
    format: FormatOption = Format.TABLE,
    out: OutOption = None,
) -> None:
    """Totals side by side and a block-by-block diff (the last network against the first)."""
    from archcost.errors import UsageError

    if len(archs) < 2:
        raise UsageError("compare needs at least two architectures")
    inputs = input_argument(input)  # a malformed shape fails before torch is imported
    overrides = builder_arguments(sets, archs)
    if out is not None:
        check_writable(out)

    from archcost.analysis import analyze
    from archcost.compare import compare

    def analyzer(name: str, input_shape: Any) -> Any:  # --set applies to every network compared
        return analyze(name, input_shape, **overrides)

    comparison = compare(archs, level=by.value, input_shape=inputs, analyzer=analyzer)
    write(output(comparison), format, out)


def output(comparison: Any) -> Output:
    """The totals and the per-block diff as two tables; one CSV with a section column."""
    from archcost.compare import columns, csv_rows

    title = " vs ".join(comparison.models)
    return Output([View(comparison.totals, columns(comparison, blocks=False),
                        title=f"{title}: totals (MACs = multiply-accumulates)", markdown_title=f"{title}: totals"),
                   View(comparison.blocks, columns(comparison, blocks=True), title=f"{title}: per {comparison.level}")],
                  document=comparison.to_dict(), csv=View(*csv_rows(comparison)))
