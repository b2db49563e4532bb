"""The shape-only meta kernels change no figure of a training-step analysis either: a train-mode analysis with them
and one where every op falls back to torch's own meta kernel are identical (columns, totals, memory), for one network
of each registry family, the optimizer rotating over the families so that every optimizer's update ops run."""

from __future__ import annotations

from typing import Any

import pytest

import archcost
from archcost import cache
from archcost.counting import meta_kernels
from archcost.training.optimizer_state import STATE_TENSORS_PER_PARAMETER
from archcost.zoo.registry import entries

OPTIMIZERS = sorted(STATE_TENSORS_PER_PARAMETER)


def _cases() -> list[tuple[str, str, str]]:
    firsts: dict[str, str] = {}
    for entry in entries():
        firsts.setdefault(entry.family, entry.name)
    cases = [(name, OPTIMIZERS[i % len(OPTIMIZERS)], "float32") for i, name in enumerate(sorted(firsts.values()))]
    # Half and bfloat16 batch norm saves float32 statistics: one network with batch norm in each reduced precision.
    return cases + [("resnet18", "adam", "bfloat16"), ("mobilenet-v1", "sgd-momentum", "float16")]


def _analysis(name: str, optimizer: str, dtype: str) -> dict[str, Any]:
    cache.forget()  # a kept optimizer step would hide the path under test
    return archcost.analyze(name, batch=2, mode="train", optimizer=optimizer, dtype=dtype).to_dict()


@pytest.mark.parametrize(("name", "optimizer", "dtype"), _cases(), ids=lambda v: str(v))
def test_train_analyses_with_and_without_the_meta_kernels_are_identical(name: str, optimizer: str, dtype: str,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    with_kernels = _analysis(name, optimizer, dtype)
    asked: list[str] = []
    built: list[str] = []
    original = meta_kernels.run

    def counting(op: str, args: Any, kwargs: Any) -> Any:
        built.append(op) if original(op, args, kwargs) is not None else None
        asked.append(op)

    monkeypatch.setattr(meta_kernels, "run", counting)  # returns None: torch's kernel runs
    without = _analysis(name, optimizer, dtype)
    # The test tests something: the kernels were asked, and built the training ops' outputs.
    assert {"native_batch_norm_backward", "convolution_backward"} & set(built) or "threshold_backward" in built
    assert "nll_loss_backward" in built and asked
    assert without == with_kernels
    assert with_kernels["totals"]["macs"] > 0 and with_kernels["totals"]["peak_activation_bytes"] > 0
