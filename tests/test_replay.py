"""Replay of repeated blocks (counting/replay.py) and structural keys (counting/structure.py): every figure equals a
full run, a block the keys cannot vouch for always runs, and only archcost's own registry networks are replayed.

Tests of the replay machinery itself open the gate for a model of their own (``trusted``): the replayer's checks
must hold wherever it runs."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import pytest
import torch
from torch import nn

import archcost
from archcost.counting.structure import StructuralKeys
from archcost.counting.tracer import Tracer


class _Trusting(Tracer):
    """A tracer that replays a model as if archcost had built it."""

    def __init__(self, modules: list[nn.Module], **options: object) -> None:
        super().__init__(modules, **{**options, "built_here": True})  # type: ignore[arg-type]


@pytest.fixture
def trusted(monkeypatch: pytest.MonkeyPatch) -> None:
    import archcost.analysis

    monkeypatch.setattr(archcost.analysis, "Tracer", _Trusting)


def _records(analysis: archcost.Analysis) -> list[tuple]:
    return [(r.module, r.op, r.terms, r.bytes_in, r.bytes_out, r.shapes) for r in analysis.records]


@pytest.mark.parametrize("name", archcost.list_architectures())
def test_replay_gives_every_figure_of_a_full_run(name: str) -> None:
    replayed = archcost.analyze(name)
    full = archcost.analyze(name, replay_repeats=False)
    assert replayed.rows == full.rows
    assert replayed.totals == full.totals  # peak activation estimate included
    assert replayed.uncounted_ops == full.uncounted_ops
    assert _records(replayed) == _records(full)


@pytest.mark.parametrize("name", archcost.list_architectures())
def test_copies_keyed_from_their_template_get_the_keys_they_would_get_read(name: str) -> None:
    from archcost.blocks.repeat import COPIED_FROM

    modules = list(archcost.build(name).modules())
    assert StructuralKeys(modules, copied_from=COPIED_FROM).keys == StructuralKeys(modules).keys


def _trace(model: nn.Module, shape: tuple[int, ...], device: str = "meta") -> Tracer:
    modules = list(model.modules())
    tracer = _Trusting(modules)
    with torch.no_grad():
        tracer.run(model.eval(), torch.zeros(shape, device=device))
    return tracer


class Unit(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.bn(self.conv(x))) + x


def test_a_deep_stack_runs_one_block_per_input_shape() -> None:
    model = nn.Sequential(*(Unit(8) for _ in range(20))).to("meta")
    tracer = _trace(model, (1, 8, 6, 6))
    assert tracer.trace.replayed_calls == 19
    calls = [c.calls for c in tracer.trace.calls]
    assert calls == [1] * len(calls)  # every module was called once, replayed or not
    full = Tracer(list(model.modules()), replay=False)
    with torch.no_grad():
        full.run(model, torch.zeros((1, 8, 6, 6), device="meta"))
    assert full.trace.replayed_calls == 0
    assert [(r.module, r.op) for r in tracer.trace.records] == [(r.module, r.op) for r in full.trace.records]


def test_replay_is_off_on_a_real_device() -> None:
    model = nn.Sequential(*(Unit(4) for _ in range(3)))
    assert _trace(model, (1, 4, 5, 5), device="cpu").trace.replayed_calls == 0


class Planned(nn.Module):
    """What the forward does depends on a list attribute, which a structural key cannot pin down."""

    def __init__(self, steps: list[int]) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 1)
        self.steps = steps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        for _ in self.steps:
            x = torch.sigmoid(x)
        return x


def test_a_block_with_a_mutable_attribute_is_never_replayed() -> None:
    model = nn.Sequential(Planned([1]), Planned([1, 1]), Planned([1, 1, 1])).to("meta")
    assert StructuralKeys(list(model.modules())).keys[1] is None
    analysis = archcost.analyze(model, (1, 4, 3, 3))
    assert analysis.totals["exps"] == (1 + 2 + 3) * 4 * 3 * 3


class Scaled(nn.Module):
    def __init__(self, scale: float) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 1, bias=False)
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x) * self.scale if self.scale != 1.0 else self.conv(x)


def test_attribute_values_and_their_types_are_part_of_the_key(trusted: None) -> None:
    modules = [Scaled(s).to("meta") for s in (1.0, 1, 0.5, 1.0)]
    keys = StructuralKeys([nn.Sequential(*modules), *modules]).keys[1:]
    assert keys[0] == keys[3]
    assert len({keys[0], keys[1], keys[2]}) == 3  # 1.0, 1 and 0.5 differ, although 1 == 1.0
    analysis = archcost.analyze(nn.Sequential(Scaled(1.0), Scaled(0.5), Scaled(1.0)).to("meta"), (1, 4, 2, 2))
    assert analysis.totals["muls"] == 4 * 2 * 2  # only the 0.5 block scales


def test_a_user_hook_sees_every_call_and_the_block_runs(trusted: None) -> None:
    model = nn.Sequential(*(Unit(4) for _ in range(4))).to("meta")
    seen = []
    model[2].register_forward_hook(lambda module, inputs, output: seen.append(tuple(output.shape)))
    full = archcost.analyze(model, (1, 4, 5, 5), replay_repeats=False)
    assert seen == [(1, 4, 5, 5)]
    replayed = archcost.analyze(model, (1, 4, 5, 5))
    assert seen == [(1, 4, 5, 5)] * 2
    assert replayed.rows == full.rows


class ReturnsInput(nn.Module):
    """A composite block whose output aliases its input: not a pure function of fresh tensors, so never recorded."""

    def __init__(self) -> None:
        super().__init__()
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(x)


class Pair(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        y = self.conv(x)
        return y, y + 1


class UsesPair(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.pair = Pair()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = self.pair(x)
        return a * b


@pytest.mark.parametrize("block", [ReturnsInput, UsesPair])
def test_impure_blocks_run_every_time_with_the_same_figures(block: type[nn.Module], trusted: None) -> None:
    model = nn.Sequential(*(block() for _ in range(3))).to("meta")
    replayed = archcost.analyze(model, (1, 4, 3, 3))
    full = archcost.analyze(model, (1, 4, 3, 3), replay_repeats=False)
    assert replayed.rows == full.rows and replayed.totals == full.totals
    if block is ReturnsInput:
        assert _trace(model, (1, 4, 3, 3)).trace.replayed_calls == 0


def test_the_model_keeps_no_wrapper_and_no_reference_after_analysis(trusted: None) -> None:
    model = nn.Sequential(*(Unit(4) for _ in range(5))).to("meta")
    archcost.analyze(model, (1, 4, 5, 5))
    assert all("forward" not in m.__dict__ for m in model.modules())
    # Nothing the analysis left behind refers to the model in a cycle: reference counting frees it at once.
    ref = weakref.ref(model)
    enabled = gc.isenabled()
    gc.disable()
    try:
        del model
        assert ref() is None
    finally:
        if enabled:
            gc.enable()


def test_a_tied_weight_counts_once_even_between_modules_with_one_key(trusted: None) -> None:
    with torch.device("meta"):
        first, second, third = nn.Linear(4, 4), nn.Linear(4, 4), nn.Linear(4, 4)
    second.weight = first.weight
    keys = StructuralKeys([first, second, third]).keys
    assert keys[0] == keys[1] == keys[2]
    analysis = archcost.analyze(nn.Sequential(first, second, third), (4,), batch=2)  # per sample: (2, 4)
    assert [r["own_params"] for r in analysis.rows] == [0, 16 + 4, 4, 16 + 4]
    assert analysis.totals["params"] == 3 * 4 + 2 * 16


def test_a_cpu_model_analysed_on_meta_is_replayed_through_its_stand_ins(monkeypatch: pytest.MonkeyPatch,
                                                                       trusted: None) -> None:
    from archcost.counting import replay

    replays = []
    original = replay.Replayer._replay
    monkeypatch.setattr(replay.Replayer, "_replay", lambda self, *args: replays.append(1) or original(self, *args))
    model = nn.Sequential(*(Unit(4) for _ in range(6)))  # real CPU tensors: the forward sees meta stand-ins
    replayed = archcost.analyze(model, (1, 4, 5, 5))
    assert len(replays) == 5
    full = archcost.analyze(model, (1, 4, 5, 5), replay_repeats=False)
    assert all(p.device.type == "cpu" for p in model.parameters())  # the caller's model stays where it was
    on_meta = archcost.analyze(model.to("meta"), (1, 4, 5, 5), replay_repeats=False)
    assert replayed.rows == full.rows == on_meta.rows
    assert replayed.totals == full.totals == on_meta.totals


class Counting(nn.Module):
    """A forward that changes its own state: its second call adds an op the first did not."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 1, bias=False)
        self.seen = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.seen += 1
        y = self.conv(x)
        return torch.sigmoid(y) if self.seen > 1 else y * 1.0


