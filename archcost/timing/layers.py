"""Measured time per module on a real device, for ``archcost table --timed`` and the roofline.

Method: a forward pre-hook and a forward hook on every module. On CPU each hook reads ``time.perf_counter_ns``; on CUDA
each records a CUDA event on the current stream (no synchronisation inside the forward, so kernels still queue as
usual) and the elapsed times are read after one synchronisation at the end of the call. A module's time is inclusive
of its children, like every figure in an Analysis row; a module called several times in one forward gets the sum.
Each figure is the median over ``runs`` forwards.

Overhead: the hooks cost a few microseconds per module call on CPU (Python hook dispatch + two clock reads), and on
CUDA the launch gaps widen by the event records. :func:`layer_profile` states it for every measurement by timing the
whole forward with and without the hooks; leaf times carry at most that overhead, parents accumulate their children's.
The model is not changed: hooks are removed afterwards, also on error, and ``training`` flags are restored.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import torch

from archcost.timing.clock import clock_for, sample
from archcost.timing.stats import percentile


@dataclass(frozen=True)
class LayerProfile:
    times_ms: dict[str, float]  # module name (as in named_modules(); "" is the whole model) -> median inclusive ms
    runs: int
    hooked_forward_ms: float  # median whole forward with every hook in place
    plain_forward_ms: float  # median whole forward without hooks
    module_calls: int  # hooked module calls per forward

    @property
    def overhead_ms(self) -> float:
        return max(0.0, self.hooked_forward_ms - self.plain_forward_ms)

    @property
    def overhead_fraction(self) -> float:
        return self.overhead_ms / self.plain_forward_ms if self.plain_forward_ms > 0 else 0.0

    @property
    def overhead_us_per_module_call(self) -> float:
        return 1000.0 * self.overhead_ms / self.module_calls if self.module_calls else 0.0


class _Stopwatches:
    """Start/stop marks per module for one forward; ``durations_ms`` turns them into per-module sums."""

    def __init__(self, cuda: bool) -> None:
        self.cuda = cuda
        self.marks: dict[str, list[tuple[Any, Any]]] = defaultdict(list)
        self.open: dict[str, list[Any]] = defaultdict(list)
        self.calls = 0

    def _now(self) -> Any:
        if self.cuda:
            event = torch.cuda.Event(enable_timing=True)
            event.record()
            return event
        return time.perf_counter_ns()

    def start(self, name: str) -> None:
        self.open[name].append(self._now())

    def stop(self, name: str) -> None:
        started = self.open[name].pop()
        self.marks[name].append((started, self._now()))
        self.calls += 1

    def durations_ms(self) -> dict[str, float]:
        if self.cuda:
            torch.cuda.synchronize()
            return {n: sum(float(a.elapsed_time(b)) for a, b in pairs) for n, pairs in self.marks.items()}
        return {n: sum(b - a for a, b in pairs) / 1e6 for n, pairs in self.marks.items()}

    def reset(self) -> None:
        self.marks.clear()
        self.open.clear()
        self.calls = 0


def layer_profile(model: torch.nn.Module, example: torch.Tensor, *, runs: int = 10, warmup: int = 2) -> LayerProfile:
    """Per-module median inclusive time of ``model(example)`` on ``example``'s device, with the hooks' overhead."""
    if runs < 1 or warmup < 0:
        raise ValueError("runs must be at least 1 and warmup 0 or more")
    cuda = example.device.type == "cuda"
    clock = clock_for("cuda" if cuda else "cpu")
    named = list(model.named_modules())
    training = {m: m.training for _, m in named}
    watches = _Stopwatches(cuda)
    handles = []
    try:
        model.eval()
        with torch.inference_mode():
            for _ in range(warmup):
                model(example)
            plain = sample(lambda: model(example), clock, min_time_s=0.0, min_runs=runs, max_runs=runs)
            for name, module in named:
                handles.append(module.register_forward_pre_hook(
                    lambda _m, _a, name=name: watches.start(name)))
                handles.append(module.register_forward_hook(
                    lambda _m, _a, _o, name=name: watches.stop(name)))
            model(example)  # one hooked warm-up call: event pools and hook paths
            per_module: dict[str, list[float]] = defaultdict(list)
            hooked: list[float] = []
            calls = 0
            for _ in range(runs):
                watches.reset()
                hooked.append(clock.time_call(lambda: model(example)))
                calls = watches.calls
                for name, ms in watches.durations_ms().items():
                    per_module[name].append(ms)
    finally:
        for handle in handles:
            handle.remove()
        for module, flag in training.items():
            module.training = flag
    order = [name for name, _ in named if name in per_module]  # definition order; never-called modules are absent
    return LayerProfile(
        times_ms={name: percentile(per_module[name], 0.5) for name in order}, runs=runs,
        hooked_forward_ms=percentile(hooked, 0.5), plain_forward_ms=percentile(plain, 0.5), module_calls=calls,
    )


def layer_times(model: torch.nn.Module, example: torch.Tensor, *, runs: int = 10, warmup: int = 2) -> dict[str, float]:
    """Median measured milliseconds per module of ``model(example)``: ``{module name: ms}``, names as in
    ``model.named_modules()`` (``""`` is the whole model, matching ``Analysis.rows[i]["name"]``), inclusive of
    children, in definition order; modules the forward never calls are absent. Runs on ``example``'s device; put
    the model there first. See :func:`layer_profile` for the hooks' overhead."""
    return layer_profile(model, example, runs=runs, warmup=warmup).times_ms
