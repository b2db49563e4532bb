"""From microbenchmark measurements to the latency model's parameters (``model.py``). Pure and torch-free.

A grid point's efficiency is what the model needs to give back the measured time there:
t = overhead + MACs / (peak x efficiency), so efficiency = MACs / ((t - overhead) x peak); likewise a memory kind's
bandwidth fraction = bytes / ((t - overhead) x bandwidth). The time left after the overhead is floored at a tenth of
the call, so a call hardly longer than the tiny one does not make an infinite rate.
"""

from __future__ import annotations

from statistics import median
from typing import Any, Sequence

from archcost.predict.kinds import COMPUTE_KINDS, FREE_KIND, MEMORY_KINDS

WORK_FLOOR = 0.1  # the share of a call's time always left to its work


def _work_seconds(seconds: float, overhead_s: float) -> float:
    return max(seconds - overhead_s, WORK_FLOOR * seconds)


def fit(measurements: Sequence[dict[str, Any]], *, peak_macs_per_s: float, bandwidth_bytes_per_s: float,
        module_overhead_s: float) -> dict[str, Any]:
    """The ``model`` part of a profile: peak, bandwidth, per-module overhead and every kind's parameters."""
    tiny = {m["kind"]: m["seconds"] for m in measurements if m.get("tiny")}
    kinds: dict[str, Any] = {FREE_KIND: {"overhead_s": tiny.get(FREE_KIND, 0.0)}}
    for kind in COMPUTE_KINDS:
        points = [m for m in measurements if m["kind"] == kind and not m.get("tiny")]
        kinds[kind] = {"overhead_s": tiny[kind],
                       "efficiency": _grid(points, tiny[kind], peak_macs_per_s)}
    for kind in MEMORY_KINDS:
        points = sorted((m for m in measurements if m["kind"] == kind and not m.get("tiny")),
                        key=lambda m: m["bytes"])
        kinds[kind] = {"overhead_s": tiny[kind], "bandwidth_fraction": {
            "bytes": [m["bytes_moved"] for m in points],
            "values": [m["bytes_moved"] / _work_seconds(m["seconds"], tiny[kind]) / bandwidth_bytes_per_s
                       for m in points]}}
    return {"peak_macs_per_s": peak_macs_per_s, "bandwidth_bytes_per_s": bandwidth_bytes_per_s,
            "module_overhead_s": module_overhead_s, "kinds": kinds}


def _grid(points: Sequence[dict[str, Any]], overhead_s: float, peak_macs_per_s: float) -> dict[str, Any]:
    channels = sorted({p["channels"] for p in points})
    positions = sorted({p["positions"] for p in points})
    at = {(p["channels"], p["positions"]): p for p in points}
    values = [[at[c, q]["macs"] / _work_seconds(at[c, q]["seconds"], overhead_s) / peak_macs_per_s
               for q in positions] for c in channels]
    return {"channels": channels, "positions": positions, "values": values}



def in_network_factor(rows: Sequence[dict[str, Any]]) -> float:
    """How much slower a network runs than the kernel-only model predicts: the median of measured / predicted over
    ``rows`` (generated networks, ``calibrate.py``). One factor for every term: fitted per term (compute, memory,
    overhead) by least squares on 14 networks, the memory factor came out 0.7 in one profile and 2.9 in the next
    (too few networks lean on memory to tell it apart), while one median factor predicted the registry's networks as
    well as the three; the median, since a burst of the machine's other work can double one network's time."""
    return median(row["measured_ms"] / row["predicted_ms"] for row in rows)
