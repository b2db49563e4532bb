"""The data behind every chart, computed by the engine (``archcost.analyze`` on the meta device): no matplotlib here.

A chart is drawn from a :class:`ChartData` and nothing else, so ``archcost plot KIND --format json`` prints exactly
what the picture shows, and tests compare that with ``archcost.analyze`` rather than pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Sequence

from archcost.errors import Option, UsageError
from archcost.plots.published import DATASETS, PublishedAccuracy, published_accuracy

SCHEMA = "archcost.plot/1"
CONVENTION = "paper"
CONVENTION_NOTE = ("MACs = multiply-accumulates of convolutions and linear layers (archcost's 'paper' convention; "
                   "the papers' 'FLOPs' and 'multiply-adds' are MACs; FLOPs = 2 x MACs)")

# What --x can plot: the value for one point from (macs, params), its axis label, and its unit in the data.
X_AXES = {
    "macs": "GMACs (billions of multiply-accumulates, log scale)",
    "flops": "GFLOPs (= 2 x MACs, billions, log scale)",
    "params": "parameters (millions, log scale)",
    "latency": "measured latency per image (ms, log scale)",
}


@dataclass
class ChartData:
    """One chart: its rows (one per plotted element, in drawing order), caption lines and chart-level figures."""

    kind: str
    title: str
    rows: list[dict[str, Any]]
    columns: tuple[str, ...]  # CSV column order
    caption: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from archcost import __version__

        return {"schema": SCHEMA, "archcost_version": __version__, "kind": self.kind, "title": self.title,
                **self.meta, "caption": self.caption, "rows": self.rows}


@lru_cache(maxsize=None)
def cost(name: str, input_text: str, batch: int = 1, dtype: str = "float32",
         overrides: tuple[tuple[str, Any], ...] = ()) -> dict[str, Any]:
    """Totals of one meta-device analysis, memoised: several charts (and the report) ask for the same networks."""
    from archcost.analysis import analyze

    analysis = analyze(name, input_text, batch=batch, dtype=dtype, convention=CONVENTION, **dict(overrides))
    return {**analysis.totals, "input_shape": list(analysis.input_shape)}


def _pareto(points: list[dict[str, Any]]) -> None:
    """Mark the points no other point beats: lower x and at least the same accuracy (ties on x keep the best)."""
    best = float("-inf")
    for point in sorted(points, key=lambda p: (p["x"], -p["top1_percent"])):
        point["pareto"] = point["top1_percent"] > best
        best = max(best, point["top1_percent"])


def _select(dataset: str, archs: Sequence[str]) -> tuple[list[PublishedAccuracy], list[str]]:
    from archcost.zoo.registry import get, list_architectures

    if dataset not in DATASETS:
        raise UsageError(f"unknown dataset {dataset!r}; choose one of {', '.join(DATASETS)}")
    published = {r.arch: r for r in published_accuracy(dataset)}
    registered = set(list_architectures())
    if not archs:
        chosen = [r for r in published.values() if r.arch in registered]
        return chosen, sorted(set(published) - registered)
    rows = []
    for arch in archs:
        name = get(arch).name  # unknown names fail here, with did-you-mean
        if name not in published:
            raise UsageError(f"no published {dataset} accuracy for {name} in archcost/published/accuracy.csv; "
                             f"networks with one: {', '.join(sorted(published))}")
        rows.append(published[name])
    return rows, []


def _latency(bench: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per architecture, the bench result at its smallest batch (the first such result in the file)."""
    chosen: dict[str, dict[str, Any]] = {}
    for result in bench["results"]:
        current = chosen.get(result["arch"])
        if current is None or result["batch"] < current["batch"]:
            chosen[result["arch"]] = result
    return chosen


