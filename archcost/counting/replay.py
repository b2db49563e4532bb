"""Replay of repeated blocks: a block whose structure and input metadata the tracer has seen is not run again.

On the meta device a forward sees only metadata (shapes, strides, dtypes) and the module's own state, so a block with
the same structural key (``counting/structure.py``) called on an input with the same metadata runs the same ops.
ResNet-1202 has 600 residual units in three shapes: the tracer runs three of them and copies the records of the
others, with their module indices shifted to the copy's subtree. Every figure is unchanged (tests compare replay
against a full run on every registry network); only the time spent re-deriving known ops goes.

**Only for archcost's own networks.** The tracer replays a model only when archcost built it from the registry, with
literal builder arguments, and no one else has held it (``Tracer(built_here=True)``); every other model (the user's,
torchvision's, timm's) runs every block. A key is computed before the forward and cannot see what the forward will
do to the state it read: a parent that sets a child's attribute before calling it, a stride changed at call time, or
blocks sharing a closure whose state changes per call all make equal keys run different ops (tests/test_replay.py
has one model of each, counted right because they are not replayed). archcost's blocks do none of these, and the
registry-wide test above is the proof for each of them; ``provenance["replay"]`` says whether a figure came from it.

A recording is kept only when the block behaved like a pure function of its inputs: every op and every module call
it caused stayed inside its own subtree, it returned one fresh tensor, the bytes it left alive are that tensor's, and
every module of the block holds the same objects after the call as before (a forward that counts its calls changes
its own state). Anything else (a block returning its input, a tuple, a module outside its subtree) runs every time.
"""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from archcost import torch_compat
from archcost.counting.records import OpRecord
from archcost.counting.structure import REPLAY_WRAPPER, StructuralKeys

if TYPE_CHECKING:
    from archcost.counting.tracer import Tracer

_SCALARS = (bool, int, float, str, type(None))


@dataclass(slots=True)
class _CallDelta:
    offset: int  # index in the subtree, named_modules order
    calls: int
    input_shape: tuple[int, ...] | None  # the first input seen, if the recorded call was the module's first
    output_shape: tuple[int, ...] | None
    output_elements: int
    output_bytes: int


@dataclass(slots=True)
class _Recording:
    records: list[tuple[int, OpRecord]]  # (offset in the subtree, record)
    calls: list[_CallDelta]
    uncounted: Counter[str]
    inner_peak_bytes: int  # live bytes above the call's start, at its peak
    output: tuple[tuple[int, ...], tuple[int, ...], torch.dtype]  # shape, stride, dtype


