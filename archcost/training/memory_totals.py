"""The ``memory`` object of a train-mode analysis: :func:`archcost.training.memory.training_memory` on the traced
step's example inputs, reduced to the JSON contract (the ``*_bytes`` fields) plus the layers that hold the most saved
activations and, when blocks are checkpointed, what each keeps and what it recomputes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from archcost.training.memory import training_memory
from archcost.training.memory_trace import SavedTrace
from archcost.training.optimizers import Optimizer

TOP_LAYERS = 5  # how many of the layers holding the most saved activations the memory object names


def memory_of(model: torch.nn.Module, examples: list[Any], *, optimizer: Optimizer, dtype: str,
              master_dtype: str | None = None, checkpoint: Sequence[str] = (),
              saved: SavedTrace | None = None) -> dict[str, Any]:
    """The memory object. ``saved``: what the analysis's own trace saved (used unless blocks are checkpointed:
    that step is traced apart, with torch.utils.checkpoint around them)."""
    from archcost.errors import UsageError
    from archcost.inputs import make
    from archcost.prepare import DTYPES

    if master_dtype is not None and master_dtype not in DTYPES:
        raise UsageError(f"unknown master dtype {master_dtype!r}; choose one of {', '.join(DTYPES)}")
    args, _ = make(examples, device="meta")
    found = training_memory(model, args, optimizer=optimizer.value, dtype=DTYPES[dtype],
                            master_dtype=DTYPES[master_dtype] if master_dtype else None, checkpoint=tuple(checkpoint),
                            saved=None if checkpoint else saved)
    document = found.to_dict()
    memory: dict[str, Any] = {k: v for k, v in document.items() if k.endswith("_bytes")}
    memory["largest_saved_by_layer"] = dict(list(found.saved_by_layer.items())[:TOP_LAYERS])
    memory["dtype"], memory["master_dtype"] = found.dtype, found.master_dtype
    memory["checkpoint_kept_bytes"] = dict(found.checkpoint_kept_bytes)
    memory["recomputed_macs"] = dict(found.recomputed_macs)
    memory["source"] = "archcost.training.memory.training_memory"
    return memory
