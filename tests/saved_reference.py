"""The independent reference for saved-activation bytes: what autograd packs in a real CPU forward in train mode.

Every storage a ``saved_tensors_hooks`` pack sees is counted once (by address; the tensors are kept alive so no
address is reused while counting), split into the model's buffers and the step's own tensors; parameters are apart
(``parameter_bytes`` counts them). Shared by the training tests and the calibration property."""

from __future__ import annotations

from typing import Any, Callable

import torch


def storage_bytes(t: torch.Tensor) -> int:
    return t.untyped_storage().nbytes()


def saved_storages(model: torch.nn.Module, forward: Callable[[], Any], *,
                   held: Callable[[torch.Tensor], int] = storage_bytes) -> dict[str, int]:
    """Run ``forward()`` (the model in train mode, the loss included) under a pack hook: {"buffers": bytes of the
    model's buffers autograd holds, "step": bytes of every other storage, parameters apart}. ``held`` says how many
    bytes of its storage a packed tensor keeps alive."""
    parameters = {p.untyped_storage().data_ptr() for p in model.parameters()}
    buffers = {b.untyped_storage().data_ptr() for b in model.buffers()}
    seen: dict[int, int] = {}
    kept: list[torch.Tensor] = []

    def pack(t: torch.Tensor) -> torch.Tensor:
        kept.append(t)
        ptr = t.untyped_storage().data_ptr()
        if ptr not in parameters:
            seen[ptr] = max(seen.get(ptr, 0), held(t))
        return t

    model.train()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        forward()
    return {"buffers": sum(n for p, n in seen.items() if p in buffers),
            "step": sum(n for p, n in seen.items() if p not in buffers)}