def _metadata(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        if type(value) is not torch.Tensor or not value.is_meta:
            raise TypeError  # a subclass or a real tensor could steer the forward by more than its metadata
        return (tuple(value.shape), value.stride(), value.dtype, torch_compat.is_view(value))
    if isinstance(value, _SCALARS):
        return (type(value), value)
    raise TypeError


def _signature(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...] | None:
    """The metadata a meta forward can see of its arguments, or None when an argument is of another kind."""
    try:
        return (tuple(_metadata(a) for a in args), tuple((k, _metadata(v)) for k, v in kwargs.items()))
    except TypeError:
        return None


def _state(modules: list[torch.nn.Module]) -> list[list[Any]]:
    """Every value the modules hold (attributes, parameters, buffers, children). The lists keep the objects alive,
    so an object rebound during the forward cannot reuse an old one's address: identity comparison is sound."""
    state = []
    for module in modules:
        held = module.__dict__
        state.append([*held.values(), *held["_parameters"].values(), *held["_buffers"].values(),
                      *held["_modules"].values()])
    return state


def _same(before: list[list[Any]], after: list[list[Any]]) -> bool:
    return all(len(a) == len(b) and all(map(operator.is_, a, b)) for a, b in zip(before, after))


class Replayer:
    """Wraps the forward of every repeated composite module of a traced model; see the module docstring."""

    def __init__(self, tracer: Tracer, structure: StructuralKeys) -> None:
        self.tracer = tracer
        self.structure = structure
        self.recordings: dict[tuple[int, Any], _Recording | None] = {}  # None: this block must always run

    def candidates(self) -> list[int]:
        """Indices of the modules worth wrapping: composite ones whose key occurs more than once."""
        keys, sizes = self.structure.keys, self.structure.sizes
        seen = Counter(k for k in keys if k is not None)
        return [i for i, k in enumerate(keys) if k is not None and seen[k] > 1 and sizes[i] > 1]

    def wrap(self, index: int, original: Callable[..., Any]) -> Callable[..., Any]:
        key = self.structure.keys[index]

        def forward(*args: Any, **kwargs: Any) -> Any:
            signature = _signature(args, kwargs)
            if signature is None:
                return original(*args, **kwargs)
            slot = (key, signature)
            if slot in self.recordings:
                recording = self.recordings[slot]
                if recording is None:
                    return original(*args, **kwargs)
                return self._replay(index, recording)
            return self._record(index, slot, original, args, kwargs)

        setattr(forward, REPLAY_WRAPPER, True)
        return forward

    def _record(self, index: int, slot: tuple[int, Any], original: Callable[..., Any], args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> Any:
        size = self.structure.sizes[index]
        before = begin(self.tracer, index, size)
        out = original(*args, **kwargs)
        recording, pure, live_delta = end(self.tracer, index, size, before, out, args)
        pure = pure and live_delta == out.numel() * out.element_size()  # nothing else left alive
        self.recordings[slot] = recording if pure else None
        return out

    def _replay(self, index: int, recording: _Recording) -> torch.Tensor:
        apply_forward(self.tracer, index, recording)
        out = stand_in(recording)
        self.tracer.track(out)
        return out


@dataclass(slots=True)
class Snapshot:
    """What a block's recording compares against: the trace as it was before the block ran."""

    state: list[list[Any]]
    calls: list[tuple[int, tuple[int, ...] | None, int, int]]
    first_record: int
    hook_calls: int
    uncounted: Counter[str]
    peak_before: int
    live_before: int


def begin(tracer: Tracer, index: int, size: int) -> Snapshot:
    """Note the trace before block ``index`` (``size`` modules) runs; its peak restarts from the live bytes now."""
    trace = tracer.trace
    subtree = trace.calls[index + 1:index + size]  # the module itself is counted by its own hooks
    snapshot = Snapshot(_state(tracer.modules[index:index + size]),
                        [(c.calls, c.input_shape, c.output_elements, c.output_bytes) for c in subtree],
                        len(trace.records), tracer.hook_calls, Counter(trace.uncounted), trace.peak_live_bytes,
                        tracer.live_bytes)
    trace.peak_live_bytes = tracer.live_bytes
    return snapshot


def end(tracer: Tracer, index: int, size: int, before: Snapshot, out: Any,
        args: tuple[Any, ...]) -> tuple[_Recording, bool, int]:
    """The recording of the block that ran since :func:`begin`, whether it behaved like a pure function of its inputs
    (all but what it left alive, which is the third value: live bytes now above those at the start)."""
    trace = tracer.trace
    inner_peak = trace.peak_live_bytes - before.live_before
    trace.peak_live_bytes = max(before.peak_before, trace.peak_live_bytes)
    records = trace.records[before.first_record:]
    deltas = []
    subtree = trace.calls[index + 1:index + size]
    for offset, (call, (calls, input_shape, elements, nbytes)) in enumerate(zip(subtree, before.calls), start=1):
        if call.calls != calls:
            deltas.append(_CallDelta(offset, call.calls - calls, call.input_shape if input_shape is None else None,
                                     call.output_shape, call.output_elements - elements, call.output_bytes - nbytes))
    pure = (
        type(out) is torch.Tensor and not torch_compat.is_view(out) and all(out is not a for a in args)
        and _same(before.state, _state(tracer.modules[index:index + size]))  # the forward changed no state
        and all(index <= r.module < index + size for r in records)
        and tracer.hook_calls - before.hook_calls == sum(d.calls for d in deltas)
    )
    recording = _Recording(
        records=[(r.module - index, r) for r in records], calls=deltas,
        uncounted=Counter(trace.uncounted) - before.uncounted, inner_peak_bytes=inner_peak,
        output=(tuple(out.shape), out.stride(), out.dtype) if isinstance(out, torch.Tensor) else ((), (), None),
    )
    return recording, pure, tracer.live_bytes - before.live_before


def apply_forward(tracer: Tracer, index: int, recording: _Recording) -> None:
    """Add a recorded block's ops, module calls, uncounted ops and peak to the trace, for the block at ``index``."""
    trace = tracer.trace
    trace.records.extend(OpRecord(index + offset, r.op, r.terms, r.bytes_in, r.bytes_out, r.shapes)
                         for offset, r in recording.records)
    calls = trace.calls
    for d in recording.calls:
        call = calls[index + d.offset]
        call.calls += d.calls
        if call.input_shape is None:
            call.input_shape = d.input_shape
        if d.output_shape is not None:
            call.output_shape = d.output_shape
        call.output_elements += d.output_elements
        call.output_bytes += d.output_bytes
        tracer.hook_calls += d.calls
    trace.uncounted.update(recording.uncounted)
    trace.peak_live_bytes = max(trace.peak_live_bytes, tracer.live_bytes + recording.inner_peak_bytes)
    trace.replayed_calls += 1


def stand_in(recording: _Recording) -> torch.Tensor:
    """A fresh meta tensor with the recorded output's metadata; not an op of the network, so not dispatched."""
    shape, stride, dtype = recording.output
    with torch_compat.disable_torch_dispatch():
        return torch.empty_strided(shape, stride, dtype=dtype, device="meta")
