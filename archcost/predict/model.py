"""The latency model: per op, time = overhead + max(compute, memory), summed per layer. Pure and torch-free.

- compute = MACs / (peak MAC/s x efficiency(kind, channels, positions)): the efficiency is read off the kind's
  measured grid (bilinear in log2 of the reduction depth and of the output positions, clamped at the edges);
- memory = bytes moved / (bandwidth x fraction(kind, bytes)): memory kinds carry a curve of the copy bandwidth's
  fraction they reach at a working-set size (small tensors run from cache, transcendental ones are compute-limited,
  each function at its own speed: ``transcendental_relative``, its time against sigmoid's on the same tensor);
- overhead = the kind's per-call dispatch time, plus a per-module-call time for each ``nn.Module`` call (Python);
- allocation = a new output's bytes / the first-touch bandwidth, when the output is at least the allocator's
  threshold (CPU: glibc serves such blocks from fresh pages, whose page faults stall the kernel writing them; in
  an eager forward this doubles a mobile network's time at one thread). Added to the memory part; 0 on CUDA.
The bound of an op is the term that decides it: overhead when it exceeds both others, else the larger of the two.
A measured profile also carries ``in_network_factors`` for the compute, memory and overhead terms, fitted on
generated networks (``calibrate.py``), because small and memory-bound kernels run slower in a network than alone.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from math import log2
from typing import Any, Iterable, Mapping, Sequence

from archcost.predict.kinds import COMPUTE_KINDS, FREE_KIND, OpKind, allocates, classify, work_of

BOUNDS = ("compute", "memory", "overhead")


@dataclass(frozen=True)
class OpPrediction:
    kind: str
    overhead_s: float
    compute_s: float
    memory_s: float
    allocation_s: float = 0.0

    @property
    def seconds(self) -> float:
        return self.overhead_s + max(self.compute_s, self.memory_s) + self.allocation_s

    @property
    def bound(self) -> str:
        return bound_of(self.compute_s, self.memory_s + self.allocation_s, self.overhead_s)


def bound_of(compute_s: float, memory_s: float, overhead_s: float) -> str:
    if overhead_s > max(compute_s, memory_s):
        return "overhead"
    return "compute" if compute_s >= memory_s else "memory"


def interpolate(xs: Sequence[float], ys: Sequence[float], x: float) -> float:
    """Piecewise-linear ``ys`` over ascending ``xs`` at ``x``, constant beyond the ends."""
    if x <= xs[0]:
        return ys[0]
    if x >= xs[-1]:
        return ys[-1]
    i = bisect_right(xs, x) - 1
    share = (x - xs[i]) / (xs[i + 1] - xs[i])
    return ys[i] + share * (ys[i + 1] - ys[i])


def _log(value: float) -> float:
    return log2(max(value, 1.0))


def efficiency(curve: Any, channels: float, positions: float) -> float:
    """A constant, or a grid {channels, positions, values[channel][position]} read bilinearly in log2 space."""
    if isinstance(curve, (int, float)):
        return float(curve)
    xs = [_log(c) for c in curve["channels"]]
    ys = [_log(p) for p in curve["positions"]]
    along = [interpolate(ys, row, _log(positions)) for row in curve["values"]]
    return interpolate(xs, along, _log(channels))


def bandwidth_fraction(curve: Any, nbytes: float) -> float:
    """A constant, or a curve {bytes, values} read in log2 of the bytes moved."""
    if isinstance(curve, (int, float)):
        return float(curve)
    return interpolate([_log(b) for b in curve["bytes"]], curve["values"], _log(nbytes))


def allocation_seconds(fresh_bytes: int, profile: Mapping[str, Any]) -> float:
    rate = profile.get("first_touch_bytes_per_s")
    if not rate or fresh_bytes < int(profile.get("fresh_threshold_bytes") or 0):
        return 0.0
    return fresh_bytes / float(rate)


def predict_op(kind: OpKind, macs: int, nbytes: int, profile: Mapping[str, Any], fresh_bytes: int = 0) -> OpPrediction:
    """One op's terms under ``profile`` (an ``archcost.device-profile/1`` document's ``model`` part);
    ``fresh_bytes``: the bytes of the new output it writes (0 in place)."""
    parameters = profile["kinds"][kind.kind]
    compute, memory, overhead_factor = in_network_factors(profile)
    overhead = overhead_factor * float(parameters["overhead_s"])
    if kind.kind == FREE_KIND:
        return OpPrediction(kind.kind, overhead, 0.0, 0.0)
    bandwidth = float(profile["bandwidth_bytes_per_s"]) / memory
    allocation = memory * allocation_seconds(fresh_bytes, profile)
    if kind.kind in COMPUTE_KINDS:
        rate = float(profile["peak_macs_per_s"]) * efficiency(parameters["efficiency"], kind.channels, kind.positions)
        return OpPrediction(kind.kind, overhead, compute * macs / rate if rate > 0 else 0.0, nbytes / bandwidth,
                            allocation)
    fraction = bandwidth_fraction(parameters["bandwidth_fraction"], nbytes)
    if kind.function:  # a transcendental function's speed against the sigmoid its curve was measured with
        fraction /= float((profile.get("transcendental_relative") or {}).get(kind.function, 1.0))
    return OpPrediction(kind.kind, overhead, 0.0, nbytes / (bandwidth * fraction), allocation)


def in_network_factors(profile: Mapping[str, Any]) -> tuple[float, float, float]:
    """How much slower the compute, memory and overhead terms run in a network than in their microbenchmarks, as a
    measured profile fitted them on generated networks (``calibrate.py``); 1 where it has none (spec profiles, a
    bare model part)."""
    found = profile.get("in_network_factors") or {}
    return (float(found.get("compute", 1.0)), float(found.get("memory", 1.0)), float(found.get("overhead", 1.0)))


def predict_records(records: Iterable[Any], profile: Mapping[str, Any]) -> list[tuple[int, OpPrediction]]:
    """(module index, prediction) for every traced op record."""
    threads = int(profile.get("threads") or 1)
    # An op's prediction depends on nothing but these fields, and a network repeats its blocks: each distinct op is
    # classified and predicted once per call (resnet50: 48 distinct of 229 records; its prediction 3.2 -> 1.0 ms).
    known: dict[tuple[Any, ...], OpPrediction] = {}
    out = []
    for record in records:
        key = (record.op, record.shapes, record.terms, record.bytes_in, record.bytes_out)
        op = known.get(key)
        if op is None:
            op = known[key] = _predict_record(record, profile, threads)
        out.append((record.module, op))
    return out


def _predict_record(record: Any, profile: Mapping[str, Any], threads: int) -> OpPrediction:
    kind = classify(record.op, record.shapes, record.terms, threads)
    fresh = record.bytes_out if allocates(record.op, kind) else 0
    return predict_op(kind, work_of(kind, record.terms), record.bytes_in + record.bytes_out, profile, fresh)


def layer_predictions(names: Sequence[str], calls: Sequence[int], ops: Iterable[tuple[int, OpPrediction]],
                      profile: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per module (definition order, children after their parent, as Analysis rows): predicted_ms, inclusive of
    children, its compute / memory / overhead parts and the bound that decides it."""
    count = len(names)
    parts = {bound: [0.0] * count for bound in BOUNDS}
    per_call = float(profile.get("module_overhead_s", 0.0)) * in_network_factors(profile)[2]
    for i, n in enumerate(calls):
        parts["overhead"][i] += per_call * n
    for module, op in ops:
        parts["overhead"][module] += op.overhead_s
        if op.compute_s >= op.memory_s:
            parts["compute"][module] += op.compute_s
        else:
            parts["memory"][module] += op.memory_s
        parts["memory"][module] += op.allocation_s
    index = {n: i for i, n in enumerate(names)}
    parent = [-1] + [index.get(n.rpartition(".")[0], 0) if "." in n else 0 for n in names[1:]]
    for column in parts.values():
        for i in range(count - 1, 0, -1):
            column[parent[i]] += column[i]
    return [{"predicted_ms": 1e3 * (parts["compute"][i] + parts["memory"][i] + parts["overhead"][i]),
             "compute_ms": 1e3 * parts["compute"][i], "memory_ms": 1e3 * parts["memory"][i],
             "overhead_ms": 1e3 * parts["overhead"][i],
             "bound": bound_of(parts["compute"][i], parts["memory"][i], parts["overhead"][i])}
            for i in range(count)]
