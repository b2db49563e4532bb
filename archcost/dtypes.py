"""The element types archcost names: one torch-free enumeration for the command line, the library and bench.

:class:`Dtype` is what a model is analysed, trained or timed in (``archcost table --dtype``, ``analyze(dtype=)``,
``archcost bench --dtype``); an input may also carry integers (token ids: ``128:int64``), so the input dtypes are
these and :data:`INTEGER_DTYPES`. Torch is imported only by :func:`torch_dtype`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


class Dtype(StrEnum):
    """A model's floating element type: weights, activations, gradients."""

    FLOAT32 = "float32"
    FLOAT16 = "float16"
    BFLOAT16 = "bfloat16"
    FLOAT64 = "float64"


INTEGER_DTYPES: tuple[str, ...] = ("int64", "int32", "int16", "int8", "uint8", "bool")
INPUT_DTYPES: tuple[str, ...] = (*(d.value for d in Dtype), *INTEGER_DTYPES)  # what ``--input 128:NAME`` takes


def torch_dtype(name: str) -> torch.dtype:
    """The torch dtype an archcost dtype name stands for (every name is torch's own)."""
    import torch

    found = getattr(torch, name) if name in INPUT_DTYPES else None
    if not isinstance(found, torch.dtype):
        raise ValueError(f"unknown dtype {name!r}")
    return found
