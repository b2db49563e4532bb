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




FACTOR_BOUNDS = (0.5, 4.0)  # outside these the fit failed (too few networks lean on one part), not the kernels


def in_network_factors(rows: Sequence[dict[str, Any]]) -> dict[str, float]:
    """How much slower each part of the kernel-only prediction runs in a network, from ``rows`` (generated networks,
    ``calibrate.py``: ``compute_ms``, ``memory_ms``, ``overhead_ms`` predicted, ``measured_ms``): least squares of
    (a x compute + b x (memory + overhead)) / measured - 1. Two unknowns, not three: memory and overhead are large in
    the same networks (mobile ones), and fitted apart the memory factor came out 0.7 in one profile and 2.9 in the
    next. Compute comes out near 1 (a large convolution runs in a network as fast as alone), memory and overhead
    near 1.5 (a shared machine's memory traffic and Python between small kernels), which on the registry's networks
    left a 4.3 % median error against 9.7 % for one factor for all (reports/benchmarks/predict.md). Outside
    FACTOR_BOUNDS, or when the networks cannot tell the two apart, both take the median of measured / predicted."""
    matrix = [[row["compute_ms"] / row["measured_ms"], (row["memory_ms"] + row["overhead_ms"]) / row["measured_ms"]]
              for row in rows]
    solved = _least_squares_2(matrix)
    if solved is None or not all(FACTOR_BOUNDS[0] <= f <= FACTOR_BOUNDS[1] for f in solved):
        one = median(row["measured_ms"] / row["predicted_ms"] for row in rows)
        solved = (one, one)
    return {"compute": solved[0], "memory": solved[1], "overhead": solved[1]}


def _least_squares_2(matrix: Sequence[Sequence[float]]) -> tuple[float, float] | None:
    """(a, b) minimising the sum of (a x p + b x q - 1)^2 over the rows (p, q): the normal equations by Cramer's
    rule; None when they are singular (every row in the same proportion)."""
    pp = sum(p * p for p, _ in matrix)
    pq = sum(p * q for p, q in matrix)
    qq = sum(q * q for _, q in matrix)
    p1, q1 = sum(p for p, _ in matrix), sum(q for _, q in matrix)
    determinant = pp * qq - pq * pq
    if abs(determinant) <= 1e-12 * max(pp * qq, 1e-300):
        return None
    return (p1 * qq - q1 * pq) / determinant, (pp * q1 - pq * p1) / determinant