def accuracy_chart(*, archs: Sequence[str] = (), dataset: str = "imagenet", x: str = "macs",
                   bench: dict[str, Any] | None = None) -> ChartData:
    """Top-1 accuracy against computed cost (Canziani et al. 2016, Fig. 2): bubble area proportional to parameters."""
    if x not in X_AXES:
        raise UsageError(f"unknown $x {x!r}; choose one of {', '.join(X_AXES)}", Option("x"), accepted=tuple(X_AXES))
    if x == "latency" and bench is None:
        raise UsageError("$x needs a timing file: $bench (the JSON of 'archcost bench')", Option("x", "latency"),
                         Option("bench", "FILE"))
    published, unregistered = _select(dataset, archs)
    timings = _latency(bench) if bench is not None else {}
    points, untimed = [], []
    for row in published:
        point = _accuracy_point(row, x, timings)
        if point is None:
            untimed.append(row.arch)
        else:
            points.append(point)
    if not points:
        raise UsageError("nothing to plot: none of the networks has a timing in the bench file" if untimed
                         else f"no published {dataset} accuracy for the registered networks")
    _pareto(points)
    label = X_AXES[x]
    if x == "latency":
        device = (bench or {}).get("device", {})
        label = f"measured latency per image (ms, {device.get('name') or device.get('type') or 'device'}, log scale)"
    caption = [
        f"Cost computed by archcost on the meta device at the resolution each accuracy was measured; {CONVENTION_NOTE}. "
        "Bubble area is proportional to parameters; the dashed line is the Pareto front "
        "(no other network is both cheaper and more accurate). A dotted outline marks an accuracy averaged over "
        "10 crops per image (a solid one: a single crop), so the two are not read as equals.",
        "Top-1 accuracy sources: " + "; ".join(_sources(published, {p["arch"] for p in points})) + ".",
        *([f"No timing in the bench file for: {', '.join(untimed)}."] if untimed else []),
        *([f"Not yet in the zoo: {', '.join(unregistered)}."] if unregistered else []),
    ]
    return ChartData(
        kind="accuracy", title=f"{_DATASET_TITLES[DATASETS[dataset]]}: top-1 accuracy against cost",
        rows=points, columns=("arch", "family", "dataset", "input_shape", "top1_percent", "top5_percent", "macs",
                              "flops", "params", "x", "pareto", "evaluation", "crops", "source_kind",
                              "source"),
        caption=caption,
        meta={"x_axis": x, "x_label": label, "y_label": "top-1 accuracy (%)", "convention": CONVENTION,
              "unit": "MAC (one multiply-accumulate); flops = 2 * macs", "dataset": DATASETS[dataset],
              "not_registered": unregistered, "untimed": untimed},
    )


def _accuracy_point(row: PublishedAccuracy, x: str, timings: dict[str, Any]) -> dict[str, Any] | None:
    """One network's bubble: its computed cost at the resolution its accuracy was measured, and its x; None when
    ``x`` is latency and the bench file has no timing for it."""
    from archcost.zoo.registry import get

    entry = get(row.arch)
    totals = cost(row.arch, f"{entry.input_shape[0]}x{row.resolution}x{row.resolution}")
    point = {
        "arch": row.arch, "family": entry.family, "dataset": row.dataset, "input_shape": totals["input_shape"],
        "top1_percent": row.top1_percent, "top5_percent": row.top5_percent,
        "macs": totals["macs"], "flops": 2 * totals["macs"], "params": totals["params"],
    }
    if x == "latency":
        result = timings.get(row.arch)
        if result is None:
            return None
        point.update(latency_ms_per_image=result["median_ms"] / result["batch"], bench_batch=result["batch"])
        point["x"] = point["latency_ms_per_image"]
    else:
        point["x"] = {"macs": point["macs"] / 1e9, "flops": point["flops"] / 1e9, "params": point["params"] / 1e6}[x]
    point.update(evaluation=row.evaluation, crops=row.crops, source_kind=row.source_kind, source=row.cite(),
                 notes=row.notes)
    return point


_DATASET_TITLES = {"imagenet": "ImageNet", "cifar-10": "CIFAR-10", "fashion-mnist": "Fashion-MNIST"}


def _sources(published: list[PublishedAccuracy], shown: set[str]) -> list[str]:
    """Group the shown networks by source so a caption stays short: 'arXiv:1905.11946 Table 2: b0..b7'."""
    groups: dict[str, list[str]] = {}
    for row in published:
        if row.arch in shown:
            key = f"{row.short_source()} ({row.short_evaluation()})"
            groups.setdefault(key, []).append(row.arch)
    return [f"{key}: {', '.join(archs)}" for key, archs in groups.items()]
