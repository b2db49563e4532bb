"""``archcost report [--out DIR]``: regenerate every reproduce table, comparison and chart with an index page."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from archcost.cli.app import app
from archcost.cli.options import FormatOption
from archcost.cli.output import emit
from archcost.render import Column, Format, to_csv, to_json, to_markdown


@app.command("report")
def report_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write (created if missing).")] = Path("reports"),
    timings: Annotated[bool, typer.Option("--timings/--no-timings", help="Also time networks on this CPU "
                                                                          "(under timings/; not deterministic).")]
    = False,
    format: FormatOption = Format.TABLE,
) -> None:
    """Write every reproduce target and the main comparisons (Markdown + CSV), charts, and README.md."""
    from archcost.errors import OutputError

    if out.exists() and not out.is_dir():
        raise OutputError(f"cannot write the report to {out}: it is a file")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot create {out}: {error.strerror or error}") from None

    from archcost.report import write_report

    written = write_report(out, timings=timings)
    rows = [{"file": str(p)} for p in written]
    columns = [Column("file", "file", "left")]
    if format is Format.JSON:
        emit(to_json({"schema": "archcost.report/1", "folder": str(out), "files": [str(p) for p in written]}), None)
    elif format is Format.CSV:
        emit(to_csv(rows, columns), None)
    elif format is Format.MARKDOWN:
        emit(to_markdown(rows, columns), None)
    else:
        emit(f"wrote {len(written)} files under {out}/ (index: {out / 'README.md'})\n", None)
