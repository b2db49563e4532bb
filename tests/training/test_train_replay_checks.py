"""Each check of training/replay.py on a small model built to fail it: the step is traced again without the copies
that failed, and every figure equals the step run in full. (Replay is for archcost's own networks only; these
models go through train_module with replay=True as the registry's do.)"""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

from archcost.counting.opclass import Convention
from archcost.inputs import from_user, make
from archcost.training import engine
from archcost.training.optimizers import Optimizer
from archcost.training.replay import ReplayUnsound
from archcost.training.step import trace_step


class Unit(nn.Module):
    """conv-bn-relu, twice, with the input added back: a ResNet basic block."""

    def __init__(self, channels: int = 4) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels),
                                  nn.ReLU(), nn.Conv2d(channels, channels, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x + self.body(x))


class Reuses(nn.Module):
    """Adds its input to its unit's output: the unit's input is also used outside the unit."""

    def __init__(self, tag: int) -> None:
        super().__init__()
        self.tag = tag  # a different key per instance: only the inner units repeat
        self.unit = Unit()
        self.after = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.after(x + self.unit(x))


class ReusesMade(Reuses):
    """As Reuses, on a tensor made inside it: the unit's input is not Reuses' own, so only the graph shows the
    second use (the replayer's forward-time guess looks for a block fed an enclosing call's own input)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(x)
        return self.after(h + self.unit(h))


class Concatenates(nn.Module):
    """Its unit's output goes into a concatenation, whose backward hands the unit a slice of its gradient."""

    def __init__(self, tag: int) -> None:
        super().__init__()
        self.tag = tag
        self.unit = Unit()
        self.mix = nn.Conv2d(8, 4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.mix(torch.cat([self.unit(x.clone()), torch.relu(x)], 1))


class Total(nn.Module):
    """A global sum: its backward hands out an expanded gradient (strides 0), unlike a unit (a mean divides it)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.sum((2, 3))


class Gate(nn.Module):
    """x + conv(x): its convolution saves its input; its output, a sum, is saved by nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.after = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.after(x + self.conv(x))


def _head() -> nn.Module:
    return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3))


def _step(model: nn.Module, replay: bool) -> dict[str, Any]:
    examples = from_user((2, 4, 8, 8), batch=None, dtype="float32")
    args, kwargs = make(examples, device="meta")
    analysis = engine.train_module(model, "test", args, kwargs, examples, dtype="float32",
                                   convention=Convention.PAPER, optimizer=Optimizer.ADAM, owned=True, replay=replay)
    return analysis.to_dict()


def _same_figures(model: nn.Module) -> dict[str, Any]:
    replayed, full = _step(model, replay=True), _step(model, replay=False)
    assert full["provenance"].pop("replay") is False
    used = replayed["provenance"].pop("replay")
    assert replayed == full
    return {"replayed": used}


def _meta(build: Any) -> nn.Module:
    with torch.device("meta"):
        return build()


def test_a_run_of_equal_units_is_copied_and_changes_nothing() -> None:
    model = _meta(lambda: nn.Sequential(nn.Sequential(*[Unit() for _ in range(5)]), _head()))
    assert _same_figures(model) == {"replayed": True}


def test_a_unit_whose_input_is_used_outside_is_not_copied() -> None:
    # The first unit is recorded; before its first copy the graph shows its input summed outside it.
    model = _meta(lambda: nn.Sequential(*[Reuses(i) for i in range(4)], _head()))
    assert _same_figures(model) == {"replayed": False}


def _fails_after_the_forward(model: nn.Module) -> tuple[int, ...]:
    modules = [m for _, m in model.named_modules()]
    args, kwargs = make(from_user((2, 4, 8, 8), batch=None, dtype="float32"), device="meta")
    with pytest.raises(ReplayUnsound) as failed:
        trace_step(model, modules, tuple(args), kwargs, Optimizer.SGD, replay=True)
    assert all(p.grad is None for p in model.parameters())  # the failed attempt left the model as it was
    return failed.value.blocks


def test_a_unit_fed_its_parent_s_own_input_runs_in_full_from_the_first_attempt() -> None:
    # As below, but Reuses passes the unit its own input: the replayer does not copy it, no attempt is lost.
    model = _meta(lambda: nn.Sequential(Unit(), Unit(), Unit(), Reuses(0), Reuses(1), _head()))
    modules = [m for _, m in model.named_modules()]
    args, kwargs = make(from_user((2, 4, 8, 8), batch=None, dtype="float32"), device="meta")
    trace_step(model, modules, tuple(args), kwargs, Optimizer.SGD, replay=True)  # raises nothing
    assert _same_figures(model) == {"replayed": True}  # the third plain unit is still copied


def test_a_copy_feeding_a_concatenation_is_named_after_the_forward() -> None:
    model = _meta(lambda: nn.Sequential(Unit(), Unit(), Unit(), Concatenates(0), Concatenates(1), _head()))
    names = [n for n, _ in model.named_modules()]
    assert {names[b] for b in _fails_after_the_forward(model)} == {"3.unit", "4.unit"}  # both, in one attempt
    assert _same_figures(model) == {"replayed": True}


def test_a_copy_whose_input_is_used_outside_fails_the_check_after_the_forward() -> None:
    # Recorded in a plain run of units (the first takes the input, which needs no gradient: another slot), copied
    # inside ReusesMade: only the whole graph shows the second use.
    model = _meta(lambda: nn.Sequential(Unit(), Unit(), Unit(), ReusesMade(0), ReusesMade(1), _head()))
    modules = [m for _, m in model.named_modules()]
    args, kwargs = make(from_user((2, 4, 8, 8), batch=None, dtype="float32"), device="meta")
    with pytest.raises(ReplayUnsound) as failed:
        trace_step(model, modules, tuple(args), kwargs, Optimizer.SGD, replay=True)
    assert failed.value.blocks  # the units to run in full next time
    assert all(p.grad is None for p in model.parameters())  # the failed attempt left the model as it was
    _same_figures(model)


def test_a_copy_that_gets_another_output_gradient_stops_the_backward() -> None:
    # The first unit takes the input (no gradient needed: its own slot); the second is recorded, the third and
    # fourth copied. The fourth's gradient comes from the sum's backward (an expanded tensor), not from a unit like
    # its recording's.
    model = _meta(lambda: nn.Sequential(Unit(), Unit(), Unit(), Unit(), Total(), nn.Linear(4, 3)))
    modules = [m for _, m in model.named_modules()]
    args, kwargs = make(from_user((2, 4, 8, 8), batch=None, dtype="float32"), device="meta")
    with pytest.raises(ReplayUnsound, match="another output gradient") as failed:
        trace_step(model, modules, tuple(args), kwargs, Optimizer.SGD, replay=True)
    assert failed.value.blocks == (modules.index(model[3]),)
    assert _same_figures(model) == {"replayed": True}  # the retry copies the third unit only


def test_a_copy_whose_input_the_block_before_does_not_keep_gets_the_recorded_peak_shifted() -> None:
    # The recorded gate's input comes from a ReLU, which keeps it for its own backward: it outlives the gate's
    # backward. A copy's input comes from a gate, which keeps nothing: it is freed inside the copy's backward. The
    # copy's live bytes are the recording's, less that input from the moment autograd let it go.
    model = _meta(lambda: nn.Sequential(nn.Conv2d(4, 4, 1), nn.ReLU(), nn.Sequential(*[Gate() for _ in range(4)]),
                                        _head()))
    assert _same_figures(model) == {"replayed": True}
