"""Options shared by several commands, defined once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from archcost.render import Format

FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)]
OutOption = Annotated[
    Optional[Path],
    typer.Option("--out", "-o", help="Write to FILE (atomically: nothing is left half-written) instead of stdout."),
]
InputOption = Annotated[
    Optional[str],
    typer.Option("--input", "-i", help="Input shape CxHxW or NxCxHxW (default: the architecture's native input)."),
]
BatchOption = Annotated[Optional[int], typer.Option("--batch", "-b", help="Batch size N (default 1).")]
