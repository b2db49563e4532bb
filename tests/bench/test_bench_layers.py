"""Per-module measured time: names, nesting, repeated calls, and a model left exactly as it was."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from archcost.timing import layer_profile, layer_times
from archcost.timing.layers import LayerProfile


class Twice(nn.Module):
    """ReLU called twice per forward; ``unused`` never called; ``calls`` counts forwards to fail on demand."""

    def __init__(self, fail_at: int | None = None) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.act = nn.ReLU()
        self.unused = nn.Linear(2, 2)
        self.fail_at, self.calls = fail_at, 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        if self.calls == self.fail_at:
            raise RuntimeError("boom")
        return self.act(self.act(self.conv(x)))


def _hooks(model: nn.Module) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())


def test_names_follow_named_modules_and_uncalled_modules_are_absent() -> None:
    model = Twice()
    times = layer_times(model, torch.randn(2, 3, 8, 8), runs=5, warmup=1)
    assert list(times) == ["", "conv", "act"]
    assert all(ms >= 0 for ms in times.values())
    # Each run's whole-model interval contains each child's, so the medians keep that order.
    assert times[""] >= times["conv"] and times[""] >= times["act"]


def test_profile_counts_module_calls_and_states_overhead() -> None:
    profile = layer_profile(Twice(), torch.randn(1, 3, 8, 8), runs=3, warmup=0)
    assert profile.module_calls == 4  # root, conv, act twice
    assert profile.runs == 3
    assert profile.plain_forward_ms > 0 and profile.hooked_forward_ms > 0
    # The derived figures follow from the two measured medians (their values are timings: never asserted).
    overhead = max(0.0, profile.hooked_forward_ms - profile.plain_forward_ms)
    assert profile.overhead_ms == overhead
    assert profile.overhead_fraction == overhead / profile.plain_forward_ms
    assert profile.overhead_us_per_module_call == 1000.0 * overhead / 4


@pytest.mark.parametrize("hooked, plain, calls, overhead, fraction, per_call_us", [
    (3.0, 2.0, 4, 1.0, 0.5, 250.0),
    (2.5, 2.0, 0, 0.5, 0.25, 0.0),  # no module call: no per-call figure
    (1.5, 2.0, 4, 0.0, 0.0, 0.0),  # hooks measured faster than none (noise): no negative overhead
    (1.0, 0.0, 2, 1.0, 0.0, 500.0),  # a plain forward too fast to measure: no fraction
])
def test_overhead_figures(hooked: float, plain: float, calls: int, overhead: float, fraction: float,
                          per_call_us: float) -> None:
    profile = LayerProfile(times_ms={}, runs=1, hooked_forward_ms=hooked, plain_forward_ms=plain, module_calls=calls)
    assert (profile.overhead_ms, profile.overhead_fraction, profile.overhead_us_per_module_call) == pytest.approx(
        (overhead, fraction, per_call_us))


def test_model_is_left_unchanged() -> None:
    model = Twice().train()
    layer_times(model, torch.randn(1, 3, 8, 8), runs=2, warmup=0)
    assert _hooks(model) == 0
    assert all(m.training for m in model.modules())


def test_hooks_are_removed_on_error() -> None:
    model = Twice(fail_at=4).train()  # warm-up 1 + 2 plain runs pass; the hooked warm-up call fails
    with pytest.raises(RuntimeError, match="boom"):
        layer_times(model, torch.randn(1, 3, 8, 8), runs=2, warmup=1)
    assert _hooks(model) == 0
    assert all(m.training for m in model.modules())


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        layer_times(Twice(), torch.randn(1, 3, 8, 8), runs=0)