class Twice(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.block = Counting()
        self.other = Counting()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.other(self.block(self.block(x)))


def test_a_block_whose_forward_changes_its_own_state_is_not_replayed(trusted: None) -> None:
    full = archcost.analyze(Twice().to("meta"), (1, 4, 3, 3), replay_repeats=False)
    replayed = archcost.analyze(Twice().to("meta"), (1, 4, 3, 3))
    assert replayed.totals == full.totals
    assert full.totals["exps"] == 4 * 3 * 3  # block's second call takes the sigmoid, other's only call does not


# -- the gate: only archcost's own networks are replayed -----------------------------------------------------------
# Each model below makes blocks with equal structural keys run different ops, in a way no key computed before the
# forward can see. They are counted right because a model archcost did not build is never replayed.
class Gated(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(16, 16, 3, padding=1, bias=False)
        self.twice = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        return self.conv(x) if self.twice else x


class SetsChildAttribute(nn.Module):
    """The parent sets each child's attribute just before calling it."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(Gated() for _ in range(4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, block in enumerate(self.blocks):
            block.twice = i % 2 == 1
            x = block(x)
        return x


class ConvUnit(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(16, 16, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(16)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.bn(self.conv(x)))


class StridesAtCallTime(nn.Module):
    """The parent changes a child conv's stride at call time: the second unit downsamples."""

    def __init__(self) -> None:
        super().__init__()
        self.units = nn.ModuleList(ConvUnit() for _ in range(3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, unit in enumerate(self.units):
            unit.conv.stride = (2, 2) if i == 1 else (1, 1)
            x = unit(x)
        return x


def _alternating() -> Any:
    calls = [0]

    def times() -> int:
        calls[0] += 1
        return 1 + calls[0] % 2  # 2, 1, 2, 1, ...

    return times


class Repeats(nn.Module):
    def __init__(self, times: Any) -> None:
        super().__init__()
        self.conv = nn.Conv2d(16, 16, 1, bias=False)
        self.times = times

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for _ in range(self.times()):
            x = self.conv(x)
        return x


class SharedClosure(nn.Module):
    """Blocks share one function, whose closure says how often each call applies its conv."""

    def __init__(self) -> None:
        super().__init__()
        times = _alternating()
        self.blocks = nn.Sequential(*(Repeats(times) for _ in range(4)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(x)


COUNTEREXAMPLES = {
    # Hand figures: a 3x3 conv 16->16 on 16x16 is 16*16*9*256 = 589,824 MACs; a 1x1 one 65,536.
    SetsChildAttribute: 6 * 589_824,  # blocks 1 and 3 apply their conv twice
    StridesAtCallTime: 589_824 + 2 * 589_824 // 4,  # units 2 and 3 run on 8x8
    SharedClosure: (2 + 1 + 2 + 1) * 65_536,
}


def _flop_counter_macs(model: nn.Module, shape: tuple[int, ...], device: str) -> int:
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(torch.zeros(shape, device=device))
    return counter.get_total_flops() // 2


@pytest.mark.parametrize("device", ["meta", "cpu"])
@pytest.mark.parametrize("make", list(COUNTEREXAMPLES), ids=lambda m: m.__name__)
def test_what_keys_cannot_see_is_counted_like_a_full_run_and_flop_counter(make: Any, device: str) -> None:
    shape = (1, 16, 16, 16)
    analysis = archcost.analyze(make().to(device), shape, device=device)  # a fresh model each: their state moves
    full = archcost.analyze(make().to(device), shape, device=device, replay_repeats=False)
    reference = _flop_counter_macs(make().to(device), shape, device)
    assert analysis.totals["macs"] == full.totals["macs"] == reference == COUNTEREXAMPLES[make]
    assert analysis.rows == full.rows
    assert analysis.provenance["replay"] is False


def test_a_user_model_is_never_replayed(monkeypatch: pytest.MonkeyPatch) -> None:
    from archcost.counting import replay

    replays: list[int] = []
    original = replay.Replayer._replay
    monkeypatch.setattr(replay.Replayer, "_replay", lambda self, *args: replays.append(1) or original(self, *args))
    for model in (nn.Sequential(*(Unit(4) for _ in range(6))).to("meta"), nn.Sequential(*(Unit(4) for _ in range(6)))):
        analysis = archcost.analyze(model, (1, 4, 5, 5))
        assert analysis.provenance["replay"] is False
    assert not replays


def test_a_registry_network_says_it_was_replayed() -> None:
    assert archcost.analyze("resnet56").provenance["replay"] is True
    assert archcost.analyze("resnet56", replay_repeats=False).provenance["replay"] is False
    assert archcost.analyze("alexnet").provenance["replay"] is False  # no block repeats: nothing was copied


def test_builder_arguments_that_are_not_literals_close_the_gate(monkeypatch: pytest.MonkeyPatch) -> None:
    from archcost.counting import tracer

    seen: list[bool] = []
    original = tracer.Tracer.__init__

    def spy(self: Tracer, modules: list[nn.Module], **options: Any) -> None:
        seen.append(bool(options.get("built_here")))
        original(self, modules, **options)

    monkeypatch.setattr(tracer.Tracer, "__init__", spy)
    class Half(float):
        """A float whose class could do anything: its repr does not say what it is."""

    archcost.analyze("resnet20", survival_last=0.5)
    archcost.analyze("resnet20", survival_last=Half(0.5))
    assert seen == [True, False]
