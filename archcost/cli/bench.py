"""``archcost bench ARCH ...``: real-device inference timing. Parses, hands off to :mod:`archcost.timing`, renders.

The progress bar and the one-line reports of failed measurements go to stderr; results go to stdout or ``--out``.
"""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from archcost.timing.settings import BenchDevice
from archcost.dtypes import Dtype
from archcost.cli.app import app
from archcost.cli.options import FormatOption, InputOption, OutOption, SetOption, builder_arguments
from archcost.cli.output import write
from archcost.writes import check_writable
from archcost.render import Column, Format, Output, View


def _batches_and_shape(batch: str | None, input: list[str] | None) -> tuple[tuple[int, ...], str | None]:
    """Batch sizes from ``--batch`` and the one ``--input`` (a shape of four or more dimensions fixes the batch)."""
    from archcost.timing.settings import parse_batches
    from archcost.errors import UsageError
    from archcost.shapes import PER_SAMPLE_MAX_DIMS, format_shape, parse_input

    batches = parse_batches(batch) if batch is not None else None
    if not input:
        return batches or (1,), None
    if len(input) > 1:
        raise UsageError("bench times a forward of one input; give a single --input")
    spec = parse_input(input[0])
    if spec.name is not None or spec.dtype is not None:
        raise UsageError(f"bench times one positional input in --dtype; {input[0]!r} names a keyword or a dtype")
    if len(spec.dims) <= PER_SAMPLE_MAX_DIMS:
        return batches or (1,), format_shape(spec.dims)
    if batches is not None and batches != (spec.dims[0],):  # the exact shape: its N is the batch
        raise UsageError(f"--input {input[0]!r} fixes the batch at {spec.dims[0]} but --batch says {batch}")
    return (spec.dims[0],), format_shape(spec.dims)


@app.command("bench")
def bench_command(
    archs: Annotated[list[str], typer.Argument(help="One or more registry names (or torchvision:NAME, timm:NAME, "
                                               "package.module:callable).", show_default=False)],
    device: Annotated[BenchDevice, typer.Option(help="Device to time on.", case_sensitive=False)] = BenchDevice.CPU,
    batch: Annotated[Optional[str], typer.Option("--batch", "-b", help="Batch sizes, comma-separated, e.g. 1,8,32 "
                                                 "(default 1).")] = None,
    dtype: Annotated[Dtype, typer.Option(help="Weights and input dtype.", case_sensitive=False)]
    = Dtype.FLOAT32,
    channels_last: Annotated[bool, typer.Option("--channels-last", help="NHWC memory format for the model "
                                                "and input.")] = False,
    compile: Annotated[bool, typer.Option("--compile", help="torch.compile the model (compilation happens during "
                                          "warm-up).")] = False,
    warmup: Annotated[int, typer.Option(help="Minimum warm-up calls; warm-up then goes on until two consecutive "
                                        "3-call window medians agree within 5%.")] = 3,
    max_warmup: Annotated[Optional[float], typer.Option("--max-warmup", help="Seconds the stability windows may "
                                                        "take after the minimum warm-up (default: max(1, "
                                                        "--min-time); 30 with --compile).")] = None,
    min_time: Annotated[float, typer.Option("--min-time", help="Minimum measuring time per batch size, in "
                                            "seconds.")] = 1.0,
    min_runs: Annotated[int, typer.Option("--min-runs", help="Minimum number of timed calls.")] = 5,
    isolate: Annotated[bool, typer.Option("--isolate", help="Measure each network in its own process.")] = False,
    threads: Annotated[Optional[int], typer.Option(help="CPU threads (torch.set_num_threads); default: "
                                                   "torch's.")] = None,
    layers: Annotated[bool, typer.Option("--layers", help="Also time every module: per-layer ms and roofline "
                                         "points (JSON 'layers'; with --format csv the CSV lists the layers).")]
    = False,
    input: InputOption = None,
    sets: SetOption = None,
    format: FormatOption = Format.TABLE,
    out: OutOption = None,
) -> int:
    """Time inference on a real device: median, p10/p90, IQR, CoV, images/s, GFLOP/s and % of the measured peak."""
    from archcost.timing.settings import BenchSettings

    batches, shape = _batches_and_shape(batch, input)
    overrides = builder_arguments(sets, archs)
    settings = BenchSettings(device=device, dtype=dtype, channels_last=channels_last, compile=compile,
                             warmup=warmup, max_warmup_s=max_warmup, min_time_s=min_time, min_runs=min_runs,
                             isolate=isolate, threads=threads, layers=layers, input_shape=shape)
    if out is not None:
        check_writable(out)

    from archcost.timing.harness import run

    with _Progress(total=len(archs) * len(batches)) as progress:
        report = run(archs, batches=batches, settings=settings, overrides=overrides or None,
                     observer=progress.observe)
    warning = report.load.warning() if report.load else None
    if warning:
        progress.console.print(f"archcost: warning: {warning}", markup=False, highlight=False, soft_wrap=True)
    write(bench_output(report.to_dict()), format, out)
    return 1 if report.failures else 0


