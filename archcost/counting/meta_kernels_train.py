"""Shape-only meta kernels for the ops of a training step: batch norm in training mode, the backward ops, the loss,
and the optimizers' in-place updates (meta_kernels.py has the inference ops and the one ``run`` entry point).

On meta torch builds these outputs in Python (a decomposition per call), which made a train-mode analysis many times
slower than an inference one (issue 15; what these kernels buy is measured in reports/benchmarks/train_speed.md).
Each kernel returns what torch's own meta kernel returns (shape, dtype, strides; the input itself for an in-place
op; None entries where an output mask is False), or None, and torch decides, whenever anything is unusual: mixed
dtypes, a layout the rule below does not cover, an in-place op that would broadcast, an unexpected keyword.
tests/test_meta_kernels_train.py checks every output against torch's; tests/counting/
test_meta_kernel_train_analyses.py checks that train-mode analyses are identical with and without these kernels.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import torch

from archcost.counting.meta_kernel_common import (
    MetaKernel,
    broadcast,
    dense_like,
    empty,
    is_dense,
    like,
    pool2d_output_shape,
    strides_like_channels_last,
)

KERNELS: dict[str, MetaKernel] = {}

_REDUCED_PRECISION = (torch.float16, torch.bfloat16)


def _statistics_dtype(dtype: torch.dtype) -> torch.dtype:
    # Batch norm accumulates half and bfloat16 inputs in float32 and saves its statistics so.
    return torch.float32 if dtype in _REDUCED_PRECISION else dtype


def _channel_vectors_fit(x: torch.Tensor, vectors: Sequence[Any]) -> bool:
    c = x.shape[1]
    return all(v is None or (v.shape == (c,) and v.dtype == x.dtype) for v in vectors)


def batch_norm_training(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    """native_batch_norm(training=True): the normalised output keeps the input's layout; the saved mean and
    inverse std are [C] (float32 for half/bfloat16 inputs), whether running statistics are given or not."""
    if kwargs or len(args) != 8:
        return None
    x = args[0]
    if (x.dim() < 2 or x.numel() <= x.shape[1] or not x.dtype.is_floating_point or not is_dense(x)
            or not _channel_vectors_fit(x, args[1:5])):
        return None  # (one value per channel: torch's unbiased running variance divides by zero)
    stats = _statistics_dtype(x.dtype)
    return like(x), empty((x.shape[1],), stats), empty((x.shape[1],), stats)


def _batch_norm_backward(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    """grad_input has the input's layout (when grad_output shares it); grad_weight and grad_bias are [C] in the
    weight's dtype, None where output_mask says so. torch's meta kernel returns grad_input even when its mask is
    False: so does this one."""
    if kwargs or len(args) != 10:
        return None
    grad, x, weight, running_mean, running_var, save_mean, save_invstd, train, _, mask = args
    if (grad.shape != x.shape or grad.dtype != x.dtype or grad.stride() != x.stride() or x.dim() < 2
            or x.numel() == 0 or not x.dtype.is_floating_point or not is_dense(x) or len(mask) != 3):
        return None
    if not _channel_vectors_fit(x, (weight, running_mean, running_var)):
        return None
    saved = (save_mean, save_invstd) if train else (running_mean, running_var)
    if any(s is None or s.shape != (x.shape[1],) for s in saved):
        return None  # torch raises: the statistics this mode needs are missing
    dtype = weight.dtype if weight is not None else x.dtype
    grad_weight = empty((x.shape[1],), dtype) if mask[1] else None
    grad_bias = empty((x.shape[1],), dtype) if mask[2] else None
    return like(x), grad_weight, grad_bias


def _grad_like(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    """An activation's backward (grad_output, input or output, ...): elementwise, the gradient's layout."""
    grad, other = args[0], args[1]
    if not isinstance(other, torch.Tensor) or kwargs.keys() - {"approximate"}:
        return None
    if grad.shape != other.shape or grad.dtype != other.dtype or not grad.dtype.is_floating_point:
        return None
    if grad.stride() == other.stride():
        return dense_like(grad)
    # A gradient that is a slice of a concatenation's, or the expanded gradient of a mean, next to a contiguous
    # input: TensorIterator keeps the row-major order of its operands, so the result is contiguous.
    if (grad.is_contiguous() or other.is_contiguous()) and _unambiguous_row_major(grad) and _row_major(other):
        return empty(grad.shape, grad.dtype)
    return None


def _unambiguous_row_major(x: torch.Tensor) -> bool:
    # (A size-1 dim past the first makes the result's strides ambiguous: torch decides.)
    return min(x.shape[1:], default=2) > 1 and _row_major(x)


def _row_major(x: torch.Tensor) -> bool:
    """Strides strictly decreasing over the dims that count for TensorIterator's ordering (size > 1, not
    broadcast): no dimension would be moved."""
    strides = [s for s, n in zip(x.stride(), x.shape) if n > 1 and s != 0]
    return all(a > b for a, b in pairwise(strides))


def _memory_format_channels_last(*tensors: torch.Tensor) -> bool | None:
    """True/False for a channels-last/contiguous result as torch's convolution meta decides it; None when a tensor
    is neither (torch decides)."""
    for t in tensors:
        if not (t.is_contiguous() or t.is_contiguous(memory_format=torch.channels_last)):
            return None
    return any(strides_like_channels_last(t) for t in tensors)


def _convolution_backward(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    """grad_input and grad_weight take the inputs' shapes, in grad_output's dtype, channels-last when the input or
    the weight is; grad_bias is [C_out]. Entries are None where output_mask is False (as torch's meta kernel)."""
    if kwargs or len(args) != 11:
        return None
    grad, x, w, bias_sizes = args[0], args[1], args[2], args[3]
    mask = args[10]
    if len({grad.dtype, x.dtype, w.dtype}) != 1 or x.dim() != w.dim() or x.dim() not in (3, 4) or len(mask) != 3:
        return None
    channels_last = _memory_format_channels_last(x, w)
    if channels_last is None or (mask[2] and bias_sizes is None):
        return None
    grad_input = empty(x.shape, grad.dtype, channels_last=channels_last) if mask[0] else None
    grad_weight = empty(w.shape, grad.dtype, channels_last=channels_last) if mask[1] else None
    grad_bias = empty(list(bias_sizes), grad.dtype) if mask[2] else None
    return grad_input, grad_weight, grad_bias


def _pool_backward_layout(grad: torch.Tensor, x: torch.Tensor, expected: tuple[int, ...] | None) -> Any:
    if expected is None or tuple(grad.shape) != expected or grad.dtype != x.dtype:
        return None  # torch raises the size or dtype error
    return torch.empty(x.shape, dtype=x.dtype, device="meta")


def _max_pool2d_backward(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    if kwargs or len(args) != 8:
        return None
    grad, x, kernel, stride, padding, dilation, ceil_mode, indices = args
    if indices.shape != grad.shape:
        return None
    return _pool_backward_layout(grad, x, pool2d_output_shape(x, kernel, stride, padding, dilation, ceil_mode))


def _avg_pool2d_backward(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    if kwargs or len(args) != 8:
        return None
    grad, x, kernel, stride, padding, ceil_mode, _, divisor = args
    if divisor == 0:
        return None
    return _pool_backward_layout(grad, x, pool2d_output_shape(x, kernel, stride, padding, 1, ceil_mode))


def _adaptive_avg_pool2d_backward(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    grad, x = args[0], args[1]
    if (kwargs or grad.dim() not in (3, 4) or grad.dim() != x.dim() or grad.dtype != x.dtype
            or min(grad.shape[1:]) <= 0 or not x.is_contiguous()):
        return None
    return torch.empty(x.shape, dtype=x.dtype, device="meta")


def _nll_loss_forward(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    """(loss, total_weight): per sample for reduction none, else a scalar; total_weight a scalar."""
    if kwargs or len(args) != 5:
        return None
    x, target, weight, reduction = args[0], args[1], args[2], args[3]
    if x.dim() != 2 or target.shape != x.shape[:1] or weight is not None or reduction not in (0, 1, 2):
        return None
    if not x.dtype.is_floating_point or target.dtype != torch.int64:
        return None
    loss_shape = x.shape[:1] if reduction == 0 else ()
    return empty(loss_shape, x.dtype), empty((), x.dtype)


def _nll_loss_backward(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    if kwargs or len(args) != 7:
        return None
    grad, x, target, weight, reduction = args[0], args[1], args[2], args[3], args[4]
    if x.dim() != 2 or target.shape != x.shape[:1] or weight is not None or reduction not in (1, 2):
        return None
    if grad.numel() != 1 or grad.dim() > 1 or grad.dtype != x.dtype or args[6].numel() != 1:
        return None
    return dense_like(x) if x.is_contiguous() else None


def _log_softmax(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    x = args[0]
    if kwargs or len(args) != 3 or args[2] or not x.dtype.is_floating_point or x.dim() == 0:
        return None  # half_to_float changes the dtype: torch decides
    return dense_like(x)


def _log_softmax_backward_data(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    grad, output = args[0], args[1]
    if kwargs or len(args) != 4 or grad.dtype != args[3] or output.dtype != grad.dtype:
        return None
    if grad.shape != output.shape or grad.stride() != output.stride():
        return None
    return dense_like(grad)


def _same_shaped_operands(args: Sequence[Any]) -> bool:
    """An optimizer's in-place update: every tensor operand broadcasts to the first one's shape, in its dtype
    (a 0-d tensor weight of lerp_ included)."""
    x = args[0]
    for t in args[1:]:
        if isinstance(t, torch.Tensor):
            if t.dtype != x.dtype or (t.shape != x.shape and broadcast(tuple(x.shape), tuple(t.shape)) != x.shape):
                return False
        elif not isinstance(t, (int, float)) or isinstance(t, bool):
            return False
    return x.dtype.is_floating_point


def _inplace_update(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    if kwargs.keys() - {"value"} or not _same_shaped_operands(args):
        return None
    return args[0]


def _float_unary(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    x = args[0]
    if kwargs or len(args) != 1 or not isinstance(x, torch.Tensor) or not x.dtype.is_floating_point:
        return None  # sqrt of an integer tensor is float; neg of bool raises
    if is_dense(x):
        return like(x)
    return empty(x.shape, x.dtype) if _unambiguous_row_major(x) else None


_LIKE_KEYWORDS = {"dtype": None, "layout": torch.strided, "device": torch.device("meta"), "pin_memory": False,
                  "memory_format": torch.preserve_format}


def _factory_like(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    """zeros_like / ones_like / empty_like / clone with the default (preserve) format: a dense input's strides."""
    if len(args) != 1:
        return None
    for key, value in kwargs.items():
        if key not in _LIKE_KEYWORDS or (value is not None and key != "dtype" and value != _LIKE_KEYWORDS[key]):
            return None
    dtype = kwargs.get("dtype")
    if dtype is not None and not isinstance(dtype, torch.dtype):
        return None
    return dense_like(args[0], dtype)


def _sum(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    """sum (all elements) and sum.dim_IntList of a floating tensor; the result is contiguous."""
    x = args[0]
    if kwargs.keys() - {"dtype"} or kwargs.get("dtype") is not None or not x.dtype.is_floating_point:
        return None  # integer sums promote to int64; an explicit dtype: torch decides
    dims = args[1] if len(args) > 1 else None
    keepdim = bool(args[2]) if len(args) > 2 else False
    if len(args) > 3 or not isinstance(dims, (list, tuple, type(None))) or not x.is_contiguous():
        return None
    rank = max(x.dim(), 1)
    if dims is not None and any(not -rank <= d < rank for d in dims):
        return None
    reduced = {d % rank for d in dims} if dims else set(range(x.dim()))
    shape = [1 if i in reduced else n for i, n in enumerate(x.shape) if keepdim or i not in reduced]
    return empty(shape, x.dtype)


def _slice_backward(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    grad, sizes = args[0], args[1]
    if kwargs or len(args) != 6 or len(sizes) != grad.dim() or not all(isinstance(n, int) and n >= 0 for n in sizes):
        return None
    return empty(list(sizes), grad.dtype)  # a zero tensor of the input's size, the slice scattered into it


for _name in ("threshold_backward", "hardtanh_backward", "sigmoid_backward", "tanh_backward", "silu_backward",
              "hardswish_backward", "hardsigmoid_backward", "gelu_backward", "leaky_relu_backward"):
    KERNELS[_name] = _grad_like
for _name in ("addcdiv_", "addcmul_", "lerp_"):
    KERNELS[_name] = _inplace_update
for _name in ("zeros_like", "ones_like", "empty_like", "clone"):
    KERNELS[_name] = _factory_like
KERNELS["sqrt"] = _float_unary
KERNELS["neg"] = _float_unary
KERNELS["native_batch_norm_backward"] = _batch_norm_backward
KERNELS["convolution_backward"] = _convolution_backward
KERNELS["max_pool2d_with_indices_backward"] = _max_pool2d_backward
KERNELS["avg_pool2d_backward"] = _avg_pool2d_backward
KERNELS["_adaptive_avg_pool2d_backward"] = _adaptive_avg_pool2d_backward
KERNELS["nll_loss_forward"] = _nll_loss_forward
KERNELS["nll_loss_backward"] = _nll_loss_backward
KERNELS["_log_softmax"] = _log_softmax
KERNELS["_log_softmax_backward_data"] = _log_softmax_backward_data
KERNELS["sum"] = _sum
KERNELS["slice_backward"] = _slice_backward
