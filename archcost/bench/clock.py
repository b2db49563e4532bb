"""Timing one call on a real device, warming up until the times are stable, and sampling for a minimum time.

CPU: ``time.perf_counter_ns`` (monotonic, nanosecond resolution) around each call. CUDA: a pair of CUDA events
recorded around each call on the current stream, then ``Event.synchronize`` before reading the elapsed time, so
asynchronous kernel launches are counted to the end of the last kernel and calls do not overlap.
The garbage collector is paused while sampling (as ``timeit`` and ``torch.utils.benchmark`` do), so a collection
triggered by one call is not charged to another.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass
from typing import Any, Callable

from archcost.bench.stats import percentile, relative_change


class CpuClock:
    name = "time.perf_counter_ns"

    def time_call(self, fn: Callable[[], Any]) -> float:
        start = time.perf_counter_ns()
        fn()
        return (time.perf_counter_ns() - start) / 1e6


class CudaClock:
    name = "torch.cuda.Event pairs + synchronize"

    def __init__(self) -> None:
        import torch

        self._torch = torch
        torch.cuda.synchronize()  # nothing queued before the first call is charged to it

    def time_call(self, fn: Callable[[], Any]) -> float:
        start = self._torch.cuda.Event(enable_timing=True)
        end = self._torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        return float(start.elapsed_time(end))


def clock_for(device: str) -> CpuClock | CudaClock:
    return CudaClock() if device == "cuda" else CpuClock()


@dataclass(frozen=True)
class Warmup:
    runs: int
    stable: bool  # False: the budget ran out before two consecutive windows agreed
    seconds: float


@dataclass(frozen=True)
class Measurement:
    samples_ms: list[float]
    warmup: Warmup
    clock: str


def warm_up(fn: Callable[[], Any], clock: CpuClock | CudaClock, *, minimum: int, window: int, stability: float,
            budget_s: float) -> Warmup:
    """Run ``minimum`` calls (compilation, allocator growth and oneDNN/cuDNN algorithm selection happen here, with no
    time limit), then windows of ``window`` calls until two consecutive window medians differ by at most
    ``stability`` (relative) or ``budget_s`` seconds have passed in the windows."""
    began = time.perf_counter()
    runs = 0
    for _ in range(minimum):
        clock.time_call(fn)
        runs += 1
    windows_began = time.perf_counter()
    previous: float | None = None
    stable = False
    while True:
        median = percentile([clock.time_call(fn) for _ in range(window)], 0.5)
        runs += window
        if previous is not None and relative_change(median, previous) <= stability:
            stable = True
            break
        previous = median
        if time.perf_counter() - windows_began >= budget_s:
            break
    return Warmup(runs=runs, stable=stable, seconds=time.perf_counter() - began)


def sample(fn: Callable[[], Any], clock: CpuClock | CudaClock, *, min_time_s: float, min_runs: int,
           max_runs: int) -> list[float]:
    """Time single calls until at least ``min_time_s`` seconds of wall time and ``min_runs`` calls have passed."""
    samples: list[float] = []
    collecting = gc.isenabled()
    gc.disable()
    try:
        began = time.perf_counter()
        while len(samples) < max_runs and (len(samples) < min_runs or time.perf_counter() - began < min_time_s):
            samples.append(clock.time_call(fn))
    finally:
        if collecting:
            gc.enable()
    return samples


def measure(fn: Callable[[], Any], *, device: str, warmup: int, window: int, stability: float, warmup_budget_s: float,
            min_time_s: float, min_runs: int, max_runs: int) -> Measurement:
    clock = clock_for(device)
    report = warm_up(fn, clock, minimum=warmup, window=window, stability=stability, budget_s=warmup_budget_s)
    samples = sample(fn, clock, min_time_s=min_time_s, min_runs=min_runs, max_runs=max_runs)
    return Measurement(samples_ms=samples, warmup=report, clock=clock.name)
