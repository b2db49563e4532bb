"""The timing tables of ``archcost report --timings``: a CPU timing table at batch 1 and a time-per-image versus
batch-size table, for a handful of networks, under ``folder / "timings"`` as Markdown, CSV and the bench JSON (from
which ``archcost plot batch`` can draw).

Budget: about a minute on a 2-core machine. So the networks are small-to-medium, the warm-up and measuring times are
short, and the CPU runs one thread: one thread is what a shared 2-core runner gives reproducibly (a second thread
waits on whatever else runs there), and the tables state it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from archcost.bench.columns import BATCH_COLUMNS, RESULT_COLUMNS, RESULT_KEYS, csv_rows, device_lines
from archcost.bench.settings import BenchSettings
from archcost.render import Column, to_csv, to_json, to_markdown

# Batch 1 latency: from a CIFAR ResNet (41M MACs) to ResNet-50 (4.1G MACs), three families of the lecture.
LATENCY_ARCHS = ("resnet20", "mobilenet-v2", "efficientnet-b0", "googlenet", "resnet18", "resnet50")
# Time per image against batch size: a CIFAR ResNet and a depthwise network, where batching pays differently.
BATCH_ARCHS = {"resnet20": (1, 4, 16, 64), "mobilenet-v2": (1, 2, 8)}
SETTINGS = BenchSettings(warmup=1, window=3, max_warmup_s=0.5, min_time_s=0.3, min_runs=3, threads=1)


def _present(names: Any) -> list[str]:
    from archcost.zoo.registry import list_architectures

    known = set(list_architectures())
    return [n for n in names if n in known]  # a family not yet in the zoo is left out, not an error


def write_report_tables(folder: Path, *, settings: BenchSettings = SETTINGS) -> list[Path]:
    """Measure and write ``timings/cpu-timing.{md,csv,json}`` and ``timings/batch-scaling.{md,csv,json}``."""
    from archcost.bench.harness import run
    from archcost.cli.output import write_atomic

    target = Path(folder) / "timings"
    target.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def write(name: str, text: str) -> None:
        path = target / name
        write_atomic(path, text)
        written.append(path)

    latency = run(_present(LATENCY_ARCHS), batches=(1,), settings=settings).to_dict()
    notes = device_lines(latency)
    write("cpu-timing.md", to_markdown(latency["results"], RESULT_COLUMNS,
                                       title="CPU inference time at batch 1", notes=notes))
    write("cpu-timing.csv", to_csv(csv_rows(latency["results"]), [Column(k, k) for k in RESULT_KEYS]))
    write("cpu-timing.json", to_json(latency))

    scaling: dict[str, Any] | None = None
    for arch, batches in BATCH_ARCHS.items():
        if not _present([arch]):
            continue
        document = run([arch], batches=batches, settings=settings).to_dict()
        if scaling is None:
            scaling = document
        else:
            scaling["results"] += document["results"]
            scaling["failures"] += document["failures"]
    if scaling is not None:
        write("batch-scaling.md", to_markdown(
            scaling["results"], BATCH_COLUMNS, title="CPU time per image versus batch size",
            notes=["ms / image = median time of one batch / batch size."] + device_lines(scaling)))
        write("batch-scaling.csv", to_csv(csv_rows(scaling["results"]), [Column(k, k) for k in RESULT_KEYS]))
        write("batch-scaling.json", to_json(scaling))
    return written
