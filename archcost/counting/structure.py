"""Structural keys: two modules with the same key are the same computation, up to the values in their tensors.

The key covers the module's class, every plain attribute (kernel sizes, strides, flags, scaling factors), the name,
shape, dtype and trainability of every parameter and buffer, and its children's keys. On the meta device a tensor
holds no values, so two modules with equal keys, given inputs with equal metadata, run the same aten ops on the same
shapes: the tracer counts the first and replays it for the others (see ``counting/replay.py``).

A module whose state cannot be pinned down (a hook, a list or dict attribute, a tensor that is neither parameter nor
buffer, an object of unknown kind) gets no key, and neither does any module above it: it always runs.
"""

from __future__ import annotations

import enum
import types
from typing import Any

import torch
from torch import nn

# Attributes every nn.Module carries (hook tables, parameter and buffer dictionaries): read separately below.
_MODULE_INTERNALS = frozenset(nn.Module().__dict__)
_HOOK_TABLES = tuple(name for name in _MODULE_INTERNALS if "hook" in name and name != "_is_full_backward_hook")
_PLAIN = frozenset((int, str, type(None)))  # no two values of these types compare equal across types
_SCALARS = (bool, int, float, complex, str, bytes, type(None), torch.dtype, torch.device, torch.memory_format)
_FUNCTIONS = (types.FunctionType, types.BuiltinFunctionType, types.MethodWrapperType, type)


class _Unkeyable(Exception):
    """The attribute's value could change what the forward does in a way the key cannot see."""


def _frozen(value: Any) -> Any:
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is tuple and all(type(v) is int for v in value):
        return value  # kernel sizes, strides, paddings
    if isinstance(value, _SCALARS):
        return (type(value), value)  # 1, 1.0 and True are equal in Python but not in a forward
    if isinstance(value, tuple):  # torch.Size included
        return tuple(_frozen(v) for v in value)
    if isinstance(value, enum.Enum):
        return (type(value), value.value)
    if isinstance(value, _FUNCTIONS):
        return value  # an activation function held as an attribute: the same object is the same computation
    raise _Unkeyable(type(value).__name__)


class StructuralKeys:
    """Interned keys (small ints) and subtree sizes of a model's modules, in ``named_modules`` order."""

    def __init__(self, modules: list[nn.Module]) -> None:
        self._table: dict[tuple[Any, ...], int] = {}
        self._by_module: dict[int, int | None] = {}
        self._size: dict[int, int] = {}
        self.keys: list[int | None] = [self._key(m) for m in modules] if modules else []
        self.sizes: list[int] = [self._size[id(m)] for m in modules]
        # Replay maps a subtree to another by offset in named_modules order, which holds only when no module
        # instance appears twice (named_modules lists a shared module once).
        self.tree_is_plain = bool(modules) and self.sizes[0] == len(modules)

    def _key(self, module: nn.Module) -> int | None:
        known = self._by_module.get(id(module), -1)
        if known != -1:
            return known
        key, size = self._compute(module)
        self._by_module[id(module)] = key
        self._size[id(module)] = size
        return key

    def _compute(self, module: nn.Module) -> tuple[int | None, int]:
        state = module.__dict__
        size, children, keyable = 1, [], True
        for name, child in state["_modules"].items():
            if child is None:
                continue
            child_key = self._key(child)
            size += self._size[id(child)]
            keyable = keyable and child_key is not None
            children.append((name, child_key))
        if not keyable:
            return None, size
        for table in _HOOK_TABLES:
            if state.get(table):
                return None, size
        try:
            # In insertion order: two modules built by the same code list their attributes in the same order.
            attributes = tuple([(name, _frozen(value)) for name, value in state.items()
                                if name not in _MODULE_INTERNALS])
        except _Unkeyable:
            return None, size
        tensors = []
        for kind in ("_parameters", "_buffers"):
            for name, tensor in state[kind].items():
                if tensor is None:
                    tensors.append((kind, name, None))
                elif not tensor.is_meta:
                    return None, size  # real values could steer a forward (data-dependent control flow)
                else:
                    tensors.append((kind, name, type(tensor), tuple(tensor.shape), tensor.dtype,
                                    tensor.requires_grad, name in state["_non_persistent_buffers_set"]))
        full = (type(module), module.training, attributes, tuple(tensors), tuple(children))
        return self._table.setdefault(full, len(self._table)), size
