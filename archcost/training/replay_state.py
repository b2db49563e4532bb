"""What train replay (training/replay.py) keeps per block: a recording, a copy and the graph node it stands in as,
a block's stretch of the backward, and the small helpers that classify what a recorded block saved and note when
autograd lets its inputs go."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import torch

from archcost import torch_compat
from archcost.counting import replay as forward_replay
from archcost.counting.records import OpRecord
from archcost.torch_compat import disable_torch_dispatch, storage_key

if TYPE_CHECKING:
    from archcost.training.replay import TrainReplayer
    from archcost.training.step import TrainTracer

Meta = tuple[tuple[int, ...], tuple[int, ...], torch.dtype]


def meta_of(tensor: Any) -> Meta | None:
    return None if tensor is None else (tuple(tensor.shape), tensor.stride(), tensor.dtype)


def gradient_edge(tensor: torch.Tensor) -> tuple[Any, int] | None:
    if not tensor.requires_grad:
        return None
    with disable_torch_dispatch():  # a leaf's edge is found through a view op: not one of the network's
        edge = torch.autograd.graph.get_gradient_edge(tensor)
    return (edge.node, edge.output_nr)


@dataclass
class Region:
    """A block's stretch of the backward: from the first of its nodes to run to the next node outside it."""

    first_record: int
    live_open: int
    peak_before: int
    largest_before: int
    uncounted_before: Counter[str]
    last_record: int = -1
    inner_peak_bytes: int = 0
    largest_output_bytes: int = 0
    live_delta_bytes: int = 0
    uncounted: Counter[str] = field(default_factory=Counter)
    records: list[tuple[int, OpRecord, bool, Any]] = field(default_factory=list)  # offset, record, weight, split
    peaks: list[tuple[int, int]] = field(default_factory=list)  # a recording's: (op index, live bytes) per allocation
    freed: tuple[bool, ...] = ()  # per saved input: whether it was freed by the end of the region


@dataclass(eq=False)
class Recording:
    """A block run for real in this step, its forward's copy and what its backward did."""

    index: int
    size: int
    forward: Any  # counting/replay.py's _Recording
    retained_bytes: int  # what the forward left alive beyond its output: tensors saved for the backward
    packs: list[tuple[str, int, int, int]]  # per save: kind ('arg', 'out', 'new'), which, bytes, owner offset
    input_grad: list[tuple[int, bool]]  # (offset, whether the module's first input needed a gradient)
    saves_args: tuple[int, ...]  # positions of the tensor arguments the graph keeps alive
    saves_output: bool
    edges: list[tuple[Any, int]]  # the gradient edges into the block (inputs, trainable parameters)
    params: list[torch.nn.Parameter]
    used: bool = False
    grad_output: Meta | None = None
    arg_grads: dict[int, Meta | None] = field(default_factory=dict)
    param_grads: list[Meta | None] = field(default_factory=list)
    region: Region | None = None
    hooks: list[Any] = field(default_factory=list)
    inputs: list[Any] = field(default_factory=list)  # weak references to the saved inputs (``saves_args`` order)
    input_bytes: list[int] = field(default_factory=list)  # the live bytes each stands for (0: a view)
    released_at: dict[int, int] = field(default_factory=dict)  # saved input -> op index when autograd let it go

    def owns(self, module: int) -> bool:
        return self.index <= module < self.index + self.size


@dataclass(eq=False)
class Replay:
    """A copy of a recording standing in the graph for block ``index``."""

    index: int
    recording: Recording
    arg_metas: list[Meta]
    needs: tuple[bool, ...]  # per tensor argument: whether autograd asks its gradient
    edges: list[tuple[Any, int]]
    params: list[torch.nn.Parameter]
    ballast: torch.Tensor | None  # live bytes standing for the tensors the real block's graph would keep
    node: Any = None
    grad_output: Meta | None = None
    ran: bool = False
    region: Region | None = None
    inputs: list[Any] = field(default_factory=list)  # weak references to the saved inputs, as the recording's


def release_noter(released_at: dict[int, int], position: int, tracer: TrainTracer) -> Any:
    """Called as autograd lets go of a saved copy of input ``position``: the last call is when it let go of all."""
    def released() -> None:
        released_at[position] = len(tracer.trace.records)

    return released


def tracked_bytes(tensor: torch.Tensor) -> int:
    """The live bytes the tracer counts for ``tensor`` (a view is not counted: its base is)."""
    return 0 if torch_compat.is_view(tensor) else tensor.numel() * tensor.element_size()


def classify_saves(packs: list[tuple[int, int, int]], allocated: set[int], args: tuple[Any, ...], out: torch.Tensor,
              index: int) -> list[tuple[tuple[str, int], int, int]] | None:
    """Each save of a recording as (kind, which), bytes, owner offset; None when a saved storage is none of the
    block's inputs, its output or one it made (then no copy could save the same)."""
    arg_keys = {storage_key(a): i for i, a in enumerate(t for t in args if isinstance(t, torch.Tensor))}
    out_key = storage_key(out)
    local: dict[int, int] = {}
    found = []
    for key, nbytes, module in packs:
        if key in arg_keys:
            kind = ("arg", arg_keys[key])
        elif key == out_key:
            kind = ("out", 0)
        elif key in allocated:
            kind = ("new", local.setdefault(key, len(local)))
        else:
            return None
        found.append((kind, nbytes, module - index))
    return found


class StandIn(torch.autograd.Function):
    """One graph node for a replayed block: its output has the recorded metadata, its backward hands out gradients
    (no op runs; the recorded ops are added to the trace afterwards)."""

    @staticmethod
    def forward(ctx: Any, replay: Replay, replayer: TrainReplayer, *tensors: torch.Tensor) -> torch.Tensor:
        ctx.set_materialize_grads(False)  # an absent gradient must not become a zeros op
        ctx.replay, ctx.replayer = replay, replayer
        out = forward_replay.stand_in(replay.recording.forward)
        kept = [tensors[i] for i in replay.recording.saves_args]
        ctx.save_for_backward(*kept, *([out] if replay.recording.saves_output else []))
        return out

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor | None) -> Any:
        grads = ctx.replayer.hand_out(ctx.replay, grad_output)
        return (None, None, *grads, *([None] * len(ctx.replay.params)))
