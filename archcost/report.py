"""``archcost report``: every reproduce target and the main comparisons as Markdown and CSV, with an index page,
and (unless ``--no-timings``) charts and tables measured on this machine under ``measured/``.

The deterministic part is the same bytes on every run (no dates, fixed order), so the committed ``reports/`` is
always what this module writes; the measured part (``measured/``, its own index) varies with the machine and is
linked from the main index only when it exists. Benchmark output (``benchmarks/``), GPU runs (``gpu/``) and the
catalog are written by other tools: they are kept as they are, and linked only when present.

Nothing lost: the report is built in a staging folder beside the target, so an error or Ctrl-C while it is built
leaves the target untouched; then :mod:`archcost.report_folder` copies it in file by file, keeping every file archcost
did not write and refusing a non-empty folder that holds no earlier report unless ``force`` is given.
"""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path
from typing import Any, Callable

from archcost.render import to_csv, to_markdown

# The comparisons the report carries: (file stem, networks, block level, what it shows).
COMPARISONS = (
    ("inception-naive-vs-bottleneck", ("inception-naive", "inception-bottleneck"), "branch",
     "the lecture's inception module without and with 1x1 reductions, per branch"),
    ("resnet50-v1-vs-v1.5", ("resnet50", "resnet50-v1.5"), "stage",
     "where the stride of a downsampling bottleneck sits (first 1x1 or 3x3), per stage"),
    ("resnet50-vs-resnext50", ("resnet50-v1.5", "resnext50-32x4d"), "stage",
     "ResNeXt-50 (32x4d) at ResNet-50's budget, per stage"),
    ("resnet20-vs-highway", ("resnet20", "highway-cifar-20"), "block",
     "what the highway gate costs, per block"),
    ("resnet110-vs-preact", ("resnet110", "preact-resnet110"), "block",
     "post- against pre-activation, per block"),
)
# What this module writes at the top of the folder; anything else there belongs to another tool and is kept.
OWNED = ("README.md", "googlenet-paper-style.md", "googlenet-paper-style.csv", "reproduce", "compare", "charts")
MEASURED = "measured"
# Written by other tools: (path, link text, command that writes it); linked from the index only when present.
FOREIGN_LINKS = (
    ("benchmarks/analysis-speed.md", "archcost's analysis speed and memory against torch.utils.flop_counter, "
     "ptflops, thop, torchinfo and fvcore", "python benchmarks/analysis_speed.py"),
    ("benchmarks/bench-vs-timer.md", "the bench harness against `torch.utils.benchmark.Timer`",
     "python benchmarks/bench_vs_timer.py"),
    ("benchmarks/calibration.md", "the engine against independent counters on random networks",
     "python benchmarks/calibrate.py"),
    ("benchmarks/zoo-speed.md", "every zoo network's analysis (inference and train mode) against "
     "FlopCounterMode counting the same instance, and the cold command line", "python benchmarks/zoo_speed.py"),
    ("benchmarks/train_speed.md", "what the training meta kernels buy, and train-mode analysis time against "
     "inference analysis time", "python benchmarks/train_speed.py"),
    ("benchmarks/predict.md", "predicted latency (archcost's device-profile model) against measured latency",
     "python benchmarks/predict.py"),
    ("benchmarks/predict-unseen.md", "the same latency model on plain-PyTorch networks it was never checked on",
     "python benchmarks/predict.py --set unseen --profile FILE"),
    ("benchmarks/predict-rerun.md", "the latency benchmark run again 20 minutes later, in a slower and more variable "
     "period of the shared machine (compare the GEMM peaks in the two reports)", "python benchmarks/predict.py"),
    ("benchmarks/predict-unseen-rerun.md", "the unseen networks in that rerun, under its own profile",
     "python benchmarks/predict.py --set unseen --profile FILE"),
    ("benchmarks/predict-overhead.md", "what predicting latency adds to an analysis' time",
     "python benchmarks/predict_overhead.py"),
    ("benchmarks/train_memory.md", "predicted peak training memory against one real step",
     "python benchmarks/train_memory.py"),
    ("gpu/README.md", "GPU runs", "bash benchmarks/gpu_matrix.sh"),
)


def _write(path: Path, text: str) -> Path:
    from archcost.writes import write_file

    path.parent.mkdir(parents=True, exist_ok=True)
    write_file(path, text)
    return path


def _hook(module: str, function: str) -> Callable[[Path], list[Path]] | None:
    """``module.function`` when that module exists and provides it (charts and timings land separately)."""
    try:
        loaded = importlib.import_module(module)
    except ImportError:
        return None
    found = getattr(loaded, function, None)
    return found if callable(found) else None


