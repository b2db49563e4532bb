"""The optimizers a training step can end with: a closed set, each a torch.optim class with fixed settings.

The step is the real ``torch.optim`` step, traced (``foreach=False`` so every parameter's update is its own ops,
attributed to the module that holds the parameter). Settings are torch's defaults except momentum 0.9 for
sgd-momentum; weight decay 0, so no decay term is counted.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Optimizer(StrEnum):
    SGD = "sgd"
    SGD_MOMENTUM = "sgd-momentum"
    ADAM = "adam"
    ADAMW = "adamw"


# Per-parameter state tensors of the same shape as the parameter (momentum buffer, Adam's two moments).
STATE_TENSORS_PER_PARAMETER = {Optimizer.SGD: 0, Optimizer.SGD_MOMENTUM: 1, Optimizer.ADAM: 2, Optimizer.ADAMW: 2}


def make(optimizer: Optimizer, parameters: list[Any]) -> Any:
    import torch

    if optimizer is Optimizer.SGD:
        return torch.optim.SGD(parameters, lr=0.1, foreach=False)
    if optimizer is Optimizer.SGD_MOMENTUM:
        return torch.optim.SGD(parameters, lr=0.1, momentum=0.9, foreach=False)
    if optimizer is Optimizer.ADAM:
        return torch.optim.Adam(parameters, lr=1e-3, foreach=False)
    return torch.optim.AdamW(parameters, lr=1e-3, weight_decay=0.0, foreach=False)
