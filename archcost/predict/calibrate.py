"""The profile's last step: time whole generated networks and fit how much slower a kernel runs inside a network
than alone.

Microbenchmarks time each kernel kind alone, on its own tensors, and keep their best call; a network runs
hundreds of different kernels back to back, through Python module calls, and is given the median of its calls
(``archcost bench``). On this 2-core machine the kernel-only model predicted the registry's networks at 0.79 of
their measured median. So the profile ends by timing the networks ``generated_networks.py`` builds from a fixed
seed, predicting each with the kernel-only model, and fitting how much slower its compute and its
memory-and-overhead parts run there (``fit.in_network_factors``). No network a benchmark checks is among them.
"""

from __future__ import annotations

from statistics import median
from typing import Any, Callable

import torch
from torch import nn

from archcost.predict.generated_networks import networks
from archcost.timing.clock import clock_for, sample

PASSES = 3  # round-robin passes; a network's figure is the median of its pass medians, as benchmarks/predict.py
WARMUP = 3  # a new model's first two forwards still fault in new pages (predict.md)
SAMPLE_S = 0.15
RUNS = 3


def _median_ms(model: nn.Module, example: torch.Tensor, device: str) -> float:
    clock = clock_for(device)
    call = lambda: model(example)  # noqa: E731
    for _ in range(WARMUP):
        clock.time_call(call)
    return median(sample(call, clock, min_time_s=SAMPLE_S, min_runs=RUNS, max_runs=200))


def measure_networks(model_part: dict[str, Any], device: str, dtype: torch.dtype, tell: Callable[[int, str], None],
                     built: list[tuple[str, nn.Module, tuple[int, ...]]] | None = None) -> list[dict[str, Any]]:
    """Every generated network's (``built``, default :func:`networks`) predicted parts under ``model_part`` (the
    kernel-only model) and its measured median: the median of its PASSES round-robin pass medians, so a burst of
    other work lands on one pass."""
    import archcost  # the package's lazy name: analysis -> predict.attach -> measure -> here must not be a cycle

    analyze: Callable[..., Any] = archcost.analyze
    rows = []
    built = networks() if built is None else built
    for name, model, shape in built:
        analysis = analyze(model, input_shape=shape, dtype=_dtype_name(dtype), predict=model_part)
        columns = analysis.columns
        rows.append({"name": name, "macs": analysis.totals["macs"], "predicted_ms": columns["predicted_ms"][0],
                     "compute_ms": columns["predicted_compute_ms"][0], "memory_ms": columns["predicted_memory_ms"][0],
                     "overhead_ms": columns["predicted_overhead_ms"][0], "pass_ms": []})
    with torch.inference_mode():
        for round_index in range(PASSES):
            for i, (name, model, shape) in enumerate(built):
                tell(round_index * len(built) + i, name)
                model.to(device=device, dtype=dtype)
                example = torch.randn(shape, device=device, dtype=dtype)
                rows[i]["pass_ms"].append(_median_ms(model, example, device))
    for row in rows:
        row["measured_ms"] = median(row["pass_ms"])
    return rows


def _dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")
