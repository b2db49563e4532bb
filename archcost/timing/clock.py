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

from archcost.timing.stats import percentile, relative_change


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


# Progress callback: (phase "warmup" or "measure", calls so far in that phase, fraction of the phase done in [0, 1]).
# Called after each warm-up window and each measuring window, so a progress bar moves during a long measurement.
Progress = Callable[[str, int, float], None]
Now = Callable[[], float]  # seconds, monotonic (time.perf_counter; a fake clock in the tests)


def _silent(_phase: str, _runs: int, _fraction: float) -> None:
    pass


def warm_up(fn: Callable[[], Any], clock: CpuClock | CudaClock, *, minimum: int, window: int, stability: float,
            budget_s: float, progress: Progress = _silent, now: Now = time.perf_counter) -> Warmup:
    """Run ``minimum`` calls (compilation, allocator growth and oneDNN/cuDNN algorithm selection happen here, with no
    time limit), then windows of ``window`` calls until two consecutive window medians differ by at most
    ``stability`` (relative) or ``budget_s`` seconds have passed in the windows."""
    began = now()
    runs = 0
    for _ in range(minimum):
        clock.time_call(fn)
        runs += 1
        if runs % window == 0:
            progress("warmup", runs, 0.0)
    windows_began = now()
    previous: float | None = None
    stable = False
    while True:
        median = percentile([clock.time_call(fn) for _ in range(window)], 0.5)
        runs += window
        if previous is not None and relative_change(median, previous) <= stability:
            stable = True
            break
        previous = median
        spent = now() - windows_began
        if spent >= budget_s:
            break
        progress("warmup", runs, min(1.0, spent / budget_s) if budget_s > 0 else 1.0)
    progress("warmup", runs, 1.0)
    return Warmup(runs=runs, stable=stable, seconds=now() - began)


def sample(fn: Callable[[], Any], clock: CpuClock | CudaClock, *, min_time_s: float, min_runs: int,
           max_runs: int, window: int = 3, progress: Progress = _silent, now: Now = time.perf_counter) -> list[float]:
    """Time single calls until at least ``min_time_s`` seconds of wall time and ``min_runs`` calls have passed;
    ``progress`` hears every ``window`` calls how far the slower of the two conditions is."""
    samples: list[float] = []
    collecting = gc.isenabled()
    gc.disable()
    try:
        began = now()
        while len(samples) < max_runs and (len(samples) < min_runs or now() - began < min_time_s):
            samples.append(clock.time_call(fn))
            if len(samples) % window == 0:
                by_time = (now() - began) / min_time_s if min_time_s > 0 else 1.0
                progress("measure", len(samples), min(1.0, by_time, len(samples) / min_runs))
    finally:
        if collecting:
            gc.enable()
    progress("measure", len(samples), 1.0)
    return samples


def measure(fn: Callable[[], Any], *, device: str, warmup: int, window: int, stability: float, warmup_budget_s: float,
            min_time_s: float, min_runs: int, max_runs: int, progress: Progress = _silent) -> Measurement:
    clock = clock_for(device)
    report = warm_up(fn, clock, minimum=warmup, window=window, stability=stability, budget_s=warmup_budget_s,
                     progress=progress)
    samples = sample(fn, clock, min_time_s=min_time_s, min_runs=min_runs, max_runs=max_runs, window=window,
                     progress=progress)
    return Measurement(samples_ms=samples, warmup=report, clock=clock.name)
