"""The model guard: an analysis leaves the caller's model exactly as it found it, on any device, also on error.

``model_guard(modules, device=...)`` is entered around the traced forward. It undoes three kinds of change:

- **Meta stand-ins.** A model holding real tensors analysed on meta runs with each parameter and buffer swapped, in
  its module's ``_parameters``/``_buffers``, for a meta tensor of the same metadata: one stand-in per tensor object,
  so a module registered under two names and a weight tied between modules stay one tensor. (``functional_call``
  swaps by name and leaves an alias holding the stand-in afterwards.)
- **Attributes.** Every module's ``__dict__`` is snapshotted by reference, and so are the contents of the dicts,
  lists and sets it holds (the parameter, buffer, child and hook tables included): whatever the forward added,
  replaced or deleted is put back, so a tensor a forward caches in an attribute (torchvision's ``AnchorGenerator``
  keeps its anchors on the input's device) does not outlive the call. Objects deeper than that are not inspected.
- **Values.** On a real device a forward can write into a parameter or buffer in place (a running statistic, a
  step counter, ``out=`` aimed at a weight). A dispatch mode below the tracer copies a tensor the first time an op is
  about to write into its storage and copies the values back afterwards. Copy on first write rather than cloning
  every buffer up front: the memory cost is bounded by the tensors actually written, which is nothing for almost
  every model and never more than one extra copy of the model, and a model with large buffers pays nothing to be
  read. ``requires_grad`` of each parameter and buffer is restored too (``requires_grad_`` is not an aten op). So is
  its autograd version counter, which the forward's writes and the copy back both bump (a meta tensor's writes too):
  a graph the caller built with the parameter before the analysis compares it with the version it saved, and would
  refuse to run backward although the values are the same again.

Writes the dispatcher never sees (``tensor.numpy()[...] = ...``, ``param.data = other``) are beyond this guard.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

from archcost import torch_compat
from archcost.torch_compat import TorchDispatchMode

_CONTAINERS = (dict, list, set)
_MISSING = object()


def _held_tensors(modules: list[nn.Module]) -> list[torch.Tensor]:
    """Every parameter and buffer object, once each (aliases and tied weights are one object)."""
    seen: dict[int, torch.Tensor] = {}
    for module in modules:
        state = module.__dict__
        for table in (state["_parameters"], state["_buffers"]):
            for tensor in table.values():
                if tensor is not None:
                    seen.setdefault(id(tensor), tensor)
    return list(seen.values())


class _Snapshot:
    """Module attributes by reference, and the contents of the containers they hold, to put back afterwards.

    Built for deep models (a 5,000-module network has 80,000 hook and state tables, nearly all empty): C-level copies
    and comparisons, and an empty container costs one truth test."""

    def __init__(self, modules: list[nn.Module]) -> None:
        self.states = [(m.__dict__, m.__dict__.copy()) for m in modules]
        seen: set[int] = set()
        self.empty: list[Any] = []
        self.filled: list[tuple[Any, Any]] = []
        for _, saved in self.states:
            for value in saved.values():
                if isinstance(value, _CONTAINERS) and id(value) not in seen:
                    seen.add(id(value))
                    if value:
                        self.filled.append((value, _copy(value)))
                    else:
                        self.empty.append(value)

    def restore(self) -> None:
        for state, saved in self.states:
            if state.keys() != saved.keys() or not all(map(operator.is_, state.values(), saved.values())):
                state.clear()
                state.update(saved)  # in the old order: structural keys and named_modules read it in order
        for container in self.empty:
            if container:
                container.clear()
        for container, saved in self.filled:
            if not _same_contents(container, saved):
                _put_back(container, saved)


def _copy(container: Any) -> Any:
    if isinstance(container, dict):
        return (list(container), list(container.values()))  # order is part of a dict's state
    if isinstance(container, list):
        return list(container)
    return set(container)


def _same_contents(container: Any, saved: Any) -> bool:
    if isinstance(container, dict):
        keys, values = saved
        return (len(container) == len(keys) and all(map(operator.is_, container, keys))
                and all(map(operator.is_, container.values(), values)))
    if isinstance(container, list):
        return len(container) == len(saved) and all(map(operator.is_, container, saved))
    return container == saved


def _put_back(container: Any, saved: Any) -> None:
    if isinstance(container, dict):
        container.clear()
        container.update(zip(*saved))
    elif isinstance(container, list):
        container[:] = saved
    else:
        container.clear()
        container.update(saved)


def _meta_like(tensor: torch.Tensor) -> torch.Tensor:
    stand_in = torch.empty_like(tensor, device="meta")
    if isinstance(tensor, nn.Parameter):
        return nn.Parameter(stand_in, tensor.requires_grad)  # the forward sees a parameter, trainable or frozen
    return stand_in.requires_grad_(tensor.requires_grad)


def _swap_for_meta(modules: list[nn.Module]) -> None:
    """Replace every real parameter and buffer by a meta stand-in, one per tensor object (the snapshot restores)."""
    stand_ins: dict[int, torch.Tensor] = {}
    for module in modules:
        state = module.__dict__
        for table in (state["_parameters"], state["_buffers"]):
            for name, tensor in table.items():
                if tensor is None or tensor.is_meta:
                    continue
                stand_in = stand_ins.get(id(tensor))
                if stand_in is None:
                    stand_in = stand_ins[id(tensor)] = _meta_like(tensor)
                table[name] = stand_in


_WRITTEN: dict[Any, tuple[tuple[int, str], ...]] = {}  # op overload -> (position, name) of each argument it writes


def _written_arguments(func: Any) -> tuple[tuple[int, str], ...]:
    written = _WRITTEN.get(func)
    if written is None:
        written = _WRITTEN[func] = tuple(
            (i, a.name) for i, a in enumerate(torch_compat.argument_schema(func))
            if a.alias_info is not None and a.alias_info.is_write)
    return written


def _storage(tensor: torch.Tensor) -> int:
    return tensor.untyped_storage().data_ptr()


class _CopyOnWrite(TorchDispatchMode):
    """Keeps a copy of each protected tensor an op is about to write into (through any view of its storage)."""

    def __init__(self, tensors: list[torch.Tensor]) -> None:
        super().__init__()
        self.by_storage: dict[int, list[torch.Tensor]] = {}
        for tensor in tensors:
            if tensor.numel() and not tensor.is_meta:
                self.by_storage.setdefault(_storage(tensor), []).append(tensor)
        self.saved: list[tuple[torch.Tensor, torch.Tensor]] = []  # (original, copy of its values before the write)

    def __torch_dispatch__(self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        for position, name in _written_arguments(func):
            target = args[position] if position < len(args) else kwargs.get(name)
            for tensor in target if isinstance(target, (list, tuple)) else (target,):
                if isinstance(tensor, torch.Tensor) and self.by_storage and not tensor.is_meta:
                    self._save(_storage(tensor))
        return func(*args, **kwargs)

    def _save(self, storage: int) -> None:
        for original in self.by_storage.pop(storage, ()):
            self.saved.append((original, original.detach().clone()))

    def restore(self) -> None:
        with torch.no_grad():
            for original, values in reversed(self.saved):
                original.copy_(values)


@contextmanager
def model_guard(modules: list[nn.Module], *, device: str, owned: bool = False,
                watch_writes: bool = True) -> Iterator[None]:
    """Run the body with ``modules`` (``named_modules`` order, the root first) protected; see the module docstring.

    ``device`` is where the analysis runs: on ``"meta"`` real tensors are swapped for stand-ins, elsewhere writes
    into them are undone. ``owned``: the model was built for this analysis alone and no one else will see it (a
    registry network built by ``analyze(name)``), so there is nothing to protect and nothing is done: the zoo's
    analyses do not pay for it. ``watch_writes=False`` leaves out the write watch (a body that traces with the JIT)."""
    if owned:
        yield
        return
    tensors = _held_tensors(modules)
    trainable = [t.requires_grad for t in tensors]
    versions = [torch_compat.version(t) for t in tensors]
    snapshot = _Snapshot(modules)
    watch = _CopyOnWrite(tensors) if device != "meta" and watch_writes else None
    try:
        if watch is None:
            if device == "meta":
                _swap_for_meta(modules)
            yield
        else:
            with watch:
                yield
    finally:
        if watch is not None:
            watch.restore()  # after the mode is left: copying back is not an op of the forward
        snapshot.restore()
        restored = {id(original) for original, _ in watch.saved} if watch is not None else set()
        for tensor, flag, version in zip(tensors, trainable, versions):
            if tensor.requires_grad != flag:
                tensor.requires_grad_(flag)
            # Only where the values are the old ones again (copied back, or a meta tensor's, which has none): a graph
            # must keep refusing a tensor whose values a write left changed (watch_writes=False).
            if torch_compat.version(tensor) != version and (id(tensor) in restored or tensor.is_meta):
                torch_compat.set_version(tensor, version)


torch_compat.never_compiled(_CopyOnWrite)  # as in counting/tracer.py
