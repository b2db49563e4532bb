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
import weakref
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

# Attributes every nn.Module carries (hook tables, parameter and buffer dictionaries): read separately below.
_MODULE_INTERNALS = frozenset(nn.Module().__dict__)
_HOOK_TABLES = tuple(name for name in _MODULE_INTERNALS if "hook" in name and name != "_is_full_backward_hook")
# Values hashed as they are; their types go into the key beside them, since 1, 1.0 and True compare equal.
_SCALARS = frozenset((bool, int, float, complex, str, bytes, type(None), torch.dtype, torch.device,
                      torch.memory_format))
_FUNCTIONS = (types.FunctionType, types.BuiltinFunctionType, types.MethodWrapperType, type)


# copy -> the module it was copied from, filled by whoever copies modules on meta (blocks/repeat.py). The registry
# lives here, on the counting side, so that the tracer reads it without importing the zoo's block code: a model no
# one has touched since it was built can take a copy's key from its template instead of recomputing it.
COPIED_FROM: weakref.WeakKeyDictionary[nn.Module, nn.Module] = weakref.WeakKeyDictionary()


class _Unkeyable(Exception):
    """The attribute's value could change what the forward does in a way the key cannot see."""


def _frozen(value: Any) -> Any:
    kind = type(value)
    if kind in _SCALARS:
        return (kind, value)
    if kind is tuple:  # kernel sizes, strides, paddings
        kinds = tuple(map(type, value))
        if _SCALARS.issuperset(kinds):
            return (value, kinds)
        return (kind, tuple(map(_frozen, value)))
    if isinstance(value, tuple):  # torch.Size, named tuples
        return (kind, tuple(map(_frozen, value)))
    if isinstance(value, enum.Enum):
        return (kind, value.value)
    if isinstance(value, _FUNCTIONS):
        return value  # an activation function held as an attribute: the same object is the same computation
    raise _Unkeyable(kind.__name__)


_own_names_cache: dict[tuple[str, ...], tuple[str, ...]] = {}
REPLAY_WRAPPER = "_archcost_replay_wrapper"  # marks the forward counting/replay.py puts on a module during a trace


def _attributes(state: dict[str, Any]) -> tuple[Any, ...]:
    """The module's own attributes (not nn.Module's tables), in insertion order: two modules built by the same code
    list them in the same order."""
    layout = tuple(state)
    names = _own_names_cache.get(layout)
    if names is None:
        names = _own_names_cache.setdefault(layout, tuple(n for n in layout if n not in _MODULE_INTERNALS))
    if getattr(state.get("forward"), REPLAY_WRAPPER, False):  # the tracer's own wrapper is not the module's state
        names = tuple(n for n in names if n != "forward")
    values = tuple(map(state.__getitem__, names))
    kinds = tuple(map(type, values))
    if _SCALARS.issuperset(kinds):  # the common case, without a Python call per value
        return (names, values, kinds)
    return (names, tuple(map(_frozen, values)))


class StructuralKeys:
    """Interned keys (small ints) and subtree sizes of a model's modules, in ``named_modules`` order."""

    def __init__(self, modules: list[nn.Module], *, copied_from: Mapping[nn.Module, nn.Module] | None = None) -> None:
        """``copied_from`` maps a module to the one it is an untouched copy of (``blocks/repeat.py``): the copy's
        subtree then takes the original's keys, module by module, without reading its state again. Pass it only for
        a model no one could have changed since it was built."""
        self._table: dict[tuple[Any, ...], int] = {}
        self._known: dict[int, tuple[int | None, int]] = {}  # id(module) -> (key, subtree size)
        self._copied_from = copied_from
        known = [self._key(m) for m in modules]
        self.keys: list[int | None] = [key for key, _ in known]
        self.sizes: list[int] = [size for _, size in known]
        # Replay maps a subtree to another by offset in named_modules order, which holds only when no module
        # instance appears twice (named_modules lists a shared module once).
        self.tree_is_plain = bool(modules) and self.sizes[0] == len(modules)

    def _key(self, module: nn.Module) -> tuple[int | None, int]:
        known = self._known.get(id(module))
        if known is None:
            original = self._copied_from.get(module) if self._copied_from is not None else None
            if original is not None:
                known = self._key(original)
                pairs = [(original, module)]
                while pairs:  # the two subtrees in step, without named_modules' generators
                    o, c = pairs.pop()
                    if o is not None:
                        self._known[id(c)] = self._known[id(o)]
                    pairs.extend(zip(o.__dict__["_modules"].values(), c.__dict__["_modules"].values()))
            else:
                known = self._known[id(module)] = self._compute(module)
        return known

    def _compute(self, module: nn.Module) -> tuple[int | None, int]:
        state = module.__dict__
        size, children, keyable = 1, [], True
        for name, child in state["_modules"].items():
            if child is None:
                continue
            child_key, child_size = self._key(child)
            size += child_size
            keyable = keyable and child_key is not None
            children.append((name, child_key))
        if not keyable or any(map(state.get, _HOOK_TABLES)):
            return None, size
        try:
            attributes = _attributes(state)
        except _Unkeyable:
            return None, size
        tensors = []
        non_persistent = state["_non_persistent_buffers_set"]
        for kind in ("_parameters", "_buffers"):
            for name, tensor in state[kind].items():
                if tensor is None:
                    tensors.append((kind, name, None))
                elif not tensor.is_meta:
                    return None, size  # real values could steer a forward (data-dependent control flow)
                else:
                    tensors.append((kind, name, type(tensor), tensor.shape, tensor.dtype, tensor.requires_grad,
                                    name in non_persistent))
        full = (type(module), module.training, attributes, tuple(tensors), tuple(children))
        return self._table.setdefault(full, len(self._table)), size
