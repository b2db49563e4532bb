"""The example inputs of one forward: what the user gave (or the network's native input) made into tensors.

What ``analyze`` accepts as ``input_shape``, one rule for all of it:

- one input: a string ``"[NAME=]SHAPE[:DTYPE]"`` (``"3x224x224"``, ``"128:int64"``, ``"attention_mask=128:int64"``),
  a tuple or list of ints (one shape), or a tensor (exact: its shape and dtype as they are);
- several inputs: a tuple or list whose items are each one of those (a string, a tuple/list of ints, a tensor), in
  the order of ``forward``'s positional arguments (a ``NAME=`` string is a keyword argument);
- keyword inputs: a dict ``{name: one input}``.

A tuple of ints is one shape; a tuple whose items are strings, tuples or tensors is several inputs; a mix is refused.
Shapes follow :mod:`archcost.shapes`: three or fewer dimensions are per sample and get the batch prepended, four or
more are exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from archcost.errors import ArgumentTypeError, ShapeError, UsageError
from archcost.dtypes import INPUT_DTYPES, INTEGER_DTYPES, torch_dtype
from archcost.shapes import InputSpec, batched, check_dims, check_size, format_shape, is_dims, parse_input

TORCH_DTYPES: dict[str, torch.dtype] = {name: torch_dtype(name) for name in INPUT_DTYPES}
_NAMES = {v: k for k, v in TORCH_DTYPES.items()}


@dataclass(frozen=True)
class Example:
    """One input of ``forward``: its full shape (batch included), dtype, keyword name, and the user's tensor if any."""

    shape: tuple[int, ...]
    dtype: str
    name: str | None = None  # None: positional
    typed_dims: int | None = None  # how many dimensions the user typed (None: a tensor or the native input)
    tensor: torch.Tensor | None = None

    def describe(self) -> dict[str, Any]:
        return {"shape": list(self.shape), "dtype": self.dtype, "name": self.name}


def _one(value: Any, *, batch: int | None, dtype: str, name: str | None = None) -> Example:
    if isinstance(value, (str, InputSpec)):  # a spec: already parsed (archcost/request.py)
        spec = parse_input(value) if isinstance(value, str) else value
        if name is not None and spec.name is not None and spec.name != name:
            raise UsageError(f"input {value!r} is given as keyword {name!r} but names {spec.name!r}")
        return _from_spec(spec, batch=batch, dtype=dtype, name=name or spec.name)
    if isinstance(value, torch.Tensor):
        shape = tuple(value.shape)
        if batch is not None and (not shape or shape[0] != batch):
            raise ShapeError(f"the example tensor of shape {format_shape(shape)} has batch "
                             f"{shape[0] if shape else 'none'} but batch= says {batch}")
        if value.dtype not in _NAMES:
            raise UsageError(f"an example tensor of dtype {value.dtype} is not supported; use one of "
                             f"{', '.join(TORCH_DTYPES)}")
        return Example(shape, _NAMES[value.dtype], name, None, value)
    if is_dims(value):
        dims = check_dims(tuple(int(d) for d in value), what=format_shape(tuple(value)))
        return _from_spec(InputSpec(dims), batch=batch, dtype=dtype, name=name)
    raise ArgumentTypeError(f"input_shape takes a shape string, a tuple of ints or a tensor (or several of "
                            f"them in a list, tuple or dict); got {type(value).__name__} {value!r}")


def _from_spec(spec: InputSpec, *, batch: int | None, dtype: str, name: str | None) -> Example:
    return Example(spec.shape(batch), spec.dtype or dtype, name, len(spec.dims))


def from_user(value: Any, *, batch: int | None, dtype: str) -> list[Example]:
    """The examples ``value`` describes (see the module docstring for every accepted form)."""
    if isinstance(value, dict):
        items = [_one(v, batch=batch, dtype=dtype, name=_keyword(k)) for k, v in value.items()]
    elif isinstance(value, (tuple, list)) and not is_dims(value):
        if not value:
            raise UsageError("no inputs given: an empty sequence")
        if any(isinstance(v, int) for v in value):
            raise UsageError(f"{value!r} mixes ints with other inputs: a tuple of ints is one shape, a tuple of "
                             "strings, tuples or tensors is several inputs")
        items = [_one(v, batch=batch, dtype=dtype) for v in value]
    else:
        items = [_one(value, batch=batch, dtype=dtype)]
    names = [e.name for e in items if e.name is not None]
    if len(names) != len(set(names)):
        raise UsageError(f"keyword input given twice: {', '.join(sorted({n for n in names if names.count(n) > 1}))}")
    return items


def _keyword(key: Any) -> str:
    if not isinstance(key, str) or not key.isidentifier():
        raise UsageError(f"a keyword input's name must be an argument name, got {key!r}")
    return key


def native(shapes: tuple[tuple[int, ...], ...] | None, per_sample: tuple[int, ...] | None, *, batch: int | None,
           dtype: str) -> list[Example] | None:
    """The network's own input: full example shapes (``--batch`` replaces dim 0 of each) or a per-sample C,H,W."""
    if per_sample is not None:
        return [Example(batched(tuple(per_sample), batch=batch, what=format_shape(per_sample)), dtype)]
    if shapes:
        if batch is not None and batch <= 0:
            raise ShapeError(f"batch size must be at least 1, got {batch}")
        return [Example(check_size((batch or s[0], *s[1:]), what=format_shape(s)), dtype) for s in shapes]
    return None


def make(examples: list[Example], *, device: str, random: bool = False) -> tuple[list[Any], dict[str, Any]]:
    """Positional and keyword tensors on ``device``.

    On meta: shapes only. On a real device: the user's tensors as given, integer inputs zeros (valid indices for any
    embedding), float inputs zeros, or draws of the global RNG when ``random`` (the seeded CPU fallback)."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for example in examples:
        tensor = _tensor(example, device, random)
        if example.name is None:
            args.append(tensor)
        else:
            kwargs[example.name] = tensor
    return args, kwargs


def _tensor(example: Example, device: str, random: bool) -> torch.Tensor:
    given = example.tensor
    if given is not None:
        if device == "meta":
            return given if given.is_meta else torch.empty_like(given, device="meta")
        if given.device.type == device:
            return given
        if not given.is_meta:
            return given.to(device)  # a copy: the user's tensor stays where it is
    dtype = TORCH_DTYPES[example.dtype]
    if device == "meta":
        return torch.empty(example.shape, dtype=dtype, device="meta")
    if random and example.dtype not in INTEGER_DTYPES:
        return torch.randn(example.shape, dtype=dtype).to(device)
    return torch.zeros(example.shape, dtype=dtype, device=device)
