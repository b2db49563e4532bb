"""``archcost report [--out DIR]``: regenerate every reproduce table, comparison and chart with an index page, and
measure the networks on this machine for the measured charts (``--no-timings`` skips that part)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from archcost.cli.app import app
from archcost.cli.options import FormatOption
from archcost.cli.output import emit, write
from archcost.render import Column, Format, Output, View


@app.command("report")
def report_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write (created if missing).")] = Path("reports"),
    timings: Annotated[bool, typer.Option("--timings/--no-timings", help="Measure networks on this machine for the "
                                                                          "charts under measured/ (about two minutes "
                                                                          "on a 2-core CPU; not deterministic).")]
    = True,
    full_timings: Annotated[bool, typer.Option("--full-timings", help="Measure longer and at larger batches "
                                                                      "(about ten minutes).")] = False,
    device: Annotated[str, typer.Option("--device", help="Device to measure on: cpu or cuda.")] = "cpu",
    threads: Annotated[int | None, typer.Option("--threads", min=1, help="CPU threads for the measurements "
                                                                         "(default 1: reproducible on a shared "
                                                                         "machine).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Write into a folder that is not empty and holds no earlier "
                                                         "report; the files already there are kept.")] = False,
    format: FormatOption = Format.TABLE,
) -> None:
    """Write every reproduce target and the main comparisons (Markdown + CSV), charts, measured charts, and
    README.md."""
    from archcost.errors import UsageError
    from archcost.report_folder import check_folder

    check_folder(out, force=force)  # a file, or someone else's folder: one line before any work
    if device not in ("cpu", "cuda"):
        raise UsageError(f"unknown --device {device!r}; choose cpu or cuda")
    if full_timings and not timings:
        raise UsageError("--full-timings and --no-timings contradict each other; choose one")

    if timings and device == "cuda":  # fail in one line before the deterministic part is built
        from archcost.timing.device import check_device
        from archcost.timing.settings import BenchDevice

        check_device(BenchDevice.CUDA)

    from archcost.report import write_report

    written = write_report(out, timings=timings, measure=_measure(full_timings, device, threads) if timings else None,
                           force=force)
    if format is Format.TABLE:  # a terminal gets one line; the file list is for csv, json and markdown
        emit(f"wrote {len(written)} files under {out}/ (index: {out / 'README.md'})\n", None)
        return
    document = {"schema": "archcost.report/1", "folder": str(out), "files": [str(p) for p in written]}
    view = View([{"file": str(p)} for p in written], [Column("file", "file", "left")])
    write(Output([view], document=document), format, None)


def _measure(full: bool, device: str, threads: int | None) -> Any:
    def measure() -> dict[str, Any]:
        import sys

        from archcost.timing.report import default_plan, measure_report

        plan = default_plan(full=full, device=device, threads=threads)
        # Minutes of silence read as a hang: say what is being timed and how to skip it.
        print(f"archcost report: timing {len(plan.archs)} networks on {device} for measured/ (at most "
              f"{plan.budget_s:g} s; --no-timings skips this)", file=sys.stderr, flush=True)
        measured = measure_report(plan)
        for line in measured["skipped"]:
            print(f"archcost report: skipped {line}", file=sys.stderr)
        return measured

    return measure
