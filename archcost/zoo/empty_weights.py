"""Ways to build a model without its weights, from the cheapest to the most forgiving.

- ``meta_device()``: the whole build runs inside ``with torch.device("meta")``. Nothing is allocated, not even
  briefly, but every tensor the builder makes is a meta tensor, so a builder that computes with tensors and reads a
  value back (``torch.tensor(...).tolist()``, torchvision's RegNet stage widths) fails.
- ``registered_on_meta()``: the "empty weights" technique. Tensors are made on the CPU as usual and each parameter
  and buffer moves to meta the moment a module registers it, so a builder's own arithmetic keeps real values. A
  parameter exists on the CPU between ``torch.empty`` and its registration (uninitialised memory, never touched).
- ``cpu_build()``: a plain CPU build (initialisers run on real tensors; the analysis then runs through meta
  stand-ins of the model's tensors), for builders that need more than their own arithmetic on CPU.

No initialiser is patched on any path: on meta they write nothing and cost little, and patching ``torch.nn.init``
for the length of a build would silence it in every other thread as well.
"""

from __future__ import annotations

import weakref
from contextlib import contextmanager
from typing import Any, Iterator


@contextmanager
def meta_device() -> Iterator[None]:
    import torch

    with torch.device("meta"):
        yield


# id(tensor) -> (a weak reference to it, its meta twin). Not a WeakKeyDictionary: that compares keys with ``==``,
# which a tensor answers elementwise. The weak reference tells a live tensor from a new one that reuses a freed id.
Moved = dict[int, tuple["weakref.ref[Any]", Any]]


def _on_meta(tensor: Any, moved: Moved) -> Any:
    """The meta twin of ``tensor`` (the same one each time, so a tensor registered twice stays shared)."""
    import torch
    from torch.nn.parameter import UninitializedTensorMixin  # type: ignore[attr-defined]  # not in parameter.pyi

    from archcost.torch_compat import make_subclass

    if tensor is None or tensor.is_meta or isinstance(tensor, UninitializedTensorMixin):
        return tensor  # lazy modules' placeholders have no shape to give a meta tensor
    known = moved.get(id(tensor))
    twin = known[1] if known is not None and known[0]() is tensor else None
    if twin is None:
        empty = torch.empty(tensor.shape, dtype=tensor.dtype, device="meta")
        if isinstance(tensor, torch.nn.Parameter):
            # make_subclass keeps the parameter's class (and its attributes) without calling its constructor.
            twin = make_subclass(type(tensor), empty, tensor.requires_grad)
            twin.__dict__.update(tensor.__dict__)
        else:
            twin = empty if type(tensor) is torch.Tensor else tensor.to("meta")
        moved[id(tensor)] = (weakref.ref(tensor), twin)
    return twin


@contextmanager
def registered_on_meta() -> Iterator[None]:
    """Move every parameter and buffer to meta as a module registers it (``nn.Module.__setattr__`` goes through
    ``register_parameter``/``register_buffer``); :func:`sweep_to_meta` catches what a builder put in the tables
    directly."""
    from torch import nn

    register_parameter, register_buffer = nn.Module.register_parameter, nn.Module.register_buffer
    moved: Moved = {}

    def register_parameter_on_meta(module: nn.Module, name: str, param: Any) -> None:
        register_parameter(module, name, param)
        if name in module._parameters:
            module._parameters[name] = _on_meta(module._parameters[name], moved)

    def register_buffer_on_meta(module: nn.Module, name: str, tensor: Any, persistent: bool = True) -> None:
        register_buffer(module, name, tensor, persistent)
        if name in module._buffers:
            module._buffers[name] = _on_meta(module._buffers[name], moved)

    nn.Module.register_parameter = register_parameter_on_meta  # type: ignore[method-assign,assignment]
    nn.Module.register_buffer = register_buffer_on_meta  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        nn.Module.register_parameter = register_parameter  # type: ignore[method-assign]
        nn.Module.register_buffer = register_buffer  # type: ignore[method-assign]


def sweep_to_meta(model: Any) -> None:
    """Move what is still on a real device to meta (tensors a builder wrote into ``_parameters``/``_buffers``
    itself). Shared tensors stay shared."""
    moved: Moved = {}
    for module in model.modules():
        for table in (module._parameters, module._buffers):
            for name, tensor in table.items():
                if tensor is not None and not tensor.is_meta:
                    table[name] = _on_meta(tensor, moved)


@contextmanager
def cpu_build() -> Iterator[None]:
    """A CPU build, whatever device the caller set as default."""
    import torch

    with torch.device("cpu"):
        yield
