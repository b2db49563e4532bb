"""The ``memory`` object of a train-mode analysis, from ``archcost.training.memory.training_memory`` (the
train-memory half of issue 15) when it is there; until it is merged, the three figures that need no trace
(parameters, gradients, optimizer state) are computed here and the saved-activation and peak figures are None,
said so in ``source``."""

from __future__ import annotations

from typing import Any

import torch

from archcost.training.optimizers import STATE_TENSORS_PER_PARAMETER, Optimizer


def memory_of(model: torch.nn.Module, examples: list[Any], *, optimizer: Optimizer, dtype: str) -> dict[str, Any]:
    try:
        from archcost.training.memory import training_memory  # type: ignore[import-not-found]
    except ImportError:
        return _parameter_memory(model, optimizer)
    import dataclasses

    from archcost.analysis import DTYPES
    from archcost.inputs import make

    args, _ = make(examples, device="meta")
    found = training_memory(model, args, optimizer=optimizer.value, dtype=DTYPES[dtype])
    memory = {k: v for k, v in dataclasses.asdict(found).items() if k.endswith("_bytes")}
    return {**memory, "source": "archcost.training.memory.training_memory"}


def _parameter_memory(model: torch.nn.Module, optimizer: Optimizer) -> dict[str, Any]:
    seen: set[int] = set()
    parameter_bytes = trainable_bytes = 0
    for p in model.parameters():
        if id(p) in seen:
            continue
        seen.add(id(p))
        nbytes = p.numel() * p.element_size()
        parameter_bytes += nbytes
        trainable_bytes += nbytes if p.requires_grad else 0
    return {"parameter_bytes": parameter_bytes, "gradient_bytes": trainable_bytes,
            "optimizer_state_bytes": trainable_bytes * STATE_TENSORS_PER_PARAMETER[optimizer],
            "saved_activation_bytes": None, "peak_train_bytes": None,
            "source": "parameters only: saved-activation and peak bytes come with archcost.training.memory "
                      "(train-memory, not merged yet)"}
