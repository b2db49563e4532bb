"""Parameter and buffer accounting per module: weights, biases, trainable, frozen; a shared tensor counts once."""

from __future__ import annotations

import torch

# Keras counts batch-norm moving statistics as (non-trainable) parameters; these are their PyTorch names.
_MOVING_STATISTICS = frozenset(("running_mean", "running_var"))

COLUMNS = ("params", "weights", "biases", "trainable_params", "frozen_params", "buffers", "moving_statistics")


def own_parameter_columns(modules: list[torch.nn.Module]) -> dict[str, list[int]]:
    """Each module's own (non-recursive) figures, one list per column in ``modules`` order. ``buffers`` counts the
    elements of every buffer (BN statistics and counters), ``moving_statistics`` the subset Keras calls parameters.
    A tensor shared by several modules belongs to the first."""
    count = len(modules)
    columns = {name: [0] * count for name in COLUMNS}
    params, weights, biases = columns["params"], columns["weights"], columns["biases"]
    trainable, frozen = columns["trainable_params"], columns["frozen_params"]
    buffers, moving = columns["buffers"], columns["moving_statistics"]
    seen: set[int] = set()
    for i, module in enumerate(modules):
        # The module's own dictionaries: named_parameters(recurse=False) costs ten times more on deep networks.
        state = module.__dict__
        for name, p in state["_parameters"].items():
            if p is None or id(p) in seen:
                continue
            seen.add(id(p))
            n = p.numel()
            params[i] += n
            if name.endswith("bias"):
                biases[i] += n
            else:
                weights[i] += n
            if p.requires_grad:
                trainable[i] += n
            else:
                frozen[i] += n
        for name, b in state["_buffers"].items():
            if b is None or id(b) in seen:
                continue
            seen.add(id(b))
            n = b.numel()
            buffers[i] += n
            if name in _MOVING_STATISTICS:
                moving[i] += n
    return columns
