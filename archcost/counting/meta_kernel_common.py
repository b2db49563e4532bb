"""Helpers shared by the shape-only meta kernels (meta_kernels.py for inference ops, meta_kernels_train.py for the
training step's ops): building an empty meta tensor of a known layout, and the checks that decide when to fall back."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from archcost.shapes import pool_output_size

MetaKernel = Callable[[Sequence[Any], dict[str, Any]], Any]


def all_meta(args: Sequence[Any]) -> bool:
    """True when every tensor argument, inside lists too (cat), is on meta; and there is at least one."""
    seen = False
    for a in args:
        for t in (a if isinstance(a, (list, tuple)) else (a,)):
            if isinstance(t, torch.Tensor):
                if not t.is_meta:
                    return False
                seen = True
    return seen


def all_floating(args: Sequence[Any]) -> bool:
    """True when every tensor argument, inside lists too, is real floating point and no number is complex."""
    for a in args:
        for t in (a if isinstance(a, (list, tuple)) else (a,)):
            if isinstance(t, torch.Tensor):
                if not t.is_floating_point():
                    return False
            elif isinstance(t, complex):
                return False
    return True


def like(x: torch.Tensor, dtype: torch.dtype | None = None) -> torch.Tensor:
    # empty_strided keeps the layout (channels-last included) and is ten times cheaper than empty_like on meta.
    return torch.empty_strided(x.shape, x.stride(), dtype=dtype or x.dtype, device="meta")


def is_dense(x: torch.Tensor) -> bool:
    """Exactly the strides torch gives a new contiguous or channels-last tensor of this shape: the layouts an
    elementwise output copies as they are. A sliced or transposed input gets a new layout from torch, and so does
    one whose size-1 dims carry other strides (is_contiguous() ignores those; TensorIterator does not)."""
    strides = x.stride()
    if x.is_contiguous():
        return strides == _row_major_strides(x.shape)
    if x.dim() == 4 and x.is_contiguous(memory_format=torch.channels_last):
        _, c, h, w = x.shape
        return strides == (h * w * c, 1, w * c, c)
    return False


def _row_major_strides(shape: Sequence[int]) -> tuple[int, ...]:
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))


def is_expanded_row_major(x: torch.Tensor) -> bool:
    """``x`` is a new row-major tensor expanded: a broadcast dim (size > 1) has stride 0 and every other dim the
    row-major stride of the shape before the expand. A mean's backward divides such a tensor by a number; torch
    gives the quotient a new contiguous layout (tests/test_meta_kernels.py checks it)."""
    shape, strides = x.shape, x.stride()
    if x.dim() > 4 or 0 not in strides:
        return False
    base = [1 if st == 0 else n for n, st in zip(shape, strides)]
    if any(st == 0 and n <= 1 for n, st in zip(shape, strides)):
        return False  # a size-1 dim with stride 0 is no broadcast: leave the layout to torch
    expected = _row_major_strides(base)
    return all(st == 0 or st == e for st, e in zip(strides, expected))


def dense_like(x: torch.Tensor, dtype: torch.dtype | None = None) -> torch.Tensor | None:
    return like(x, dtype) if is_dense(x) else None


def empty(shape: Sequence[int], dtype: torch.dtype, *, channels_last: bool = False) -> torch.Tensor:
    if channels_last:
        return torch.empty(shape, dtype=dtype, device="meta", memory_format=torch.channels_last)
    return torch.empty(shape, dtype=dtype, device="meta")


def broadcast(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...] | None:
    """NumPy broadcasting (torch.broadcast_shapes imports sympy on its first call)."""
    rank = max(len(a), len(b))
    a, b = (1,) * (rank - len(a)) + a, (1,) * (rank - len(b)) + b
    out = []
    for x, y in zip(a, b):
        if x != y and 1 not in (x, y):
            return None
        out.append(y if x == 1 else x)
    return tuple(out)


def pair(value: Any, default: Sequence[int]) -> tuple[int, int] | None:
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    if not values:
        values = list(default)
    if len(values) == 1:
        values = values * 2
    return (int(values[0]), int(values[1])) if len(values) == 2 else None


def strides_like_channels_last(x: torch.Tensor) -> bool:
    """torch's suggest_memory_format test for a 4-d tensor (a port of
    torch._prims_common.are_strides_like_channels_last_or_false, which imports sympy): a size-1 dim makes many
    contiguous tensors (1x1 and depthwise weights) ambiguous, and this is how torch settles them."""
    if x.dim() != 4:
        return False
    shape, strides = x.shape, x.stride()
    if strides[1] == 0:
        return False
    low = 0
    for d in (1, 3, 2, 0):
        if shape[d] == 0 or strides[d] < low or (d == 0 and low == strides[1]):
            return False
        low = strides[d] * shape[d]
    return True


def pool2d_output_shape(x: torch.Tensor, kernel: Any, stride: Any, padding: Any, dilation: Any,
                        ceil_mode: bool) -> tuple[int, ...] | None:
    """Output shape of a 2-d max/avg pooling of contiguous ``x``; None when torch must decide (and raise)."""
    kernel = pair(kernel, ())
    stride = pair(stride, kernel or ())
    padding, dilation = pair(padding, (0,)), pair(dilation, (1,))
    if None in (kernel, stride, padding, dilation) or x.dim() not in (3, 4) or not x.is_contiguous():
        return None
    if any(p > k // 2 for p, k in zip(padding, kernel)):
        return None  # torch raises: pad should be at most half of the kernel
    sizes = [pool_output_size(x.shape[-2 + i], kernel[i], stride=stride[i], padding=padding[i],
                              dilation=dilation[i], ceil_mode=ceil_mode) for i in range(2)]
    if min(sizes) <= 0:
        return None
    return (*x.shape[:-2], *sizes)
