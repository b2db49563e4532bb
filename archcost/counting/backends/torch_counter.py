"""torch.utils.flop_counter as a cross-check. It counts 2 FLOPs per MAC and ignores biases; halving gives MACs."""

from __future__ import annotations

import torch
from torch.utils.flop_counter import FlopCounterMode


def count(model: torch.nn.Module, example: torch.Tensor, names: list[str]) -> dict[str, int]:
    """MACs per module path ("" the total), for the modules the forward called; the others are absent."""
    training = {m: m.training for m in model.modules()}
    counter = FlopCounterMode(display=False)
    # Which modules the forward called: flop_counter attributes nothing to one never called (a ModuleList, a
    # ModuleDict), which is "not attributed", not zero; a called module without counted ops is zero.
    path = {id(m): name for name, m in model.named_modules()}
    called: set[str] = set()
    hook = torch.nn.modules.module.register_module_forward_pre_hook(
        lambda module, _: called.add(path.get(id(module), "")))
    try:
        model.eval()
        with torch.no_grad(), counter:
            model(example)
    finally:
        hook.remove()
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
    return {**{n: 0 for n in called if n in names}, **result}
