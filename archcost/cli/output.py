"""Where command output goes: stdout, or a file written atomically (temporary file + rename)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from archcost.errors import OutputError


def check_writable(path: Path) -> None:
    """Fail before any work is done when ``path`` cannot be written."""
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise OutputError(f"cannot write {path}: it is a folder")
    if not folder.is_dir():
        raise OutputError(f"cannot write {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise OutputError(f"cannot write {path}: folder {folder} is not writable")


def _umask() -> int:
    """The process's umask (reading it means setting it: put it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: Path, data: str | bytes) -> None:
    check_writable(path)
    folder = path.parent if str(path.parent) else Path(".")
    mode = "wb" if isinstance(data, bytes) else "w"
    try:
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, mode) as handle:
            handle.write(data)
            # mkstemp creates the file 0600; a file written the ordinary way gets 0666 less the umask.
            os.fchmod(handle.fileno(), 0o666 & ~_umask())
        os.replace(temporary, path)
    except OSError as error:
        if "temporary" in locals() and os.path.exists(temporary):
            os.unlink(temporary)
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None


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
        write_atomic(out, text)


def write(output: Any, format: Any, out: Path | None) -> None:
    """The one way a command's result leaves: ``output`` (a render.Output) in ``format``, to stdout or ``out``.
    bench and plot can hand their tables over the same way (an Output of Views)."""
    from archcost.render import render

    emit(render(output, format), out)
