"""Saved-activation bytes on meta equal those autograd saves in a real CPU step (an independent hook, here)."""

from __future__ import annotations

import pytest
import torch

from archcost.training.memory import training_memory
from saved_reference import saved_storages
from archcost.zoo.resolve import build

# One network per family the issue names; small inputs keep a real CPU step quick.
CASES = [("resnet20", (2, 3, 32, 32)), ("googlenet-fmnist", None), ("efficientnet-b0", (1, 3, 64, 64)),
         ("inception-bottleneck", None)]


def _native_shape(name: str) -> tuple[int, ...]:
    from archcost.zoo.registry import get

    return (1, *get(name).input_shape)  # the registry stores C, H, W


def _real_saved_bytes(model: torch.nn.Module, x: torch.Tensor) -> int:
    """The bytes autograd saves in one real training step: one count per storage, parameters and buffers apart."""
    def forward() -> None:
        out = model(x)
        out = out[0] if isinstance(out, (tuple, list)) else out
        loss = torch.nn.functional.cross_entropy(out, torch.zeros(out.shape[0], dtype=torch.int64)) \
            if out.dim() == 2 else out.sum()
        loss.backward()

    return saved_storages(model, forward)["step"]


@pytest.mark.parametrize(("name", "shape"), CASES, ids=[c[0] for c in CASES])
def test_saved_bytes_equal_a_real_cpu_step(name: str, shape: tuple[int, ...] | None) -> None:
    torch.manual_seed(0)
    model = build(name, device="cpu")
    shape = shape or _native_shape(name)
    x = torch.randn(shape)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    predicted = training_memory(model, x, optimizer="sgd").saved_activation_bytes
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # the meta trace left the model as it was
    assert all(p.grad is None for p in model.parameters())
    measured = _real_saved_bytes(model, x)
    assert predicted == measured > 0
