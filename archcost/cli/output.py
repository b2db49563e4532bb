"""Where command output goes: stdout, or a file (archcost.writes: like the shell's ``>``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from archcost.writes import write_file


def emit(text: str | Any, out: Path | None) -> None:
    """Print ``text`` (a string or a rich renderable) to stdout, or write it to ``out``."""
    if not isinstance(text, str):
        from archcost.render import rich_to_text

        if out is None:
            from rich.console import Console

            # A pipe or a file gets wide lines rather than folded cells; a terminal keeps its own width, and so does
            # a pipe when COLUMNS says how wide (rich reads it).
            Console(width=None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 200).print(text)
            return
        text = rich_to_text(text)
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        write_file(out, text)


def write(output: Any, format: Any, out: Path | None) -> None:
    """The one way a command's result leaves: ``output`` (a render.Output) in ``format``, to stdout or ``out``.
    bench and plot can hand their tables over the same way (an Output of Views)."""
    from archcost.render import render

    emit(render(output, format), out)
