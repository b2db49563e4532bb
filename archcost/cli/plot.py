"""``archcost plot KIND``: charts as PNG/SVG/PDF (``--out FILE``), or the data behind them (``--format``).

Kinds: accuracy, layers, inception, scaling (computed on the meta device) and batch, roofline (from an
``archcost bench`` JSON file). Nothing heavy is imported until a command runs.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from archcost.cli.app import app
from archcost.cli.options import InputOption, SetOption, builder_arguments
from archcost.cli.output import write
from archcost.writes import check_writable
from archcost.render import Column, Format, Output, View, percent

plot_app = typer.Typer(
    name="plot", no_args_is_help=True, add_completion=False,
    help="Charts (PNG, SVG or PDF, by the --out file's suffix) from archcost's own computed numbers; "
         "--format csv|json|table|markdown prints the data behind a chart instead of drawing it.",
)
app.add_typer(plot_app, name="plot")


class XAxis(StrEnum):
    MACS = "macs"
    FLOPS = "flops"
    PARAMS = "params"
    LATENCY = "latency"


class Dataset(StrEnum):
    IMAGENET = "imagenet"
    CIFAR10 = "cifar10"


DataFormatOption = Annotated[
    Optional[Format],
    typer.Option("--format", "-f", case_sensitive=False,
                 help="Print the chart's data in this format instead of drawing it."),
]
ImageOutOption = Annotated[
    Optional[Path],
    typer.Option("--out", "-o", help="The chart file: .png, .svg or .pdf (with --format: where the data go)."),
]
BenchOption = Annotated[Path, typer.Option("--bench", help="JSON written by 'archcost bench --format json'.")]


def _prepare(format: Format | None, out: Path | None) -> str | None:
    """Check the output before any work: returns the image format to draw, or None to print data."""
    from archcost.errors import UsageError

    if format is None and out is None:
        raise UsageError("give --out FILE.png|svg|pdf to draw the chart, or --format csv|json|table|markdown "
                         "to print its data")
    if out is not None:
        check_writable(out)
    if format is not None:
        return None
    from archcost.plots.figures import image_format

    return image_format(out)  # type: ignore[arg-type]


def _shown(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return "x".join(map(str, value))
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return "" if value is None else str(value)


def _finish(chart: Any, image: str | None, format: Format | None, out: Path | None) -> None:
    if image is not None:
        from archcost.writes import write_file
        from archcost.plots.figures import render

        write_file(out, render(chart, image))  # type: ignore[arg-type]
        return
    write(chart_output(chart), format, out)


# The chart tables' columns a narrow terminal leaves out, first to last: provenance, then figures derived from
# others (flops = 2 x MACs, x = MACs in G, gradients = parameters), then descriptions. The rest (the label, the
# figures a chart plots) are essential.
_LEAST_IMPORTANT_FIRST = ("source", "source_kind", "evaluation", "crops", "pareto", "x", "flops", "dataset",
                          "input_shape", "family", "top5_percent", "gradient_bytes", "backward_transient_bytes",
                          "optimizer_state_bytes", "params_percent", "output_shape", "path", "phi", "width_mult",
                          "depth_mult", "type", "kind", "name")


def chart_output(chart: Any) -> Output:
    """The data behind a chart as one table (its title, its caption as notes); CSV cells join lists as ``AxB``."""
    first = chart.rows[0] if chart.rows else {}
    columns = [Column(k, k.replace("_", " "), "left" if isinstance(first.get(k), str) else "right",
                      show=percent if k.endswith("_percent") else _shown, label=i == 0,
                      drop=len(_LEAST_IMPORTANT_FIRST) - _LEAST_IMPORTANT_FIRST.index(k)
                      if k in _LEAST_IMPORTANT_FIRST else 0)
               for i, k in enumerate(chart.columns)]
    rows = [{k: ("x".join(map(str, v)) if isinstance(v, list) else v) for k, v in r.items()} for r in chart.rows]
    return Output([View(chart.rows, columns, title=chart.title, notes=chart.caption)], document=chart.to_dict(),
                  csv=View(rows, [Column(k, k) for k in chart.columns]))


@plot_app.command("accuracy")
def accuracy_command(
    archs: Annotated[Optional[list[str]], typer.Argument(help="Networks to show (default: every network with a "
                                                              "published result on the dataset).")] = None,
    x: Annotated[XAxis, typer.Option("--x", case_sensitive=False, help="Horizontal axis.")] = XAxis.MACS,
    bench: Annotated[Optional[Path], typer.Option("--bench", help="Timing file for --x latency (archcost bench "
                                                                  "JSON).")] = None,
    dataset: Annotated[Dataset, typer.Option(case_sensitive=False, help="Published results on this dataset.")]
    = Dataset.IMAGENET,
    format: DataFormatOption = None,
    out: ImageOutOption = None,
) -> None:
    """Top-1 accuracy against MACs, FLOPs, parameters or measured latency; bubble area proportional to parameters."""
    image = _prepare(format, out)
    from archcost.plots.chart_data import accuracy_chart

    timing = None
    if bench is not None:
        from archcost.plots.bench_data import load_bench

        timing = load_bench(bench)
    _finish(accuracy_chart(archs=archs or (), dataset=dataset.value, x=x.value, bench=timing), image, format, out)


@plot_app.command("layers")
def layers_command(
    arch: Annotated[str, typer.Argument(help="Registry name, torchvision:NAME or package.module:callable.")],
    input: InputOption = None,
    depth: Annotated[Optional[int], typer.Option("--depth", "-d", help="Show the modules at this depth "
                                                 "(default: the first modules that are not plain containers).")]
    = None,
    sets: SetOption = None,
    format: DataFormatOption = None,
    out: ImageOutOption = None,
) -> None:
    """MACs and parameters per block: where the cost of one network goes."""
    if input is not None:
        from archcost.shapes import parse_shape

        for text in input:  # --input repeats, one per input of forward (a list, as table takes it)
            parse_shape(text)
    overrides = builder_arguments(sets, [arch])
    image = _prepare(format, out)
    from archcost.plots.cost_data import layers_chart

    _finish(layers_chart(arch=arch, input_shape=input, depth=depth, overrides=overrides), image, format, out)


@plot_app.command("inception")
def inception_command(format: DataFormatOption = None, out: ImageOutOption = None) -> None:
    """The naive and the bottleneck inception module side by side, stacked by branch, with their totals."""
    image = _prepare(format, out)
    from archcost.plots.cost_data import inception_chart

    _finish(inception_chart(), image, format, out)


@plot_app.command("scaling")
def scaling_command(
    arch: Annotated[str, typer.Argument(help="The EfficientNet to scale.")] = "efficientnet-b0",
    format: DataFormatOption = None,
    out: ImageOutOption = None,
) -> None:
    """EfficientNet scaled in width, depth or resolution alone, and compound, with each fitted exponent."""
    image = _prepare(format, out)
    from archcost.plots.cost_data import scaling_chart

    _finish(scaling_chart(arch=arch), image, format, out)


@plot_app.command("batch")
def batch_command(bench: BenchOption, format: DataFormatOption = None, out: ImageOutOption = None) -> None:
    """Time per image against batch size, from a bench file."""
    image = _prepare(format, out)
    from archcost.plots.bench_data import batch_chart, load_bench

    _finish(batch_chart(bench=load_bench(bench)), image, format, out)


@plot_app.command("roofline")
def roofline_command(bench: BenchOption, format: DataFormatOption = None, out: ImageOutOption = None) -> None:
    """Achieved GFLOP/s against arithmetic intensity under the device's measured roofs, from a bench file."""
    image = _prepare(format, out)
    from archcost.plots.bench_data import load_bench, roofline_chart

    _finish(roofline_chart(bench=load_bench(bench)), image, format, out)

