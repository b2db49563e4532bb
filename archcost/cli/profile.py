"""``archcost profile``: measure this device's kernel kinds once and save the latency model's profile (issue 24).

The progress bar goes to stderr; a summary of the fitted parameters to stdout; the profile to ``--out`` or to
``<cache dir>/profiles/<device>-<threads>t-<dtype>.json``, where ``archcost table --predict cpu`` looks for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from archcost.timing.settings import BenchDevice
from archcost.dtypes import Dtype
from archcost.cli.app import app
from archcost.render import Column, Format, Output, View, decimal


@app.command("profile")
def profile_command(
    device: Annotated[BenchDevice, typer.Option(help="Device to measure.", case_sensitive=False)] = BenchDevice.CPU,
    threads: Annotated[Optional[int], typer.Option(help="CPU threads (torch.set_num_threads); default: "
                                                   "torch's.")] = None,
    dtype: Annotated[Dtype, typer.Option(help="Element type of the microbenchmarks.", case_sensitive=False)]
    = Dtype.FLOAT32,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Where to save the profile (JSON); default: "
                                                "the cache folder, where --predict cpu finds it.")] = None,
) -> None:
    """Measure this device (GEMM and copy peaks, each kernel kind networks are made of, per-op overheads) and save a
    device profile for archcost table --predict."""
    from archcost.errors import UsageError
    from archcost.writes import check_writable

    if threads is not None and threads < 1:
        raise UsageError("--threads must be at least 1")
    if out is not None:
        check_writable(out)
    from archcost.cache import base_directory
    from archcost.cli.output import write
    from archcost.predict.measure import measure_profile
    from archcost.predict.profile import default_path, save

    with _Bar() as bar:
        document = measure_profile(device=device.value, threads=threads, dtype=dtype.value, progress=bar.tell)
    path = out or default_path(base_directory(), device.value, document["threads"], dtype.value)
    save(document, path)
    write(summary(document, path), Format.TABLE, None)


class _Bar:
    """A transient rich progress bar on stderr, in a terminal only."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.console = Console(stderr=True)
        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            console=self.console, transient=True)
        self.task = self.bar.add_task("measuring", total=1)

    def __enter__(self) -> _Bar:
        if self.console.is_terminal:
            self.bar.start()
        return self

    def __exit__(self, *_: Any) -> None:
        if self.console.is_terminal:
            self.bar.stop()

    def tell(self, done: int, total: int, what: str) -> None:
        self.bar.update(self.task, completed=done, total=total, description=f"measuring {what}")


def summary(document: dict[str, Any], path: Path) -> Output:
    """One row per kernel kind: its overhead and the range of its fitted efficiency or bandwidth fraction."""
    model = document["model"]
    rows = []
    for kind, parameters in model["kinds"].items():
        curve = parameters.get("efficiency", parameters.get("bandwidth_fraction"))
        values = ([] if curve is None else [v for row in curve["values"] for v in (row if isinstance(row, list)
                                                                                   else [row])])
        rows.append({"kind": kind, "overhead_us": 1e6 * parameters["overhead_s"],
                     "fitted": "efficiency" if "efficiency" in parameters else
                     "bandwidth fraction" if curve is not None else "",
                     "low": min(values) if values else None, "high": max(values) if values else None})
    columns = [Column("kind", "kind", "left"), Column("overhead_us", "overhead us", show=lambda v: decimal(v, 2)),
               Column("fitted", "fitted", "left"), Column("low", "lowest", show=lambda v: decimal(v, 3)),
               Column("high", "highest", show=lambda v: decimal(v, 3))]
    notes = [f"Peak {2 * model['peak_macs_per_s'] / 1e9:,.1f} GFLOP/s (GEMM), bandwidth "
             f"{model['bandwidth_bytes_per_s'] / 1e9:,.1f} GB/s (copy), {1e6 * model['module_overhead_s']:.2f} us "
             f"per module call; {len(document['measurements'])} microbenchmarks.",
             "Efficiency: of the GEMM peak, per grid point of reduction depth x output positions; bandwidth "
             "fraction: of the copy bandwidth, per working-set size.", *_factor_note(document),
             f"Saved to {path} (schema {document['schema']}); use it with archcost table ARCH --predict "
             f"{'cpu' if document['device'] == 'cpu' else path}."]
    title = (f"device profile {document['name']} — {document['machine'].get('name')}, torch {document['torch']}")
    return Output([View(rows, columns, title=title, notes=notes)], document=document)


def _factor_note(document: dict[str, Any]) -> list[str]:
    networks = document.get("networks") or []
    factors = document["model"].get("in_network_factors")
    if not networks or not factors:
        return []
    return [f"In-network factors, fitted on {len(networks)} generated networks timed last: compute x"
            f"{factors['compute']:.2f}, memory x{factors['memory']:.2f}, overhead x{factors['overhead']:.2f} (a "
            "network's median call against its kernels' best calls alone)."]
