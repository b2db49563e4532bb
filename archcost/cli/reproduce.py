"""``archcost reproduce [TARGET ...]``: published cost tables next to the computed ones."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from archcost.cli.app import app
from archcost.cli.options import FormatOption, OutOption
from archcost.cli.output import emit, write
from archcost.writes import check_writable, write_file
from archcost.render import Format, Output, View


@app.command("reproduce")
def reproduce_command(
    targets: Annotated[Optional[list[str]], typer.Argument(help="Targets (default: all); an unknown name lists "
                                                                 "the known ones.")] = None,
    check: Annotated[bool, typer.Option("--check", help="Exit 1 when a computed value or a flagged set drifts "
                                                        "from the golden file, naming what moved.")] = False,
    write_golden: Annotated[bool, typer.Option("--write-golden", help="Recompute every target and write the "
                                                                      "golden file that --check reads.")] = False,
    format: FormatOption = Format.TABLE,
    out: OutOption = None,
) -> None:
    """Each published table beside the computed one: printed, computed, difference, status, explanation."""
    from archcost.reproduction import check_targets, reproduce
    from archcost.reproduction import golden

    names = check_targets(list(targets or []))
    if out is not None:
        check_writable(out)
    if write_golden:
        reproductions = [reproduce(n) for n in check_targets([])]
        write_file(golden.GOLDEN_PATH, golden.golden_text(reproductions))
        emit(f"wrote {golden.GOLDEN_PATH} ({len(reproductions)} targets)\n", out)
        return
    if check and not golden.GOLDEN_PATH.is_file():
        raise golden.GoldenMissingError(f"no golden file at {golden.GOLDEN_PATH}; create it with "
                                        "'archcost reproduce --write-golden'")
    reproductions = [reproduce(n) for n in names]
    _render(reproductions, format, out)
    if check:
        moved = golden.drift(reproductions)
        if moved:
            raise golden.DriftError(f"{len(moved)} computed value(s) drifted from the golden file: "
                                    + "; ".join(moved[:5]) + (" ..." if len(moved) > 5 else ""))


def _render(reproductions: list, format: Format, out: object) -> None:
    from archcost.reproduction import tables

    documents = [r.to_dict() for r in reproductions]
    # The status legend once, after the last target, not after each of them.
    last = len(reproductions) - 1
    views = [tables.view(r, legend=i == last) for i, r in enumerate(reproductions)]
    markdown = "\n".join(tables.markdown(r, legend=i == last) for i, r in enumerate(reproductions))
    write(Output(views, document=documents[0] if len(documents) == 1 else documents,
                 csv=View(*tables.csv_rows(reproductions)), markdown=markdown), format, out)  # type: ignore[arg-type]