def _googlenet_paper_style() -> tuple[str, str]:
    from archcost.reproduction import models
    from archcost.reproduction.googlenet import PAPER_STYLE_COLUMNS, paper_style_rows

    rows = paper_style_rows(models.analysis("googlenet"))
    notes = ["Every figure computed by archcost on the meta device: params include biases; ops are MACs "
             "(multiply-accumulates, the paper's convention). Depth counts layers with parameters on the longest path."]
    return (to_markdown(rows, PAPER_STYLE_COLUMNS, title="GoogLeNet, laid out as Table 1 of the paper (computed)",
                        notes=notes),
            to_csv(rows, PAPER_STYLE_COLUMNS))


def _cached(name: str, input_shape: str | None) -> Any:
    from archcost.reproduction import models

    return models.analysis(name, input_shape=input_shape)


def write_report(folder: Path, *, timings: bool = False, measure: Callable[[], dict[str, Any]] | None = None,
                 force: bool = False) -> list[Path]:
    """Write the report under ``folder``; returns the files written, index first (paths under ``folder``). With
    ``timings``, ``measure()`` (default: :func:`archcost.timing.report.measure_report` of the default plan) supplies
    the bench documents of the measured part; tests pass a simulated one. ``force`` writes into a non-empty folder
    that holds no earlier report (its other files are kept)."""
    from archcost.report_folder import check_folder, install, staging_beside

    folder = Path(folder)
    check_folder(folder, force=force)
    if timings and measure is None:
        from archcost.timing.report import default_plan, measure_report

        def measure() -> dict[str, Any]:
            return measure_report(default_plan())

    staging = staging_beside(folder)
    try:
        written = _write_into(staging, measure if timings else None, existing=folder)
        install(staging, folder, written, scope=(*OWNED, MEASURED) if timings else OWNED)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [folder / p.relative_to(staging) for p in written]


def _write_into(folder: Path, measure: Callable[[], dict[str, Any]] | None, *, existing: Path) -> list[Path]:
    """Every file of the report under ``folder`` (the staging folder); ``existing`` is the target, whose other
    tools' files (and a kept measured/) the index links."""
    from archcost.compare import compare, to_csv_text, to_markdown_text
    from archcost.reproduction import TARGETS, reproduce, tables

    written: list[Path] = []
    paper_md, paper_csv = _googlenet_paper_style()
    written += [_write(folder / "googlenet-paper-style.md", paper_md),
                _write(folder / "googlenet-paper-style.csv", paper_csv)]
    reproductions = {}
    for name in TARGETS:
        r = reproductions[name] = reproduce(name)
        written += [_write(folder / "reproduce" / f"{name}.md", tables.markdown(r, heading="#")),
                    _write(folder / "reproduce" / f"{name}.csv", tables.csv(r))]
    for stem, names, level, _ in COMPARISONS:
        comparison = compare(list(names), level=level, analyzer=_cached)
        written += [_write(folder / "compare" / f"{stem}.md", to_markdown_text(comparison)),
                    _write(folder / "compare" / f"{stem}.csv", to_csv_text(comparison))]
    charts = _hook("archcost.plots", "write_report_charts")
    chart_files = sorted(charts(folder)) if charts is not None else []
    written += chart_files
    if measure is not None:
        written += _write_measured(folder / MEASURED, measure())
    index = _write(folder / "README.md", _index(folder, reproductions, paper_md, chart_files, existing))
    return [index, *written]


