"""The typer application and its global options. Each command lives in its own module and registers itself on
``app``; archcost/cli/commands.py imports them all (this module imports none, so imports go one way).

Command modules import nothing heavy at module level: ``archcost --help`` and ``archcost list`` stay torch-free.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="archcost",
    help="What a convolutional network costs, layer by layer: exact parameters and MACs (multiply-accumulates) "
    "counted on PyTorch's meta device, published tables checked, timings and charts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help text: typer's rich help imports markdown rendering, half the time of `archcost --help`.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("archcost")
        except PackageNotFoundError:  # run from a source tree that was never installed
            number = "unknown (not installed)"
        typer.echo(f"archcost {number}")
        raise typer.Exit(0)


@app.callback()
def _options(
    version: bool = typer.Option(False, "--version", "-V", is_eager=True, callback=_print_version,
                                 help="Print archcost's version (from the package metadata) and exit."),
) -> None:
    """What a convolutional network costs, layer by layer."""

