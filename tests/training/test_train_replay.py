"""Replay in a training step (training/replay.py) changes no figure: on every registry network the train-mode
analysis with repeated blocks copied equals the one that runs every block, layer by layer, memory included. The
networks named below must actually be replayed, so the comparison cannot pass by never copying anything."""

from __future__ import annotations

from typing import Any

import pytest
from test_flop_counter_train import SLOW

import archcost
from archcost import cache
from archcost.training.optimizers import Optimizer

REPLAYED = {"resnet50", "resnet110", "resnext50-32x4d", "preact-resnet164", "mobilenet-v2", "efficientnet-b0",
            "inception-resnet-v1", "highway-cifar-20"}
NAMES = archcost.list_architectures()


def _train(name: str, optimizer: str, replay: bool) -> dict[str, Any]:
    cache.forget()  # no kept optimizer step or replay plan
    return archcost.analyze(name, mode="train", optimizer=optimizer, replay_repeats=replay).to_dict()


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in NAMES])
def test_replayed_step_equals_the_step_run_in_full(name: str) -> None:
    optimizer = list(Optimizer)[NAMES.index(name) % len(Optimizer)].value
    replayed = _train(name, optimizer, replay=True)
    full = _train(name, optimizer, replay=False)
    assert full["provenance"]["replay"] is False
    if name in REPLAYED:
        assert replayed["provenance"]["replay"] is True, f"{name} was not replayed: the comparison tests nothing"
    replayed["provenance"].pop("replay")
    full["provenance"].pop("replay")
    assert replayed == full
    assert full["totals"]["backward_macs"] > 0 and full["memory"]["saved_activation_bytes"] > 0


def test_a_kept_plan_starts_where_the_last_step_ended_and_changes_nothing() -> None:
    cache.forget()
    first = archcost.analyze("mobilenet-v2", mode="train", optimizer="sgd").to_dict()
    plans = dict(cache.REPLAY_PLANS)
    assert plans and all(p is False or isinstance(p, frozenset) for p in plans.values())
    again = archcost.analyze("mobilenet-v2", mode="train", optimizer="sgd").to_dict()
    assert again == first and cache.REPLAY_PLANS == plans
