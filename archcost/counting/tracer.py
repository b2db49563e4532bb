"""The counting engine: a ``TorchDispatchMode`` that sees every aten op, and a module stack that says whose op it is.

Functional calls (``torch.cat``, ``x + y``, ``F.adaptive_avg_pool2d``, SE scaling, highway gating) reach the
dispatcher like any layer, so they are counted and attributed to the innermost module whose forward is running.
A composite op reaches the mode already decomposed, and the mode runs ``func`` with itself disabled, so every op is
counted exactly once whatever the grad mode (no_grad, inference_mode).
"""

from __future__ import annotations

import gc
import sys
import weakref
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import torch

from archcost import torch_compat
from archcost.counting import meta_kernels
from archcost.counting.fast_paths import unfused
from archcost.counting.records import OpRecord
from archcost.counting.rules import RULES, STATISTICS_OUTPUT_OPS
from archcost.torch_compat import TorchDispatchMode


@dataclass(slots=True)
class ModuleCall:
    calls: int = 0
    input_shape: tuple[int, ...] | None = None
    output_shape: tuple[int, ...] | None = None
    output_elements: int = 0
    output_bytes: int = 0


@dataclass
class Failure:
    module: int
    op: str | None
    error: BaseException


def _tensor_bytes(value: Any) -> int:
    if isinstance(value, torch.Tensor):
        return value.numel() * value.element_size()
    if isinstance(value, (list, tuple)):
        return sum(_tensor_bytes(v) for v in value)
    return 0


def _bytes_and_shapes(args: tuple[Any, ...]) -> tuple[int, tuple[tuple[int, ...], ...]]:
    """Bytes read and the shapes of every tensor argument (cat's list included), in one pass."""
    total = 0
    shapes: list[tuple[int, ...]] = []
    for a in args:
        if isinstance(a, torch.Tensor):
            shapes.append(tuple(a.shape))
            total += a.numel() * a.element_size()
        elif isinstance(a, (list, tuple)):
            for t in a:
                if isinstance(t, torch.Tensor):
                    shapes.append(tuple(t.shape))
                    total += t.numel() * t.element_size()
    return total, tuple(shapes)


def _is_out_argument(tensor: torch.Tensor, out: Any) -> bool:
    if isinstance(out, (list, tuple)):
        return any(tensor is o for o in out)
    return tensor is out


def _first_tensor_in(value: Any) -> torch.Tensor | None:
    """The first tensor found depth-first in a nest of lists, tuples and dicts (a module's inputs or outputs)."""
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, (list, tuple)):
        for v in value:
            t = _first_tensor_in(v)
            if t is not None:
                return t
    if isinstance(value, dict):
        for v in value.values():
            t = _first_tensor_in(v)
            if t is not None:
                return t
    return None



def _record_output(call: ModuleCall, output: Any, *, accumulate: bool = False) -> None:
    """A call's output shape and size, from its first tensor; a module called again adds its outputs' sizes (the
    root is called once: its record is set)."""
    first = _first_tensor_in(output)
    if first is None:
        return
    numel = first.numel()
    call.output_shape = tuple(first.shape)
    if accumulate:
        call.output_elements += numel
        call.output_bytes += numel * first.element_size()
    else:
        call.output_elements, call.output_bytes = numel, numel * first.element_size()


def _collect_import_cycles() -> None:
    """An op's first call imported modules (torch's Python kernels import torch._dynamo lazily). The import leaves
    reference cycles through frames, and with the collector paused (gc_pause.py) those frames would keep the calling
    forward's temporaries alive: the first analysis in a process would show a higher peak than every later one.
    Collecting once, right after that op, frees them when the forward lets them go, as in a later analysis."""
    gc.collect()


@dataclass
class Trace:
    """What one forward pass cost, op by op and module by module."""

    records: list[OpRecord] = field(default_factory=list)
    calls: list[ModuleCall] = field(default_factory=list)
    uncounted: Counter[str] = field(default_factory=Counter)
    devices: set[str] = field(default_factory=set)
    peak_live_bytes: int = 0
    fast_paths: list[str] = field(default_factory=list)  # what counting/fast_paths.py turned off for the forward


