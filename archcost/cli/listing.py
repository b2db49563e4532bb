"""``archcost list [PATTERN]``: the registry. Torch-free."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from archcost.cli.app import app
from archcost.cli.options import FormatOption, OutOption
from archcost.cli.output import check_writable, emit
from archcost.render import Column, Format, to_csv, to_json, to_markdown, to_rich

COLUMNS = (
    Column("name", "name", "left"),
    Column("family", "family", "left"),
    Column("input", "native input"),
    Column("dataset", "dataset", "left"),
    Column("classes", "classes"),
    Column("paper", "paper", "left"),
    Column("arxiv", "arXiv", "left"),
    Column("year", "year"),
)


@app.command("list")
def list_command(
    pattern: Annotated[Optional[str], typer.Argument(help="fnmatch pattern, e.g. 'resnet*'.")] = None,
    format: FormatOption = Format.TABLE,
    out: OutOption = None,
) -> None:
    """List the architectures in the zoo (fast: does not import torch)."""
    from archcost.errors import UsageError
    from archcost.zoo.registry import entries

    if out is not None:
        check_writable(out)
    found = entries(pattern)
    if not found:
        raise UsageError(f"no architecture matches {pattern!r}; run 'archcost list' to see the zoo")
    rows = [
        {
            "name": e.name, "family": e.family, "input": "x".join(map(str, e.input_shape)), "dataset": e.dataset,
            "classes": e.num_classes, "paper": e.paper.title, "arxiv": e.paper.arxiv, "year": e.paper.year,
            "table": e.paper.table, "notes": e.notes,
        }
        for e in found
    ]
    if format is Format.JSON:
        emit(to_json({"schema": "archcost.list/1", "architectures": rows}), out)
    elif format is Format.CSV:
        emit(to_csv(rows, (*COLUMNS, Column("table", "table"), Column("notes", "notes"))), out)
    elif format is Format.MARKDOWN:
        emit(to_markdown(rows, COLUMNS), out)
    else:
        emit(to_rich(rows, COLUMNS, caption=f"{len(rows)} architectures"), out)
