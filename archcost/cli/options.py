"""Options shared by several commands, defined once."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Optional, Sequence

import typer

from archcost.dtypes import Dtype as Dtype  # --dtype: the one enumeration (archcost/dtypes.py)
from archcost.render import Format


class Style(StrEnum):
    """``table --style``: a published layout of the same figures."""

    PAPER = "paper"
    KERAS = "keras"


class Level(StrEnum):
    """``compare --by``: the block level of the diff (archcost.compare.LEVELS; a test keeps the two equal)."""

    AUTO = "auto"
    BRANCH = "branch"
    STAGE = "stage"
    BLOCK = "block"
    TOP = "top"


# The formats an --out file's suffix names; any other suffix keeps --format's value (its default: the table text).
SUFFIX_FORMATS = {".csv": Format.CSV, ".json": Format.JSON, ".md": Format.MARKDOWN, ".markdown": Format.MARKDOWN,
                  ".txt": Format.TABLE}


def format_for_out(ctx: typer.Context, value: Format) -> Format:
    """``--format`` as the ``--out`` file's suffix names it, when --format was not given; a given --format that
    contradicts the suffix is a usage error. --out is eager, so it is already in ``ctx.params`` here: every command
    with both options gets this in one place, before anything is computed or written."""
    from archcost.errors import UsageError

    # Only OutOption's file counts: report's --out is a folder (its own, non-eager option).
    out_option = next((p for p in ctx.command.params if p.name == "out"), None)
    out = ctx.params.get("out") if out_option is not None and out_option.is_eager else None
    by_suffix = SUFFIX_FORMATS.get(Path(out).suffix.lower()) if out is not None else None
    if by_suffix is None:
        return value
    source = ctx.get_parameter_source("format")
    if source is None or source.name in ("DEFAULT", "DEFAULT_MAP"):
        return by_suffix
    if Format(value) is not by_suffix:
        raise UsageError(f"--format {Format(value).value} contradicts --out {out} (its suffix says {by_suffix.value}); "
                         "drop one of them")
    return value


FormatOption = Annotated[
    Format,
    typer.Option("--format", "-f", help="Output format (default: by the --out file's suffix .csv, .json, .md or "
                 ".txt, else table).", case_sensitive=False, callback=format_for_out),
]
OutOption = Annotated[
    Optional[Path],
    # Eager: processed before --format, whose callback reads it.
    typer.Option("--out", "-o", is_eager=True,
                 help="Write to FILE (atomically: nothing is left half-written) instead of stdout."),
]
InputOption = Annotated[
    Optional[list[str]],
    typer.Option("--input", "-i", help="An input of forward, [NAME=]SHAPE[:DTYPE]; repeat it, one per positional "
                 "argument (NAME= for a keyword one). Up to 3 dimensions are per sample and get --batch "
                 "(3x224x224, 16x100, 128:int64); 4 or more are the exact shape (1x3x16x112x112). "
                 "Default: the architecture's native input."),
]


def input_argument(texts: list[str] | None) -> str | tuple[str, ...] | None:
    """What ``--input`` hands to the API: one string for one input, a tuple of strings for several (hashable, so the
    report's memoised analyses can key on it). Each is parsed here first: a malformed one fails before torch loads."""
    from archcost.shapes import parse_input

    if not texts:
        return None
    for text in texts:
        parse_input(text)
    return texts[0] if len(texts) == 1 else tuple(texts)
BatchOption = Annotated[Optional[int], typer.Option("--batch", "-b", help="Batch size N (default 1).")]
SetOption = Annotated[
    Optional[list[str]],
    typer.Option("--set", metavar="KEY=VALUE",
                 help="A builder argument, repeatable; VALUE is a Python literal (None, True, 10, 0.5, (1, 2), 'a') "
                      "or a plain word read as a string (--set norm=batch). 'archcost list NAME' shows the "
                      "arguments."),
]


def builder_arguments(sets: list[str] | None, archs: Sequence[str] = ()) -> dict[str, Any]:
    """``--set`` values as builder keyword arguments, checked against every registry builder among ``archs`` before
    torch is imported (other builders are checked when they are built)."""
    from archcost.errors import ArchcostError
    from archcost.zoo import arguments, registry

    overrides = arguments.parse_sets(sets)
    for arch in archs if overrides else ():
        try:
            entry = registry.get(arch)
        except ArchcostError:
            continue  # not a registry name: resolving it says what is wrong
        arguments.check(entry.name, entry.builder, overrides)
    return overrides
