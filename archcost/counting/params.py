"""Parameter and buffer accounting per module: weights, biases, trainable, frozen; a shared tensor counts once."""

from __future__ import annotations

from dataclasses import dataclass

import torch

# Keras counts batch-norm moving statistics as (non-trainable) parameters; these are their PyTorch names.
_MOVING_STATISTICS = ("running_mean", "running_var")


@dataclass(slots=True)
class OwnParameters:
    weights: int = 0
    biases: int = 0
    trainable: int = 0
    frozen: int = 0
    buffers: int = 0  # elements of every buffer (BN running stats and counters)
    moving_statistics: int = 0  # the subset of buffers Keras counts as non-trainable parameters

    @property
    def params(self) -> int:
        return self.weights + self.biases


def own_parameters(modules: list[torch.nn.Module]) -> list[OwnParameters]:
    """Each module's own (non-recursive) parameters; a tensor shared by several modules belongs to the first."""
    seen: set[int] = set()
    rows = []
    for module in modules:
        row = OwnParameters()
        # The module's own dictionaries: named_parameters(recurse=False) costs ten times more on deep networks.
        for name, p in module._parameters.items():
            if p is None or id(p) in seen:
                continue
            seen.add(id(p))
            n = p.numel()
            if name.endswith("bias"):
                row.biases += n
            else:
                row.weights += n
            if p.requires_grad:
                row.trainable += n
            else:
                row.frozen += n
        for name, b in module._buffers.items():
            if b is None or id(b) in seen:
                continue
            seen.add(id(b))
            row.buffers += b.numel()
            if name in _MOVING_STATISTICS:
                row.moving_statistics += b.numel()
        rows.append(row)
    return rows
