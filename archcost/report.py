"""``archcost report``: every reproduce target and the main comparisons as Markdown and CSV, with an index page,
and (unless ``--no-timings``) charts and tables measured on this machine under ``measured/``.

The deterministic part is the same bytes on every run (no dates, fixed order), so the committed ``reports/`` is
always what this module writes; the measured part (``measured/``, its own index) varies with the machine and is
linked from the main index only when it exists. Benchmark output (``benchmarks/``), GPU runs (``gpu/``) and the
catalog are written by other tools: they are kept as they are, and linked only when present.

All or nothing: the report is built in a temporary folder beside the target (the target's foreign entries hard-linked
in first), then swapped into place with two renames; an error or Ctrl-C leaves the old folder untouched and removes
the temporary one.
"""

from __future__ import annotations

import importlib
import os
import shutil
import tempfile
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
    ("benchmarks/train_speed.md", "train-mode analysis time against inference analysis time",
     "python benchmarks/train_speed.py"),
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
    from archcost.reproduce import models
    from archcost.reproduce.googlenet import PAPER_STYLE_COLUMNS, paper_style_rows

    rows = paper_style_rows(models.analysis("googlenet"))
    notes = ["Every figure computed by archcost on the meta device: params include biases; ops are MACs "
             "(multiply-accumulates, the paper's convention). Depth counts layers with parameters on the longest path."]
    return (to_markdown(rows, PAPER_STYLE_COLUMNS, title="GoogLeNet, laid out as Table 1 of the paper (computed)",
                        notes=notes),
            to_csv(rows, PAPER_STYLE_COLUMNS))


def _cached(name: str, input_shape: str | None) -> Any:
    from archcost.reproduce import models

    return models.analysis(name, input_shape=input_shape)


def write_report(folder: Path, *, timings: bool = False, measure: Callable[[], dict[str, Any]] | None = None
                 ) -> list[Path]:
    """Write the report under ``folder``, all or nothing; returns the files written, index first (paths under
    ``folder``). With ``timings``, ``measure()`` (default: :func:`archcost.bench.report.measure_report` of the
    default plan) supplies the bench documents of the measured part; tests pass a simulated one."""
    folder = Path(folder)
    if timings and measure is None:
        from archcost.bench.report import default_plan, measure_report

        def measure() -> dict[str, Any]:
            return measure_report(default_plan())

    from archcost.errors import OutputError

    staging = _staging(folder)
    try:
        try:
            _carry_foreign(folder, staging, owned=(*OWNED, MEASURED) if timings else OWNED)
        except (OSError, shutil.Error) as error:
            raise OutputError(f"cannot keep what other tools wrote in {folder}: {error}") from None
        written = _write_into(staging, measure if timings else None)
        try:
            _swap(staging, folder)
        except OSError as error:
            raise OutputError(f"cannot move the new report into {folder}: {error.strerror or error}") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [folder / p.relative_to(staging) for p in written]


def _staging(folder: Path) -> Path:
    from archcost.errors import OutputError

    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.", suffix=".tmp"))
    except OSError as error:
        raise OutputError(f"cannot write the report beside {folder}: {error.strerror or error}") from None
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(staging, 0o777 & ~umask)  # mkdtemp makes it 0700; a folder made the ordinary way follows the umask
    return staging


def _carry_foreign(folder: Path, staging: Path, *, owned: tuple[str, ...]) -> None:
    """Hard-link (copy where links fail) every entry of ``folder`` this run does not write into ``staging``."""
    if not folder.is_dir():
        return
    for entry in sorted(folder.iterdir()):
        if entry.name in owned or entry.name.startswith(f".{folder.name}."):
            continue
        target = staging / entry.name
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, target, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(str(entry), str(target))


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError:
        shutil.copy2(source, target, follow_symlinks=False)


def _swap(staging: Path, folder: Path) -> None:
    """Put ``staging`` in place of ``folder``: rename the old one aside, rename the new one in, then remove the old."""
    if not folder.exists():
        os.rename(staging, folder)
        return
    retired = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.", suffix=".old"))
    try:
        os.rename(folder, retired / folder.name)
        try:
            os.rename(staging, folder)
        except BaseException:
            os.rename(retired / folder.name, folder)
            raise
    finally:
        shutil.rmtree(retired, ignore_errors=True)


def _write_into(folder: Path, measure: Callable[[], dict[str, Any]] | None) -> list[Path]:
    from archcost.compare import compare, to_csv_text, to_markdown_text
    from archcost.reproduce import TARGETS, reproduce, tables

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
    index = _write(folder / "README.md", _index(folder, reproductions, paper_md, chart_files))
    return [index, *written]


def _index(folder: Path, reproductions: dict[str, Any], paper_md: str, charts: list[Path]) -> str:
    from archcost.reproduce import TARGETS, tables

    googlenet, inception = reproductions["googlenet-table1"], reproductions["inception-module"]
    lines = [
        "# archcost report",
        "",
        "Generated by `archcost report` (regenerate with `archcost report --no-timings`; the files are the same "
        "bytes on every run). Every computed figure comes from archcost's engine on PyTorch's meta device; "
        "published figures come from the data files in `archcost/published/`, each with its source. MACs are "
        "multiply-accumulates; papers' FLOPs, ops and multiply-adds are MACs.",
        "",
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
    return "\n".join(lines + _other_sections(folder))


def _other_sections(folder: Path) -> list[str]:
    """Links to the measured part and to other tools' output, each only when its file exists."""
    lines = []
    if (folder / MEASURED / "README.md").is_file():
        lines += ["", "## Measured on a real machine", "",
                  "Accuracy against measured latency and throughput, MACs against measured latency with the roofline's "
                  "explanation, time per image against batch size and a per-layer roofline: "
                  f"[{MEASURED}/README.md]({MEASURED}/README.md) (written by `archcost report`, skipped with "
                  "`--no-timings`; it names the machine and varies from run to run, so it is not part of the "
                  "byte-for-byte promise)."]
    present = [(path, text, command) for path, text, command in FOREIGN_LINKS if (folder / path).is_file()]
    if present:
        lines += ["", "## Written by other tools", ""]
        lines += [f"- {text}: [{path}]({path}) (`{command}`)." for path, text, command in present]
    return [*lines, ""]


def _write_measured(folder: Path, measured: dict[str, Any]) -> list[Path]:
    """The measured part: charts (with their data), timing tables and bench documents, and its own index."""
    from archcost.bench.report import write_report_tables
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
