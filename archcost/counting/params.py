"""Parameter and buffer accounting per module: weights, biases, trainable, frozen; a shared tensor counts once."""

from __future__ import annotations

from typing import Any

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
    seen: set[int] = set()
    for i, m in enumerate(modules):
        figures = _own(m.__dict__["_parameters"], m.__dict__["_buffers"], seen)
        for column, value in zip(columns.values(), figures):
            column[i] = value
    return columns


def _own(parameters: dict[str, Any], buffers: dict[str, Any], seen: set[int]) -> tuple[int, ...]:
    """One module's figures in COLUMNS order; tensors already in ``seen`` belong to an earlier module."""
    weights = biases = trainable = frozen = buffer_elements = moving = 0
    for name, p in parameters.items():
        if p is None or id(p) in seen:
            continue
        seen.add(id(p))
        n = p.numel()
        if name.endswith("bias"):
            biases += n
        else:
            weights += n
        if p.requires_grad:
            trainable += n
        else:
            frozen += n
    for name, b in buffers.items():
        if b is None or id(b) in seen:
            continue
        seen.add(id(b))
        n = b.numel()
        buffer_elements += n
        if name in _MOVING_STATISTICS:
            moving += n
    return (weights + biases, weights, biases, trainable, frozen, buffer_elements, moving)