class Tracer(TorchDispatchMode):
    """Counts every aten op of a forward pass and attributes it to the module stack.

    Use :meth:`run`: it installs forward hooks on ``modules`` (removed afterwards, also when the forward raises).
    """

    def __init__(self, modules: list[torch.nn.Module]) -> None:
        super().__init__()
        self.modules = modules
        self.trace = Trace(calls=[ModuleCall() for _ in modules])
        self.stack: list[int] = [0]
        self.failure: Failure | None = None
        self.live_bytes = 0
        # Keyed by the reference's id: a weakref hashes and compares as its tensor does, and tensor == tensor is
        # not a bool, so a tensor tracked twice must not meet itself as a key.
        self._pending: dict[int, tuple[weakref.ref, int]] = {}

    # -- memory estimate: bytes of op outputs still referenced ---------------------------------------------------
    def _released(self, ref: weakref.ref) -> None:
        entry = self._pending.pop(id(ref), None)
        if entry is not None:
            self.live_bytes -= entry[1]

    def track(self, tensor: torch.Tensor) -> None:
        """Count ``tensor`` as live until it is freed."""
        nbytes = tensor.numel() * tensor.element_size()
        self.live_bytes += nbytes
        # A weak reference with a callback is the cheapest way to hear when the tensor is freed.
        ref = weakref.ref(tensor, self._released)
        self._pending[id(ref)] = (ref, nbytes)
        self.trace.peak_live_bytes = max(self.trace.peak_live_bytes, self.live_bytes)

    def _allocated(self, out: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        tensors = out if isinstance(out, (tuple, list)) else (out,)
        for t in tensors:
            if not isinstance(t, torch.Tensor) or torch_compat.is_view(t):
                continue  # a view allocates nothing new
            if any(t is a for a in args) or (kwargs and _is_out_argument(t, kwargs.get("out"))):
                continue  # neither does an in-place result, nor one written into out= (already counted live)
            self.track(t)

    def __torch_dispatch__(self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        name = func.overloadpacket.__name__
        rule = RULES.get(name)
        if rule is None:
            # Under inference_mode composite ops (conv2d, linear, batch_norm) reach the mode whole. Decomposing them
            # with the mode re-entered lets their parts be counted, once each, by the rules that know them.
            with self:
                out = func.decompose(*args, **kwargs)
            if out is not NotImplemented:
                return out
        modules_before = len(sys.modules)
        try:
            # An out= call writes into the tensor it is given: the shape-only kernels build a new one instead.
            out = meta_kernels.run(name, args, kwargs) if "out" not in kwargs else None
            if out is None:
                out = func(*args, **kwargs)
            if len(sys.modules) != modules_before:
                _collect_import_cycles()
        except Exception as error:
            if self.failure is None:
                self.failure = Failure(self.stack[-1], name, error)
            raise
        if rule is None:
            terms = None
            self.trace.uncounted[name] += 1
        else:
            terms = rule(args, kwargs, out)
        first = _first_tensor_in(out)
        if first is not None:
            self.trace.devices.add(first.device.type)
        if name in STATISTICS_OUTPUT_OPS:
            out_counted: Any = first
        else:
            out_counted = out
        bytes_in, shapes = _bytes_and_shapes(args)
        self.trace.records.append(OpRecord(self.stack[-1], name, terms, bytes_in, _tensor_bytes(out_counted), shapes))
        self._allocated(out_counted, args, kwargs)
        return out

    def run(self, forward: Any, /, *args: Any, **kwargs: Any) -> Trace:
        """Run ``forward(*args, **kwargs)`` under the mode; hooks are always removed, even if the forward raises.
        The root's input shape is the first input tensor's; every input tensor counts as live from the start.

        Two global module hooks (filtered to this model's modules) cost far less than two hooks per module on deep
        networks: ResNet-1202 has 5,410 modules.
        """
        from torch.nn.modules.module import (
            register_module_forward_hook,
            register_module_forward_pre_hook,
        )

        pre_hook, post_hook = self._module_hooks()
        handles = []
        try:
            handles.append(register_module_forward_pre_hook(pre_hook))
            handles.append(register_module_forward_hook(post_hook))
            tensors = [t for t in (*args, *kwargs.values()) if isinstance(t, torch.Tensor)]
            root = self.trace.calls[0]
            root.calls, root.input_shape = 1, tuple(tensors[0].shape) if tensors else None
            self.live_bytes = sum(t.numel() * t.element_size() for t in tensors)
            self.trace.peak_live_bytes = self.live_bytes
            with unfused(self.trace.fast_paths), self:
                try:
                    output = forward(*args, **kwargs)
                except Exception as error:
                    if self.failure is None:
                        self.failure = Failure(self.stack[-1], None, error)
                    raise
            _record_output(root, output)
            return self.trace
        finally:
            for handle in handles:
                handle.remove()
            # The weak references' callbacks point back at this tracer, which holds the model: left in place,
            # those cycles keep every module alive until a full garbage collection walks them.
            self._pending.clear()

    def _module_hooks(self) -> tuple[Any, Any]:
        """The global pre- and post-forward hooks: they keep the module stack and each module's call record."""
        index = {id(m): i for i, m in enumerate(self.modules)}
        index.pop(id(self.modules[0]), None)  # the root's call is recorded around the whole forward in run()
        calls = self.trace.calls
        stack = self.stack

        def pre_hook(module: torch.nn.Module, inputs: tuple[Any, ...]) -> None:
            i = index.get(id(module))
            if i is None:
                return
            stack.append(i)
            call = calls[i]
            call.calls += 1
            if call.input_shape is None:
                first = _first_tensor_in(inputs)
                call.input_shape = tuple(first.shape) if first is not None else None

        def post_hook(module: torch.nn.Module, inputs: tuple[Any, ...], output: Any) -> None:
            i = index.get(id(module))
            if i is None:
                return
            stack.pop()
            _record_output(calls[i], output, accumulate=True)

        return pre_hook, post_hook


torch_compat.never_compiled(Tracer)  # see the adapter: spares a cold start the import of torch._dynamo
