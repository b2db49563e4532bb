"""The optimizer steps a train-mode analysis reuses (cache.OPTIMIZER_STEPS, training/step.py) change no figure: an
analysis that traces every module's step, one that fills the store and one that reads it are identical, for one
network of each registry family and every optimizer."""

from __future__ import annotations

import json
from typing import Any

import pytest

import archcost
from archcost import cache
from archcost.training.optimizers import Optimizer
from archcost.zoo.registry import entries


def _first_of_each_family() -> list[str]:
    firsts: dict[str, str] = {}
    for entry in entries():
        firsts.setdefault(entry.family, entry.name)
    return sorted(firsts.values())


FAMILIES = _first_of_each_family()
CASES = [(name, list(Optimizer)[i % len(Optimizer)].value) for i, name in enumerate(FAMILIES)]


def _train(name: str, optimizer: str) -> dict[str, Any]:
    # Every call traces the step; the optimizer store is left as the test set it.
    return archcost.analyze(name, mode="train", optimizer=optimizer).to_dict()


@pytest.mark.parametrize(("name", "optimizer"), CASES, ids=[f"{n}-{o}" for n, o in CASES])
def test_reused_steps_give_the_figures_of_traced_ones(name: str, optimizer: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    cache.forget()
    filled = _train(name, optimizer)
    assert cache.OPTIMIZER_STEPS, "no optimizer step was stored: this test no longer tests the store"
    reused = _train(name, optimizer)
    monkeypatch.setattr(cache, "optimizer_step", lambda key, decode: None)  # every step traced, none reused
    traced = _train(name, optimizer)
    assert filled == reused == traced
    assert filled["totals"]["optimizer_ops"] > 0


def test_a_step_is_reused_only_for_the_same_optimizer_and_tensors() -> None:
    import torch

    cache.forget()
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Linear(3, 3), torch.nn.Linear(3, 3))
    ops = {}
    for optimizer in ("sgd", "adam"):
        analysis = archcost.analyze(model, (2, 4), mode="train", optimizer=optimizer)
        ops[optimizer] = analysis.columns["own_optimizer_ops"]
    # Two Linear(3, 3) share one stored step per optimizer; Linear(4, 3) has its own: 3 keys per optimizer.
    assert len(cache.OPTIMIZER_STEPS) == 4
    # Per element of the update: sgd 1 (p -= lr * g), adam more; each module by its own parameter count.
    assert ops["sgd"][1:] == [15, 12, 12]
    assert all(a > s for a, s in zip(ops["adam"][1:], ops["sgd"][1:]))


@pytest.mark.parametrize("optimizer", [o.value for o in Optimizer])
def test_a_step_written_for_the_disk_reads_back_as_it_was(optimizer: str) -> None:
    """What the disk store keeps (cache.STEPS) is the step itself: every record's op, terms and bytes, the ops
    without a rule and the inner peak come back equal, so a step read from disk gives the figures of a traced one."""
    from archcost.training.step import _StepTemplate

    cache.forget()
    _train("mobilenet-v2", optimizer)
    steps = list(cache.OPTIMIZER_STEPS.values())
    assert steps
    for step in steps:
        back = _StepTemplate.decode(json.loads(json.dumps(step.encode())))
        assert back.uncounted == step.uncounted and back.inner_peak_bytes == step.inner_peak_bytes
        fields = [(r.op, r.terms, r.bytes_in, r.bytes_out, r.shapes) for r in step.records]
        assert [(r.op, r.terms, r.bytes_in, r.bytes_out, r.shapes) for r in back.records] == fields
        assert any(r.terms for r in step.records)
