"""torch.utils.flop_counter as a cross-check. It counts 2 FLOPs per MAC and ignores biases; halving gives MACs."""

from __future__ import annotations

import torch
from torch.utils.flop_counter import FlopCounterMode


def count(model: torch.nn.Module, example: torch.Tensor, names: list[str]) -> dict[str, int]:
    training = {m: m.training for m in model.modules()}
    counter = FlopCounterMode(display=False)
    try:
        model.eval()
        with torch.no_grad(), counter:
            model(example)
    finally:
        for m, flag in training.items():
            m.training = flag
    # flop_counter names modules by their path prefixed with the root's class name ("Global" holds the total).
    result: dict[str, int] = {"": counter.get_total_flops() // 2}
    root = type(model).__name__
    for key, per_op in counter.get_flop_counts().items():
        if key == "Global":
            continue
        name = key[len(root) + 1:] if key.startswith(root + ".") else ("" if key == root else key)
        if name:
            result[name] = sum(per_op.values()) // 2
    return result
