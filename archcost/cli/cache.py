"""``archcost cache info|clear``: where ``archcost table``'s disk cache is, how big it is, and emptying it. Beside the
analyses it keeps the optimizer steps train-mode analyses traced (archcost/cache.py, ``optimizer-steps/``).

Torch-free. ``clear`` removes only the files the cache wrote (archcost/cache.py names them by its own pattern), so a
cache folder shared with anything else keeps everything else.
"""

from __future__ import annotations

from typing import Any

import typer

from archcost.cli.app import app
from archcost.cli.options import FormatOption, OutOption
from archcost.cli.output import write
from archcost.writes import check_writable
from archcost.render import Column, Format, Output, View, integer

cache_app = typer.Typer(help="The disk cache of `archcost table` results: show it or empty it.",
                        no_args_is_help=True)
app.add_typer(cache_app, name="cache")

INFO_COLUMNS = (Column("folder", "folder", "left"), Column("enabled", "enabled", "left"),
                Column("entries", "entries", show=integer), Column("bytes", "bytes", show=integer),
                Column("optimizer_steps", "optimizer steps", show=integer),
                Column("optimizer_step_bytes", "their bytes", show=integer))
CLEAR_COLUMNS = (Column("folder", "folder", "left"), Column("removed", "entries removed", show=integer),
                 Column("optimizer_steps_removed", "optimizer steps removed", show=integer),
                 Column("bytes", "bytes freed", show=integer))


def _emit(document: dict[str, Any], columns: tuple[Column, ...], schema: str, format: Format, out: Any) -> None:
    write(Output([View([document], columns)], document={"schema": schema, **document}), format, out)


@cache_app.command("info")
def info_command(format: FormatOption = Format.TABLE, out: OutOption = None) -> None:
    """The cache's folder, whether it is on (ARCHCOST_NO_CACHE), and its entries and bytes; the optimizer steps
    train-mode analyses keep are counted apart (they live beside it, in optimizer-steps/)."""
    from archcost import cache

    if out is not None:
        check_writable(out)
    _emit(cache.info(), INFO_COLUMNS, "archcost.cache-info/1", format, out)


@cache_app.command("clear")
def clear_command(format: FormatOption = Format.TABLE, out: OutOption = None) -> None:
    """Remove every entry the cache wrote (nothing else in its folder); exit 1 when one cannot be removed."""
    from archcost import cache

    if out is not None:
        check_writable(out)
    cleared = cache.clear()
    if cleared["error"] is not None:  # reporting success would leave the user trusting entries still there
        from archcost.errors import ArchcostError

        raise ArchcostError(f"{cleared['not_removed']:,} cache file(s) not removed; {cleared['error']}")
    _emit({k: v for k, v in cleared.items() if k not in ("not_removed", "error")}, CLEAR_COLUMNS,
          "archcost.cache-clear/1", format, out)