def _index(folder: Path, reproductions: dict[str, Any], paper_md: str, charts: list[Path], existing: Path) -> str:
    from archcost.report_summary import summary_lines
    from archcost.reproduction import TARGETS, tables

    googlenet, inception = reproductions["googlenet-table1"], reproductions["inception-module"]
    lines = [
        "# archcost report",
        "",
        "Generated by `archcost report` (regenerate with `archcost report --no-timings`; the files are the same "
        "bytes on every run). Every computed figure comes from archcost's engine on PyTorch's meta device; "
        "published figures come from the data files in `archcost/published/`, each with its source. MACs are "
        "multiply-accumulates; papers' FLOPs, ops and multiply-adds are MACs.",
        "",
        *summary_lines(googlenet, inception),
        paper_md.replace("### ", "## ", 1).rstrip("\n"),
        "",
        tables.markdown(googlenet).rstrip("\n"),
        "",
        tables.markdown(inception).rstrip("\n"),
        "",
        "## Every reproduce target",
        "",
        "| target | what | status | files |",
        "|:---|:---|:---|:---|",
    ]
    for name, target in TARGETS.items():
        lines.append(f"| `{name}` | {target.about} | {tables.summary(reproductions[name])} | "
                     f"[md](reproduce/{name}.md), [csv](reproduce/{name}.csv) |")
    for status, heading in (("disagrees", "Disagreements, with the explanation archcost computed for each:"),
                            ("truncated", "Printed figures that are the computed value cut, not rounded:")):
        lines += ["", heading, ""]
        for name, r in reproductions.items():
            for x in (*r.rows, *r.claims):
                if x.status == status:
                    lines.append(f"- `{name}` {x.row} ({x.quantity}): printed {x.published_text}, computed "
                                 f"{tables.number(x.computed)}. {x.explanation}")
    lines += ["", "## Comparisons", "", "| comparison | what | files |", "|:---|:---|:---|"]
    for stem, names, _, about in COMPARISONS:
        lines.append(f"| {' vs '.join(names)} | {about} | [md](compare/{stem}.md), [csv](compare/{stem}.csv) |")
    if charts:
        lines += ["", "## Charts", ""]
        for chart in charts:
            relative = chart.relative_to(folder).as_posix()
            if chart.suffix == ".png":
                lines.append(f"![{chart.stem}]({relative})")
                lines.append("")
    return "\n".join(lines + _other_sections((folder, existing)))


def _other_sections(folders: tuple[Path, ...]) -> list[str]:
    """Links to the measured part and to other tools' output, each only when its file exists in one of ``folders``
    (the new report, or the target it goes into)."""
    def present_in_any(path: str) -> bool:
        return any((folder / path).is_file() for folder in folders)

    lines = []
    if present_in_any(f"{MEASURED}/README.md"):
        lines += ["", "## Measured on a real machine", "",
                  "Accuracy against measured latency and throughput, MACs against measured latency with the roofline's "
                  "explanation, time per image against batch size and a per-layer roofline: "
                  f"[{MEASURED}/README.md]({MEASURED}/README.md) (written by `archcost report`, skipped with "
                  "`--no-timings`; it names the machine and varies from run to run, so it is not part of the "
                  "byte-for-byte promise)."]
    present = [(path, text, command) for path, text, command in FOREIGN_LINKS if present_in_any(path)]
    if present:
        lines += ["", "## Written by other tools", ""]
        lines += [f"- {text}: [{path}]({path}) (`{command}`)." for path, text, command in present]
    return [*lines, ""]


def _write_measured(folder: Path, measured: dict[str, Any]) -> list[Path]:
    """The measured part: charts (with their data), timing tables and bench documents, and its own index."""
    from archcost.timing.report import write_report_tables
    from archcost.plots.draw_measured_report import write_measured_charts

    charts, problems = write_measured_charts(folder, measured)
    tables = write_report_tables(folder, measured)
    index = _write(folder / "README.md", _measured_index(folder, measured, charts, tables, problems))
    return [index, *charts, *tables]


def _measured_index(folder: Path, measured: dict[str, Any], charts: list[Path], tables: list[Path],
                    problems: list[str]) -> str:
    from archcost.plots.measured_data import machine_line

    documents = [measured[p] for p in ("latency", "throughput", "scaling", "layers") if measured.get(p)]
    machine = machine_line(documents[0]) if documents else "nothing measured"
    plan = measured.get("plan", {})
    lines = ["# archcost report: measured on this machine", "",
             f"Machine: {machine}. Measured by `archcost report` with archcost's bench harness in "
             f"{measured.get('elapsed_s', 0):.0f} s (budget {plan.get('budget_s', 0):g} s, at most "
             f"{plan.get('per_network_s', 0):g} s per measurement; `--full-timings` widens both, `--no-timings` "
             "skips this part). Times vary between runs and machines; the MACs, parameters and arithmetic "
             "intensities are computed, the accuracies are published (`archcost/published/`).", ""]
    for chart in (c for c in charts if c.suffix == ".png"):
        relative = chart.relative_to(folder).as_posix()
        lines += [f"![{chart.stem}]({relative})", "",
                  f"Data: [{chart.with_suffix('.json').name}]({relative[:-4]}.json)", ""]
    if tables:
        lines += ["## Tables and bench files", ""]
        lines += [f"- [{t.name}]({t.relative_to(folder).as_posix()})" for t in tables]
        lines.append("")
    left_out = list(measured.get("skipped", [])) + problems
    failures = [f["error"] for d in documents for f in d.get("failures", [])]
    if left_out or failures:
        lines += ["## Left out", ""]
        lines += [f"- {line}" for line in (*left_out, *failures)]
        lines.append("")
    return "\n".join(lines)
