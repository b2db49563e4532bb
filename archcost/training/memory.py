"""Exact training memory of one step, traced on the meta device: nothing real is allocated, the model is unchanged.

``training_memory`` counts parameters, gradients, optimizer state and every tensor autograd saves for the backward
(by storage: views and tensors sharing memory are counted once; parameters saved by an op are parameters, not
activations). Activation checkpointing of named blocks is traced with torch.utils.checkpoint (non-reentrant).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from archcost.errors import UsageError
from archcost.training.memory_trace import SavedTrace, trace_saved
from archcost.training.optimizer_state import (
    as_dtype,
    check_optimizer,
    optimizer_state_bytes,
)


@dataclass(frozen=True)
class TrainMemory:
    """Bytes of one training step.

    ``peak_train_bytes`` = parameter_bytes + buffer_bytes + optimizer_state_bytes + gradient_bytes
    + saved_activation_bytes + backward_transient_bytes. ``buffer_bytes`` is the model's other state (batch norm's
    running statistics and step counters): autograd holds some of it for the backward too, but it exists whether or
    not a step runs, so it is counted once, here, and never in ``saved_activation_bytes``. That is the memory live at the start of the backward when the gradients of the
    previous step are kept (``zero_grad(set_to_none=False)``, the worst case for gradients) and every saved tensor
    is still held, plus the largest set of tensors one backward op produces at once (``backward_transient_bytes``).
    It is not an upper bound of what a process holds: the forward's temporaries that nothing saves (freed as the
    forward runs), allocator slack and library scratch are not counted; benchmarks/train_memory.py measures the
    gap on real steps.
    """

    parameter_bytes: int
    buffer_bytes: int
    gradient_bytes: int
    optimizer_state_bytes: int
    saved_activation_bytes: int
    backward_transient_bytes: int
    peak_train_bytes: int
    saved_by_layer: dict[str, int] = field(default_factory=dict)  # module name -> saved bytes, largest first
    checkpoint_kept_bytes: dict[str, int] = field(default_factory=dict)  # checkpointed block -> inputs it keeps
    recomputed_macs: dict[str, int] = field(default_factory=dict)  # checkpointed block -> forward MACs run again
    optimizer: str = "adam"
    dtype: str = "float32"
    master_dtype: str | None = None

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


def _stand_ins(model: torch.nn.Module, dtype: torch.dtype) -> dict[str, torch.Tensor]:
    """Meta copies of every parameter and buffer (floating ones in ``dtype``), trainable where the model's are.

    Tied tensors get one stand-in, under their first name; the swap ties the other names to it."""
    state: dict[str, torch.Tensor] = {}
    for name, p in model.named_parameters():
        t = torch.empty(p.shape, dtype=dtype if p.is_floating_point() else p.dtype, device="meta")
        state[name] = t.requires_grad_(p.requires_grad)
    for name, b in model.named_buffers():
        state[name] = torch.empty(b.shape, dtype=dtype if b.is_floating_point() else b.dtype, device="meta")
    return state


def _meta_inputs(example_inputs: Any, dtype: torch.dtype) -> tuple[Any, ...]:
    args = example_inputs if isinstance(example_inputs, (tuple, list)) else (example_inputs,)
    return tuple(torch.empty(a.shape, dtype=dtype if a.is_floating_point() else a.dtype, device="meta")
                 if isinstance(a, torch.Tensor) else a for a in args)


def _stored_bytes(t: torch.Tensor, dtype: torch.dtype) -> int:
    """Bytes of a parameter or buffer in the step's dtype (floating ones are cast, as _stand_ins does)."""
    return t.numel() * (dtype.itemsize if t.is_floating_point() else t.element_size())


def _unique_parameters(model: torch.nn.Module) -> list[torch.nn.Parameter]:
    return list(model.parameters())  # torch already drops shared (tied) parameters here


def training_memory(model: torch.nn.Module, example_inputs: Any, *, optimizer: str,
                    dtype: torch.dtype | str = torch.float32, master_dtype: torch.dtype | str | None = None,
                    checkpoint: tuple[str, ...] = (), saved: SavedTrace | None = None) -> TrainMemory:
    """Training memory of one step of ``model`` on ``example_inputs`` (tensors, any device: only shapes are read).

    Parameters and their gradients are in ``dtype``; with ``master_dtype`` (mixed precision, e.g. bfloat16 weights
    and float32 masters) the optimizer keeps float32 master weights and state. ``checkpoint`` names blocks whose
    activations are recomputed in the backward instead of saved. ``saved``: what a step traced elsewhere saved
    (a train-mode analysis notes it in its own trace, training/step.py); without it the step is traced here."""
    check_optimizer(optimizer)
    dt = as_dtype(dtype)
    master = as_dtype(master_dtype) if master_dtype is not None else None
    params = _unique_parameters(model)
    trainable = sum(p.numel() for p in params if p.requires_grad)
    if trainable == 0:
        raise UsageError("cannot train: the model has no trainable parameter")
    if saved is not None and checkpoint:
        raise ValueError("a step traced elsewhere has no checkpointed blocks: trace it here")
    trace = saved if saved is not None else \
        trace_saved(model, _stand_ins(model, dt), _meta_inputs(example_inputs, dt), tuple(checkpoint))
    by_layer: dict[str, int] = {}
    for key, nbytes in trace.saved.items():
        by_layer[trace.owner[key]] = by_layer.get(trace.owner[key], 0) + nbytes
    parameter_bytes = sum(_stored_bytes(p, dt) for p in params)
    buffer_bytes = sum(_stored_bytes(b, dt) for b in model.buffers())
    gradient_bytes = trainable * dt.itemsize
    state_bytes = optimizer_state_bytes(trainable, optimizer=optimizer, dtype=dt, master_dtype=master)
    saved_bytes = sum(trace.saved.values())
    return TrainMemory(
        parameter_bytes=parameter_bytes, buffer_bytes=buffer_bytes, gradient_bytes=gradient_bytes,
        optimizer_state_bytes=state_bytes, saved_activation_bytes=saved_bytes,
        backward_transient_bytes=trace.backward_transient_bytes,
        peak_train_bytes=(parameter_bytes + buffer_bytes + gradient_bytes + state_bytes + saved_bytes
                          + trace.backward_transient_bytes),
        saved_by_layer=dict(sorted(by_layer.items(), key=lambda kv: -kv[1])),
        checkpoint_kept_bytes=dict(trace.checkpoint_input_bytes), recomputed_macs=dict(trace.recomputed_macs),
        optimizer=optimizer, dtype=str(dt).removeprefix("torch."),
        master_dtype=None if master is None else str(master).removeprefix("torch."),
    )


__all__ = ["TrainMemory", "training_memory"]
