"""Shape-only kernels for meta tensors, used by the tracer in place of torch's own meta implementations.

On the meta device an op computes nothing; it only has to return an output of the right shape, dtype and layout.
Torch implements many of those outputs in Python (prims and decompositions: batch norm costs ~5 ms a call), which
dominates the time of an analysis. For the few ops below the output is fixed by the inputs alone, so it is built
directly. Anything unusual (mixed devices, training-mode batch norm, an in-place op that would broadcast) returns
None and falls back to torch's kernel; tests check that both paths give identical analyses.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import torch

MetaKernel = Callable[[Sequence[Any], dict[str, Any]], Any]

KERNELS: dict[str, MetaKernel] = {}


def _all_meta(args: Sequence[Any]) -> bool:
    return all(a.is_meta for a in args if isinstance(a, torch.Tensor))


def _like(x: torch.Tensor) -> torch.Tensor:
    # empty_strided keeps the layout (channels-last included) and is ten times cheaper than empty_like on meta.
    return torch.empty_strided(x.shape, x.stride(), dtype=x.dtype, device="meta")


def _unary(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    return _like(args[0])


def _unary_inplace(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    return args[0]


def _binary_shape(args: Sequence[Any]) -> tuple[torch.Size, torch.dtype] | None:
    a, b = args[0], args[1]
    if not isinstance(a, torch.Tensor):
        return None
    if isinstance(b, torch.Tensor):
        shape = a.shape if a.shape == b.shape else torch.broadcast_shapes(a.shape, b.shape)
    else:
        shape = a.shape
    return shape, torch.result_type(a, b)


def _binary(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    found = _binary_shape(args)
    if found is None:
        return None
    shape, dtype = found
    a = args[0]
    if shape == a.shape and dtype == a.dtype:
        return _like(a)  # keeps the first operand's memory format, as TensorIterator does
    return torch.empty(shape, dtype=dtype, device="meta")


def _binary_inplace(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    found = _binary_shape(args)
    if found is None or found[0] != args[0].shape:
        return None
    return args[0]


def _batch_norm_inference(args: Sequence[Any], kwargs: dict[str, Any], training_index: int | None) -> Any:
    if training_index is not None and bool(args[training_index] if len(args) > training_index
                                           else kwargs.get("training", False)):
        return None  # training-mode batch norm returns per-channel statistics: let torch build them
    x = args[0]
    # At inference the saved statistics are empty, as the CPU kernel returns them.
    empty = torch.empty_strided((0,), (1,), dtype=x.dtype, device="meta")
    return _like(x), empty, torch.empty_strided((0,), (1,), dtype=x.dtype, device="meta")


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


def run(name: str, args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    """The output of op ``name`` built from shapes alone, or None when torch's own kernel must run."""
    kernel = KERNELS.get(name)
    if kernel is None or not _all_meta(args):
        return None
    # Ops with extra keyword arguments (alpha, rounding_mode, approximate) keep their output shape; fine.
    return kernel(args, kwargs)
