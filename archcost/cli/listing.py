"""``archcost list [PATTERN]``: the registry, one line per entry; ``archcost list NAME``: one entry in detail, with
the builder arguments ``--set`` accepts. Torch-free: the arguments are read from the builders' signatures."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from archcost.cli.app import app
from archcost.cli.options import FormatOption, OutOption
from archcost.cli.output import write
from archcost.writes import check_writable
from archcost.render import Column, Format, Output, View

# One line per entry in a terminal: text cells are cut with an ellipsis rather than wrapped (the full paper title and
# the builder arguments are in `archcost list NAME`), and the arguments column is the first left out when narrow.
COLUMNS = (
    Column("name", "name", "left", overflow="ellipsis"),
    Column("family", "family", "left", overflow="ellipsis"),
    Column("input", "native input"),
    Column("dataset", "dataset", "left", overflow="ellipsis", drop=1),
    Column("classes", "classes"),
    Column("paper", "paper", "left", overflow="ellipsis", max_width=40),
    Column("arxiv", "arXiv", "left", overflow="ellipsis", drop=2),
    Column("year", "year"),
    Column("argument_names", "arguments (--set)", "left", overflow="ellipsis", max_width=40, drop=3),
)
_REQUIRED = object()  # a parameter without a default (inspect's empty marker, which would need its import)
ARGUMENT_COLUMNS = (
    Column("name", "argument", "left"),
    Column("default", "default", "left", show=lambda v: "(required)" if v is _REQUIRED else repr(v)),
    Column("annotation", "type", "left"),
)


def _row(entry: Any) -> dict[str, Any]:
    from archcost.zoo.arguments import described, jsonable

    arguments = described(entry.builder)
    return {
        "name": entry.name, "family": entry.family, "input": "x".join(map(str, entry.input_shape)),
        "dataset": entry.dataset, "classes": entry.num_classes, "paper": entry.paper.title,
        "arxiv": entry.paper.arxiv, "year": entry.paper.year, "table": entry.paper.table, "notes": entry.notes,
        "argument_names": ", ".join(a["name"] for a in arguments),
        "arguments": [{**a, "default": jsonable(a["default"])} for a in arguments],
    }


def _detail(entry: Any, row: dict[str, Any]) -> View:
    from archcost.zoo.arguments import described

    arguments = [{**a, "default": _REQUIRED if a["required"] else a["default"]}
                 for a in described(entry.builder) if not a["name"].startswith("**")]
    free = [a["name"] for a in described(entry.builder) if a["name"].startswith("**")]
    title = f"{entry.name} — {entry.family}; native input {row['input']}, {entry.dataset}, {entry.num_classes} classes"
    notes = [f"Paper: {entry.paper.cite()}."]
    if entry.notes:
        notes.append(f"Notes: {entry.notes}.")
    if free:
        notes.append(f"Also takes {', '.join(free)} (any name the builder knows).")
    example = f"{arguments[0]['name']}={arguments[0]['default']!r}" if arguments and not arguments[0]["required"] \
        else "KEY=VALUE"
    notes.append(f"Set an argument with --set KEY=VALUE (a Python literal), e.g. "
                 f"archcost table {entry.name} --set {example}")
    return View(arguments, ARGUMENT_COLUMNS, title=title, notes=notes, plain_head=True)


@app.command("list")
def list_command(
    pattern: Annotated[Optional[str], typer.Argument(help="fnmatch pattern, e.g. 'resnet*'; an exact name shows "
                                                          "that entry's builder arguments.")] = None,
    format: FormatOption = Format.TABLE,
    out: OutOption = None,
) -> None:
    """List the architectures in the zoo and their builder arguments (fast: does not import torch)."""
    from archcost.errors import UsageError
    from archcost.zoo.registry import entries

    if out is not None:
        check_writable(out)
    found = entries(pattern)
    if not found:
        raise UsageError(f"no architecture matches {pattern!r}; run 'archcost list' to see the zoo")
    rows = [_row(e) for e in found]
    exact = pattern is not None and len(found) == 1 and found[0].name == pattern.lower()
    view = _detail(found[0], rows[0]) if exact else View(rows, COLUMNS, notes=[f"{len(rows)} architectures"])
    if format is Format.MARKDOWN and not exact:
        view = View(rows, COLUMNS)  # the Markdown list has no count line
    write(Output([view], document={"schema": "archcost.list/1", "architectures": rows},
                 csv=View(rows, (*COLUMNS, Column("table", "table"), Column("notes", "notes")))), format, out)
