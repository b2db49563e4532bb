"""``repeat``: the n identical blocks of a stage, built once and copied on meta.

Building an ``nn.Module`` runs a good deal of Python per parameter (registration, the device context, init), about
1.5 ms per residual unit; ResNet-1202 has 600 units. On the meta device a block holds no values, so a copy with fresh
meta tensors is the same module: same class, attributes and parameter shapes, distinct parameter objects, empty hook
tables. It costs a fraction of a build. On a real device every block is built (and initialised) by its own call, so
blocks never share initial weights.

Given a ``key`` (every argument the block's constructor takes), the first block is itself a copy of a private
template kept for the process: ResNet-20 to ResNet-1202 share their units, ResNet-50/101/152 their bottlenecks, and
an analysis of the zoo builds each of those once.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

import torch
from torch import nn

# COPIED_FROM is the counting side's registry of copies (the tracer reads it; the engine never imports blocks/).
from archcost import cache, torch_compat
from archcost.counting.structure import COPIED_FROM, StructuralKeys

M = TypeVar("M", bound=nn.Module)

_COPY_ON_META: ContextVar[bool] = ContextVar("archcost_copy_on_meta", default=True)


@contextmanager
def build_every_block() -> Iterator[None]:
    """Build every repeated block by its own constructor call (tests compare this against the copies)."""
    token = _COPY_ON_META.set(False)
    try:
        yield
    finally:
        _COPY_ON_META.reset(token)


def repeat(make: Callable[[], M], count: int, *, key: Hashable | None = None) -> list[M]:
    """``[make() for _ in range(count)]``, with meta blocks after the first copied from it, and the first copied from
    the template of an earlier call with the same ``key``, which must name everything ``make`` builds from."""
    if count <= 0:
        return []
    copying = _COPY_ON_META.get()
    cached = key is not None and copying and torch.get_default_device().type == "meta"
    if cached:
        key = cache.template_key(key, torch.get_default_dtype())
    # Private templates (never handed out, so never changed), in the process store of archcost/cache.py.
    template = cache.template(key) if cached else None
    if template is not None:
        first = _meta_copy(template)
    else:
        first = make()
        if not copying or not _copyable(first):
            return [first, *(make() for _ in range(count - 1))]
        if cached:
            cache.keep_template(key, _meta_copy(first))
    copies = [_meta_copy(first) for _ in range(count - 1)]
    for copy in copies:
        COPIED_FROM[copy] = first
    return [first, *copies]


def _copyable(module: nn.Module) -> bool:
    """A module is copied only when its whole state is known: a structural key (meta tensors, no hooks, immutable
    attributes) and tensors of the plain kinds the copy recreates."""
    if StructuralKeys([module]).keys[0] is None:
        return False
    for m in module.modules():
        if any(p is not None and type(p) is not nn.Parameter for p in m._parameters.values()):
            return False
        if any(b is not None and type(b) is not torch.Tensor for b in m._buffers.values()):
            return False
    return True


# The per-module tables (hooks, the non-persistent buffer set) every copy needs its own of.
_TABLES = tuple(name for name, value in nn.Module().__dict__.items()
                if isinstance(value, (dict, set)) and name not in ("_parameters", "_buffers", "_modules"))


_META = torch.device("meta")
_empty, _make_subclass = torch.empty, torch_compat.make_subclass


def _meta_copy(module: M) -> M:
    # No device context or other torch-function mode is needed to make a meta tensor: skipping them halves the cost.
    with torch_compat.disable_torch_function():
        return _copy(module)


def _copy(module: M) -> M:
    copy = object.__new__(type(module))
    state, source = copy.__dict__, module.__dict__
    state.update(source)  # same attributes in the same order (structural keys read them in order)
    for name in _TABLES:
        state[name] = source[name].copy()
    # What nn.Parameter(tensor, requires_grad) does for a plain tensor, without its Python __new__.
    state["_parameters"] = {k: None if p is None else _make_subclass(
        nn.Parameter, _empty(p.shape, dtype=p.dtype, device=_META), p.requires_grad)
        for k, p in source["_parameters"].items()}
    state["_buffers"] = {k: None if b is None else _empty(b.shape, dtype=b.dtype, device=_META)
                         for k, b in source["_buffers"].items()}
    state["_modules"] = {k: None if c is None else _copy(c) for k, c in source["_modules"].items()}
    return copy
