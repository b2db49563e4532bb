"""The loss of a traced training step, one rule for the MAC trace (step.py) and the memory trace (memory_trace.py)
so that both count the same step: cross-entropy for [N, C] logits, else the sum of the output's first tensor."""

from __future__ import annotations

from typing import Any

import torch

from archcost.counting.tracer import _first_tensor_in
from archcost.errors import UsageError


def form_loss(output: Any) -> tuple[torch.Tensor, str]:
    """Cross-entropy for [N, C] logits (int64 targets of class 0), else the sum of the output's first tensor."""
    first = _first_tensor_in(output)
    if first is None or not first.is_floating_point():
        raise UsageError("cannot form a loss: the forward returned no floating-point tensor")
    if not first.requires_grad:
        raise UsageError("cannot form a loss: the output does not depend on any trainable parameter")
    if first.dim() == 2:
        target = torch.zeros(first.shape[0], dtype=torch.int64, device=first.device)
        return torch.nn.functional.cross_entropy(first, target), "cross-entropy of the [N, C] logits, int64 targets"
    return first.sum(), f"sum of the {first.dim()}-d output (not [N, C] logits)"