class _Progress:
    """A rich progress bar on stderr (transient: it leaves nothing behind), fed by the harness's events."""

    def __init__(self, *, total: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.console = Console(stderr=True)
        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            console=self.console, transient=True)
        self.task = self.bar.add_task("measuring the device peak", total=total)
        self.done = 0  # measurements finished (results and failures)

    def __enter__(self) -> _Progress:
        if self.console.is_terminal:  # a log file or a pipe gets the failure lines only, not a bar's leftovers
            self.bar.start()
        return self

    def __exit__(self, *_: Any) -> None:
        if self.console.is_terminal:
            self.bar.stop()

    # Share of one measurement's slot on the bar given to warm-up; the timed calls fill the rest.
    WARMUP_SHARE = 0.3

    def position(self, phase: str, fraction: float) -> float:
        """Where the bar stands within the current measurement for a progress event of the harness."""
        if phase == "warmup":
            return self.WARMUP_SHARE * fraction
        return self.WARMUP_SHARE + (1 - self.WARMUP_SHARE) * fraction

    def observe(self, event: str, payload: dict[str, Any]) -> None:
        if event == "start":
            self.bar.update(self.task, description=f"bench {payload['arch']} batch {payload['batch']}")
        elif event == "progress":
            phase = "warm-up" if payload["phase"] == "warmup" else "measuring"
            self.bar.update(self.task, completed=self.done + self.position(payload["phase"], payload["fraction"]),
                            description=f"bench {payload['arch']} batch {payload['batch']}: {phase}, "
                            f"{payload['runs']} calls")
        elif event in ("result", "failure"):
            self.done += 1
            self.bar.update(self.task, completed=self.done)
        if event == "failure":
            # Printed through the bar's console so the bar redraws below the line instead of through it.
            self.console.print(f"archcost: error: {payload['error']}", markup=False, highlight=False,
                               soft_wrap=True)


def _layer_rows(document: dict[str, Any], max_depth: int | None) -> list[dict[str, Any]]:
    rows = []
    for result in document["results"]:
        for point in result.get("layers", []):
            if max_depth is not None and point["depth"] > max_depth:
                continue
            leaf = point["name"].rpartition(".")[2] if point["name"] else result["arch"]
            rows.append({"arch": result["arch"], "batch": result["batch"], **point,
                         "layer": "  " * point["depth"] + leaf})
    return rows


def _overhead_note(result: dict[str, Any]) -> str:
    o = result["layer_overhead"]
    return (f"Per-layer times: median of {o['runs']} forwards with a pre/post hook on every module, inclusive of "
            f"children; the hooks made the whole forward {o['hooked_forward_ms']:.3f} ms against "
            f"{o['plain_forward_ms']:.3f} ms without ({100 * o['overhead_fraction']:.1f}% overhead, "
            f"{o['overhead_us_per_module_call']:.1f} us per module call). Roof: min(peak, bandwidth x FLOP/byte).")


def bench_output(document: dict[str, Any]) -> Output:
    """An ``archcost.bench/1`` document as tables: the results, then (with ``--layers``) each result's layers at
    depth <= 1. JSON is the document; CSV lists the layers when there are any, else the results."""
    from archcost.timing.columns import LAYER_COLUMNS, RESULT_COLUMNS, RESULT_KEYS, csv_rows, device_lines

    results = document["results"]
    layered = any("layers" in r for r in results)
    title = f"archcost bench — {document['device']['type']}: {document['device'].get('name', '')}"
    views = [View(results, RESULT_COLUMNS, title=title, notes=device_lines(document))]
    for result in results if layered else []:
        views.append(View(_layer_rows({"results": [result]}, 1), LAYER_COLUMNS,
                          title=f"{result['arch']} batch {result['batch']}: measured time per layer",
                          markdown_title=f"{result['arch']} batch {result['batch']}: measured time per layer "
                          "(depth <= 1)", notes=[_overhead_note(result)]))
    if layered:
        csv = View(_layer_rows(document, None), [Column(k, k) for k in LAYER_CSV_KEYS])
    else:
        csv = View(csv_rows(results), [Column(k, k) for k in RESULT_KEYS])
    return Output(views, document=document, csv=csv)


# The CSV of `archcost bench --layers`: one row per module of every result.
LAYER_CSV_KEYS = ("arch", "batch", "name", "type", "depth", "macs", "memory_bytes", "intensity_flops_per_byte",
                  "measured_ms", "achieved_gflops", "attainable_gflops", "attainable_fraction", "bound")
