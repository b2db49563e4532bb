"""``archcost compare A B ...``: totals side by side and a block-by-block diff."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from archcost.cli.app import app
from archcost.cli.options import FormatOption, InputOption, OutOption, SetOption, builder_arguments, input_argument
from archcost.cli.output import check_writable, emit
from archcost.render import Format, to_json, to_rich


@app.command("compare")
def compare_command(
    archs: Annotated[list[str], typer.Argument(help="Two or more architectures (registry names or import paths).")],
    by: Annotated[str, typer.Option("--by", help="Block level: auto, branch (inception modules), stage, block "
                                                 "(residual units) or top (top-level modules).")] = "auto",
    input: InputOption = None,
    sets: SetOption = None,
    format: FormatOption = Format.TABLE,
    out: OutOption = None,
) -> None:
    """Totals side by side and a block-by-block diff (the last network against the first)."""
    from archcost.compare import LEVELS
    from archcost.errors import UsageError

    if len(archs) < 2:
        raise UsageError("compare needs at least two architectures")
    if by not in LEVELS:
        raise UsageError(f"unknown --by {by!r}; choose one of {', '.join(LEVELS)}")
    inputs = input_argument(input)  # a malformed shape fails before torch is imported
    overrides = builder_arguments(sets, archs)
    if out is not None:
        check_writable(out)

    from archcost.analysis import analyze
    from archcost.compare import compare

    def analyzer(name: str, input_shape: Any) -> Any:  # --set applies to every network compared
        return analyze(name, input_shape, **overrides)

    comparison = compare(archs, level=by, input_shape=inputs, analyzer=analyzer)
    emit(render(comparison, format), out)


def render(comparison: Any, format: Format) -> Any:
    from archcost.compare import columns, to_csv_text, to_markdown_text

    if format is Format.JSON:
        return to_json(comparison.to_dict())
    if format is Format.CSV:
        return to_csv_text(comparison)
    if format is Format.MARKDOWN:
        return to_markdown_text(comparison)
    from rich.console import Group

    title = " vs ".join(comparison.models)
    return Group(to_rich(comparison.totals, columns(comparison, blocks=False),
                         title=f"{title}: totals (MACs = multiply-accumulates)"),
                 to_rich(comparison.blocks, columns(comparison, blocks=True), title=f"{title}: per {comparison.level}"))
