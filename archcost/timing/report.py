"""The measurements of ``archcost report`` (on by default, ``--no-timings`` skips them): a dozen zoo networks timed on
the machine the report runs on, within a bounded time, plus the timing tables written beside the charts.

What is measured, in this order (cheapest first, so a tight budget still covers several families):
- latency: every network of the set at batch 1;
- throughput: the same networks at ``throughput_batch`` (a larger batch), when the batch-1 time predicts it fits;
- batch scaling: time per image against batch size for two networks where batching pays differently;
- layers: per-layer times of one network at batch 1, for the per-layer roofline.
Every step is first predicted from what has already been measured (the batch-1 median times the calls a measurement
makes); a step predicted to overrun the per-network budget or the remaining total budget is skipped and recorded in
``skipped``, so the run is bounded and says what it left out. The timer is the bench harness's
(:func:`archcost.timing.harness.run`); tests inject a simulated ``runner`` and ``clock`` instead.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Sequence

from archcost.timing.settings import BenchDevice, BenchSettings

# Twelve networks spanning the lecture's families, from a depthwise 0.3 GMAC network to VGG-16 (15.5 GMACs).
DEFAULT_ARCHS = ("mobilenet-v2", "efficientnet-b0", "efficientnet-b1", "efficientnet-b2", "alexnet-owt",
                 "resnet18", "googlenet", "resnet50", "resnext50-32x4d", "inception-resnet-v1", "vgg16",
                 "mobilenet-v1")
BATCH_ARCHS = ("resnet18", "mobilenet-v2")  # dense 3x3 convolutions against depthwise ones
LAYERS_ARCH = "mobilenet-v2"  # depthwise layers sit far left of the ridge point: the lecture's example


@dataclass(frozen=True)
class MeasurePlan:
    """How much to measure. ``budget_s`` bounds the whole run, ``per_network_s`` any one measurement."""

    archs: tuple[str, ...] = DEFAULT_ARCHS
    throughput_batch: int = 8
    scaling_batches: tuple[int, ...] = (1, 2, 4, 8)
    batch_archs: tuple[str, ...] = BATCH_ARCHS
    layers_arch: str | None = LAYERS_ARCH
    budget_s: float = 120.0
    per_network_s: float = 12.0
    # Short windows: the default set must fit the budget on a slow CPU; the tables say when warm-up did not settle.
    settings: BenchSettings = field(default_factory=lambda: BenchSettings(warmup=1, window=3, max_warmup_s=0.5,
                                                                          min_time_s=0.3, min_runs=3))


def default_plan(*, full: bool = False, device: str = "cpu", threads: int | None = None) -> MeasurePlan:
    """The bounded default (about two minutes on a 2-core CPU), or with ``full`` a wider one (about ten).

    On CPU the default is one thread: on a shared machine a second thread waits on whatever else runs there (the
    thread contention of timing/load.py, which can make a call many times slower), and one thread is what such a
    machine gives reproducibly; ``threads`` overrides it, and every chart names the count."""
    plan = MeasurePlan()
    if threads is None and device == "cpu":
        threads = 1
    settings = replace(plan.settings, device=BenchDevice(device), threads=threads)
    if device == "cuda":  # a GPU is measured at the batches it is built for, and its runs are short
        plan = replace(plan, throughput_batch=64, scaling_batches=(1, 4, 16, 64, 256))
    if full:
        plan = replace(plan, budget_s=600.0, per_network_s=60.0, throughput_batch=max(plan.throughput_batch, 32),
                       scaling_batches=(*plan.scaling_batches, plan.scaling_batches[-1] * 2),
                       settings=replace(settings, max_warmup_s=2.0, min_time_s=1.0, min_runs=5))
        settings = plan.settings
    return replace(plan, settings=settings)


Runner = Callable[..., Any]  # (archs, batches=, settings=) -> BenchReport (or anything with .to_dict())


def _calls(settings: BenchSettings) -> int:
    """Calls one measurement makes at least (a prediction: warm-up may take one more window)."""
    return settings.warmup + 2 * settings.window + settings.min_runs


def _predict_s(latency_ms: float | None, batch: int, settings: BenchSettings) -> float:
    if latency_ms is None:
        return 0.0
    return max(latency_ms * batch / 1e3 * _calls(settings), settings.min_time_s + settings.warmup_budget_s / 4)


def _merge(documents: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not documents:
        return None
    # A part's runs share one document: it carries the load of the busiest of them, so a busy run is not hidden.
    busy = [d["load"] for d in documents if (d.get("load") or {}).get("busy")]
    merged = {**documents[0], "results": [], "failures": [], **({"load": busy[0]} if busy else {})}
    for document in documents:
        merged["results"] += document["results"]
        merged["failures"] += document["failures"]
    return merged


def measure_report(plan: MeasurePlan, *, runner: Runner | None = None,
                   clock: Callable[[], float] = time.monotonic) -> dict[str, Any]:
    """Run ``plan``; returns ``{"latency", "throughput", "scaling", "layers"}`` (each an ``archcost.bench/1``
    document or None), ``skipped`` (one line per step left out, with why) and ``elapsed_s``."""
    from archcost.zoo.registry import list_architectures

    if runner is None:
        from archcost.timing.harness import run as default_runner

        runner = default_runner
    known = set(list_architectures())
    began = clock()
    skipped: list[str] = []
    latency_ms: dict[str, float] = {}
    parts: dict[str, list[dict[str, Any]]] = {"latency": [], "throughput": [], "scaling": [], "layers": []}

    def step(part: str, arch: str, batches: Sequence[int], predicted_s: float, settings: BenchSettings) -> None:
        left = plan.budget_s - (clock() - began)
        what = f"{part} {arch} batch {','.join(map(str, batches))}"
        if predicted_s > plan.per_network_s:
            skipped.append(f"{what}: predicted {predicted_s:.1f} s > {plan.per_network_s:g} s per network")
        elif predicted_s > left or left <= 0:
            skipped.append(f"{what}: {max(left, 0):.1f} s of the {plan.budget_s:g} s budget left")
        else:
            parts[part].append(runner([arch], batches=tuple(batches), settings=settings).to_dict())

    archs = [a for a in plan.archs if a in known]
    skipped += [f"{a}: not in the zoo" for a in plan.archs if a not in known]
    for arch in archs:
        step("latency", arch, (1,), 0.0, plan.settings)
        for result in parts["latency"][-1]["results"] if parts["latency"] else ():
            latency_ms.setdefault(result["arch"], result["median_ms"])
    timed = [a for a in archs if a in latency_ms]
    for arch in timed:
        step("throughput", arch, (plan.throughput_batch,),
             _predict_s(latency_ms[arch], plan.throughput_batch, plan.settings), plan.settings)
    for arch in (a for a in plan.batch_archs if a in latency_ms):
        predicted = sum(_predict_s(latency_ms[arch], b, plan.settings) for b in plan.scaling_batches)
        step("scaling", arch, plan.scaling_batches, predicted, plan.settings)
    if plan.layers_arch in latency_ms:
        # A per-layer profile is a plain measurement plus hooked runs of every module (about as many again).
        layered = replace(plan.settings, layers=True)
        step("layers", plan.layers_arch, (1,), 2 * _predict_s(latency_ms[plan.layers_arch], 1, layered), layered)
    return {**{part: _merge(documents) for part, documents in parts.items()}, "skipped": skipped,
            "elapsed_s": clock() - began, "plan": {"archs": list(plan.archs), "throughput_batch":
                                                   plan.throughput_batch, "scaling_batches":
                                                   list(plan.scaling_batches), "layers_arch": plan.layers_arch,
                                                   "budget_s": plan.budget_s, "per_network_s": plan.per_network_s,
                                                   "settings": plan.settings.to_dict()}}


def write_report_tables(folder: Path, measured: dict[str, Any]) -> list[Path]:
    """The timing tables (Markdown, CSV) and bench documents (JSON, what ``archcost plot batch|roofline --bench``
    reads) of ``measured`` under ``folder``."""
    from archcost.timing.columns import BATCH_COLUMNS, RESULT_COLUMNS, RESULT_KEYS, csv_rows, device_lines
    from archcost.writes import write_file
    from archcost.render import Column, Format, Output, View, render, to_json

    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    titles = {"latency": ("cpu-timing", "Inference time at batch 1", RESULT_COLUMNS),
              "throughput": ("throughput", "Inference time at a larger batch", RESULT_COLUMNS),
              "scaling": ("batch-scaling", "Time per image versus batch size", BATCH_COLUMNS)}
    for part, (stem, title, columns) in titles.items():
        document = measured.get(part)
        if document is None or not document["results"]:
            continue
        notes = (["ms / image = median time of one batch / batch size."] if part == "scaling" else [])
        output = Output([View(document["results"], columns, title=title, notes=notes + device_lines(document))],
                        document=document, csv=View(csv_rows(document["results"]), [Column(k, k) for k in RESULT_KEYS]))
        for suffix, format in (("md", Format.MARKDOWN), ("csv", Format.CSV), ("json", Format.JSON)):
            write_file(folder / f"{stem}.{suffix}", render(output, format))
            written.append(folder / f"{stem}.{suffix}")
    if measured.get("layers") is not None:
        write_file(folder / "layers.json", to_json(measured["layers"]))
        written.append(folder / "layers.json")
    return written
