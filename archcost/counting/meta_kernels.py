"""Shape-only kernels for meta tensors, used by the tracer in place of torch's own meta implementations.

On the meta device an op computes nothing; it only has to return an output of the right shape, dtype and layout.
Torch implements many of those outputs in Python (prims and decompositions), and loads those Python registrations
on an op's first meta call, which dominates a cold analysis (reports/benchmarks/analysis-speed.md). For the few ops
below the output is fixed by the inputs alone, so it is built directly. Anything unusual (mixed devices, an in-place
op that would broadcast) returns None and falls back to torch's kernel. The training step's ops (batch norm in
training mode, backward, loss, optimizer updates) are in meta_kernels_train.py, merged into the one table ``run``
reads. tests/test_meta_kernels.py checks each kernel's output (shape, dtype, strides) against torch's own;
tests/counting/test_meta_kernel_analyses.py checks that analyses with and without these kernels are identical.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from archcost.counting import meta_kernels_train
from archcost.counting.meta_kernel_common import (
    MetaKernel,
    all_floating,
    all_meta,
    broadcast,
    dense_like,
    is_expanded_row_major,
    like,
    pair,
    pool2d_output_shape,
)
from archcost.shapes import (
    conv_output_size,
    transposed_conv_output_size,
)

KERNELS: dict[str, MetaKernel] = {}


def _unary(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    # A sliced input gets a new dense layout from torch (copying its strides would count a gap as bytes).
    return dense_like(args[0])


def _unary_inplace(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    return args[0]


def _binary_shape(args: Sequence[Any]) -> tuple[tuple[int, ...], torch.dtype] | None:
    a, b = args[0], args[1]
    if not isinstance(a, torch.Tensor):
        return None
    if isinstance(b, torch.Tensor):
        shape = a.shape if a.shape == b.shape else broadcast(tuple(a.shape), tuple(b.shape))
        if shape is None:
            return None
    else:
        shape = a.shape
    return shape, torch.result_type(a, b)


def _binary(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    found = _binary_shape(args)
    if found is None:
        return None
    shape, dtype = found
    a = args[0]
    if not isinstance(args[1], torch.Tensor) and is_expanded_row_major(a):
        return torch.empty(shape, dtype=dtype, device="meta")  # e.g. a mean's backward: expand, then divide
    if shape == a.shape and dtype == a.dtype:
        return dense_like(a)  # keeps the first operand's memory format, as TensorIterator does; None if sliced
    return torch.empty(shape, dtype=dtype, device="meta")


def _binary_inplace(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    found = _binary_shape(args)
    if found is None or found[0] != args[0].shape:
        return None
    return args[0]


def _batch_norm_inference(args: Sequence[Any], kwargs: dict[str, Any], training_index: int | None) -> Any:
    if training_index is not None and bool(args[training_index] if len(args) > training_index
                                           else kwargs.get("training", False)):
        return meta_kernels_train.batch_norm_training(args, kwargs)  # per-channel statistics besides the output
    x = args[0]
    # At inference the saved statistics are empty, as the CPU kernel returns them.
    empty = torch.empty_strided((0,), (1,), dtype=x.dtype, device="meta")
    return like(x), empty, torch.empty_strided((0,), (1,), dtype=x.dtype, device="meta")


def _cat(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    tensors = [t for t in args[0] if t.dim() != 1 or t.shape[0] != 0]  # cat skips legacy empty 1-d inputs
    dim = args[1] if len(args) > 1 else kwargs.get("dim", 0)
    if not tensors or len({t.dtype for t in tensors}) != 1 or len({t.dim() for t in tensors}) != 1:
        return None
    first = tensors[0]
    dim = dim % first.dim()
    if any(t.shape[:dim] != first.shape[:dim] or t.shape[dim + 1:] != first.shape[dim + 1:] for t in tensors):
        return None  # torch raises the proper error
    shape = list(first.shape)
    shape[dim] = sum(t.shape[dim] for t in tensors)
    return torch.empty(shape, dtype=first.dtype, device="meta")


def _mean(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    x = args[0]
    dims = args[1] if len(args) > 1 else kwargs.get("dim")
    keepdim = args[2] if len(args) > 2 else kwargs.get("keepdim", False)
    if dims is None or kwargs.get("dtype") is not None:  # (run() passes floating operands only)
        return None
    reduced = {d % x.dim() for d in ([dims] if isinstance(dims, int) else dims)} or set(range(x.dim()))
    shape = [1 if i in reduced else n for i, n in enumerate(x.shape) if keepdim or i not in reduced]
    return torch.empty(shape, dtype=x.dtype, device="meta")


def _addmm(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    a, b = args[1], args[2]
    if a.dim() != 2 or b.dim() != 2 or a.shape[1] != b.shape[0] or a.dtype != b.dtype:
        return None
    return torch.empty((a.shape[0], b.shape[1]), dtype=a.dtype, device="meta")


def _mm(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    return _addmm((None, args[0], args[1]), kwargs)


def _convolution(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    """Output of aten.convolution from the standard size arithmetic; None (torch decides and raises) whenever a
    size would not be positive or the arguments are unusual."""
    if kwargs or len(args) != 9:
        return None
    x, w, _, stride, padding, dilation, transposed, output_padding, groups = args
    spatial = x.dim() - 2
    if spatial < 1 or w.dim() != x.dim() or x.dtype != w.dtype or len(stride) != spatial:
        return None
    sizes = []
    for i in range(spatial):
        k, s, p, d = w.shape[2 + i], stride[i], padding[i], dilation[i]
        if transposed:
            size = transposed_conv_output_size(x.shape[2 + i], k, stride=s, padding=p, dilation=d,
                                               output_padding=output_padding[i])
        else:
            size = conv_output_size(x.shape[2 + i], k, stride=s, padding=p, dilation=d)
        if size <= 0:
            return None
        sizes.append(size)
    channels = w.shape[1] * groups if transposed else w.shape[0]
    if x.shape[1] != (w.shape[0] if transposed else w.shape[1] * groups):
        return None
    # torch picks the output layout from the input's and the weight's (channels-last rules): left to torch.
    if not (x.is_contiguous() and w.is_contiguous()):
        return None
    return torch.empty((x.shape[0], channels, *sizes), dtype=x.dtype, device="meta")


def _pool2d(args: Sequence[Any], kwargs: dict[str, Any], *, with_indices: bool) -> Any:
    """max_pool2d_with_indices / avg_pool2d output shapes (torch's meta versions import sympy on first use)."""
    if kwargs:
        return None
    x = args[0]
    stride = args[2] if len(args) > 2 else []
    padding = args[3] if len(args) > 3 else 0
    dilation = args[4] if len(args) > 4 and with_indices else 1
    ceil_mode = bool(args[5] if with_indices and len(args) > 5 else (args[4] if not with_indices and len(args) > 4
                                                                        else False))
    shape = pool2d_output_shape(x, args[1], stride, padding, dilation, ceil_mode)
    if shape is None:
        return None
    out = torch.empty(shape, dtype=x.dtype, device="meta")
    return (out, torch.empty(shape, dtype=torch.int64, device="meta")) if with_indices else out


def _adaptive_avg_pool2d(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    x, size = args[0], pair(args[1], ())
    if size is None or x.dim() not in (3, 4) or min(size) <= 0 or not x.is_contiguous():
        return None
    return torch.empty((*x.shape[:-2], *size), dtype=x.dtype, device="meta")


KERNELS["_adaptive_avg_pool2d"] = _adaptive_avg_pool2d
KERNELS["max_pool2d_with_indices"] = lambda args, kwargs: _pool2d(args, kwargs, with_indices=True)
KERNELS["avg_pool2d"] = lambda args, kwargs: _pool2d(args, kwargs, with_indices=False)
KERNELS["convolution"] = _convolution
KERNELS["addmm"] = _addmm
KERNELS["mm"] = _mm
KERNELS["cat"] = _cat
KERNELS["mean"] = _mean

for _name in ("relu", "sigmoid", "silu", "tanh", "hardtanh", "gelu", "leaky_relu", "hardswish", "hardsigmoid"):
    KERNELS[_name] = _unary
for _name in ("relu_", "sigmoid_", "silu_", "tanh_", "hardtanh_", "leaky_relu_", "hardswish_", "hardsigmoid_"):
    KERNELS[_name] = _unary_inplace
for _name in ("add", "sub", "mul", "div", "rsub"):
    KERNELS[_name] = _binary
for _name in ("add_", "sub_", "mul_", "div_"):
    KERNELS[_name] = _binary_inplace
KERNELS["native_batch_norm"] = lambda args, kwargs: _batch_norm_inference(args, kwargs, 5)
KERNELS["_native_batch_norm_legit_no_training"] = lambda args, kwargs: _batch_norm_inference(args, kwargs, None)
# These kernels take the dtype of a floating operand (or torch.result_type of two); integer, bool and complex
# operands follow rules of their own (true division makes integers float, in-place ops refuse some casts, bool
# subtraction raises), so run() leaves them to torch.
_FLOATING_ONLY = frozenset(KERNELS)
# The training step's ops (backward, loss, optimizer updates); no name is in both tables. They check dtypes themselves.
KERNELS.update(meta_kernels_train.KERNELS)


def run(name: str, args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    """The output of op ``name`` built from shapes alone, or None when torch's own kernel must run."""
    kernel = KERNELS.get(name)
    if kernel is None or not all_meta(args):
        return None
    if name in _FLOATING_ONLY and not all_floating(args):
        return None
    # Ops with extra keyword arguments (alpha, rounding_mode, approximate) keep their output shape; fine.
    return kernel(args, kwargs)
