"""Which formula applies to which aten op: the table that maps an op to its class and cost.

Keys are aten overload-packet names (``"convolution"``, ``"add_"``). An adapter reads shapes off the op's arguments
and calls the pure formulas in :mod:`archcost.counting.formulas`; it never guesses from a module's class name. An op
absent from this table is reported in ``uncounted_ops``, never counted as zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from archcost.counting import formulas as f
from archcost.counting.opclass import OpClass
from archcost.counting.rule_table import (
    RULES,
    Rule,
    Terms,
    _arg,
    _shape,
    first_output,
    rule,
)

# --- multiply-accumulates -------------------------------------------------------------------------------------------


@rule("convolution", "_convolution")
def _convolution(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    x, w, bias = args[0], args[1], _arg(args, kwargs, 2, "bias")
    transposed = bool(_arg(args, kwargs, 6, "transposed", False))
    groups = int(_arg(args, kwargs, 8, "groups", 1))
    macs = f.conv_macs(_shape(x), _shape(w), _shape(out), transposed=transposed, groups=groups)
    return (macs, f.bias_adds(_shape(out))) if bias is not None else (macs,)


@rule("mm")
def _mm(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    return (f.matmul_macs(_shape(args[0]), _shape(args[1])),)


@rule("bmm")
def _bmm(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    return (f.matmul_macs(_shape(args[0]), _shape(args[1])),)


@rule("addmm", "baddbmm")
def _addmm(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    # addmm(bias, a, b): the bias add is an add per output element, never a MAC.
    return (f.matmul_macs(_shape(args[1]), _shape(args[2])), f.bias_adds(_shape(out)))


@rule("mv", "addmv")
def _mv(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    # addmv(self, mat, vec): the added vector is an add per output element, as for addmm.
    mat = args[0] if len(args[0].shape) == 2 and len(args) == 2 else args[1]
    macs = f.matvec_macs(int(mat.shape[0]), int(mat.shape[1]))
    return (macs,) if len(args) == 2 else (macs, f.bias_adds(_shape(out)))


@rule("dot", "vdot")
def _dot(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    return (f.dot_macs(int(args[0].shape[0])),)


@rule("addbmm")
def _addbmm(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    # addbmm(self, b1 (B, N, M), b2 (B, M, P)): every output element accumulates B*M products, so B*N*M*P MACs; the
    # added matrix is an add per output element.
    return (f.matmul_macs(_shape(args[1]), _shape(args[2])), f.bias_adds(_shape(out)))


def _grouped(bias_at: int) -> Rule:
    # offs only says where the groups split, and the MACs do not depend on where (formulas.grouped_mm_macs). The bias
    # is an add per output element, as for addmm.
    def count(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
        macs = f.grouped_mm_macs(_shape(args[0]), _shape(args[1]))
        return (macs,) if _arg(args, kwargs, bias_at, "bias") is None else (macs, f.bias_adds(_shape(out)))

    return count


# _grouped_mm(self, mat2, offs, bias, out_dtype); _scaled_grouped_mm(self, mat2, scale_a, scale_b, offs, bias, ...):
# the fp8 variant's rescaling of each product by its row and column scales is left out, as for the quantized ops.
rule("_grouped_mm")(_grouped(3))
rule("_scaled_grouped_mm")(_grouped(5))


@rule("_trilinear")
def _trilinear(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    # (i1, i2, i3, expand1, expand2, expand3, sumdim, unroll_dim): each operand is unsqueezed at its expand dims.
    def expanded(t: Any, dims: Sequence[int]) -> tuple[int, ...]:
        shape = list(t.shape)
        for d in sorted(dims):
            shape.insert(d, 1)
        return tuple(shape)

    i1, i2, i3 = (expanded(args[i], args[3 + i]) for i in range(3))
    return (f.trilinear_macs(i1, i2, i3, list(args[6]), list(args[5])),)


# --- elementwise ----------------------------------------------------------------------------------------------------


def _elementwise(op_class: OpClass, per_element: int = 1) -> Rule:
    def count(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
        return (f.elementwise(op_class, _shape(first_output(out)), per_element),)

    return count


for _names, _class in (
    (("add", "add_", "sub", "sub_", "rsub"), OpClass.ADDS),
    (("mul", "mul_"), OpClass.MULS),
    (("div", "div_", "reciprocal"), OpClass.DIVS),
    (("relu", "relu_", "threshold", "maximum", "minimum", "leaky_relu", "leaky_relu_"), OpClass.CMPS),
    (("sigmoid", "sigmoid_", "silu", "silu_", "tanh", "tanh_", "exp", "_softmax", "_log_softmax", "gelu"), OpClass.EXPS),
):
    for _name in _names:
        rule(_name)(_elementwise(_class))

# relu6 and hardtanh clamp from both sides: two comparisons per element.
for _name in ("hardtanh", "hardtanh_"):
    rule(_name)(_elementwise(OpClass.CMPS, 2))


@rule("clamp", "clamp_")
def _clamp(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    # One comparison per bound given: clamp(min=0) is a relu.
    bounds = sum(_arg(args, kwargs, i, n) is not None for i, n in ((1, "min"), (2, "max")))
    return (f.elementwise(OpClass.CMPS, _shape(first_output(out)), bounds),) if bounds else ()


# --- reductions and pooling -----------------------------------------------------------------------------------------


def _from_pool1d(x: Any) -> bool:
    # adaptive_avg_pool1d decomposes into the 2-d pool of x.unsqueeze(-2): a ([N,] C, 1, L) view. A 2-d pool of a
    # height-1 view looks the same at the dispatcher; the README says so.
    from archcost import torch_compat  # here: the rule table itself stays torch-free

    return x.shape[-2] == 1 and torch_compat.is_view(x)


@rule("mean")
def _mean(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    # Global average pooling reaches the dispatcher as mean(dim=[-1, -2], keepdim=True), verbatim what
    # adaptive_avg_pool2d(x, 1) emits; an explicit mean spelled otherwise (dims (2, 3), keepdim False) is a mean.
    x = args[0]
    dims = list(_arg(args, kwargs, 1, "dim", None) or [])
    pooled = dims == [-1, -2] and bool(_arg(args, kwargs, 2, "keepdim", False)) and x.dim() in (3, 4)
    origin = "adaptive_avg_pool2d" if pooled and not _from_pool1d(x) else ""
    adds = f.reduction_adds(_shape(x), _shape(out))
    return (replace(adds, origin=origin), f.average_divs(_shape(out)))


@rule("sum")
def _sum(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    return (f.reduction_adds(_shape(args[0]), _shape(out)),)


@rule("_adaptive_avg_pool2d")
def _adaptive_avg_pool2d(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    x = args[0]
    adds = f.reduction_adds(_shape(x), _shape(out))
    return (replace(adds, origin="" if _from_pool1d(x) else "adaptive_avg_pool2d"), f.average_divs(_shape(out)))


@rule("_adaptive_avg_pool3d", "adaptive_avg_pool1d")
def _adaptive_avg_pool(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    return (f.reduction_adds(_shape(args[0]), _shape(out)), f.average_divs(_shape(out)))


def _window(args: Sequence[Any], dims: int) -> tuple[int, ...]:
    kernel = list(args[1])
    return tuple(kernel * dims if len(kernel) == 1 else kernel)


@rule("max_pool2d_with_indices", "max_pool2d", "max_pool3d_with_indices")
def _max_pool(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    y = first_output(out)
    return (f.max_pool_cmps(_shape(y), _window(args, y.dim() - 2)),)


@rule("adaptive_max_pool2d")
def _adaptive_max_pool2d(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    # The output is (values, indices); nn.AdaptiveMaxPool1d reaches the dispatcher as this op on a height-1 view.
    return (f.adaptive_max_pool_cmps(_shape(args[0]), _shape(first_output(out)), spatial=2),)


@rule("adaptive_max_pool3d")
def _adaptive_max_pool3d(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    return (f.adaptive_max_pool_cmps(_shape(args[0]), _shape(first_output(out)), spatial=3),)


@rule("avg_pool2d", "avg_pool3d")
def _avg_pool(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    kernel = _window(args, out.dim() - 2)
    return (f.avg_pool_adds(_shape(out), kernel), f.average_divs(_shape(out)))


# --- normalisation --------------------------------------------------------------------------------------------------


@rule("native_batch_norm", "_native_batch_norm_legit", "_native_batch_norm_legit_no_training", "cudnn_batch_norm",
      "miopen_batch_norm")
def _batch_norm(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    # Batch norm that computes its statistics (training mode; instance norm, which reaches the dispatcher as a
    # training-mode batch norm of a (1, N*C, ...) view) costs what the other norms cost.
    # native_batch_norm/cudnn/_legit: training is argument 5 of 8; _legit.no_stats: 3 of 6; _no_training: never.
    training = bool(args[5] if len(args) == 8 else args[3] if len(args) == 6 else kwargs.get("training", False))
    return (f.norm_ops(_shape(args[0]), kind="batch-statistics" if training else "batch", affine=args[1] is not None),)


@rule("native_layer_norm")
def _layer_norm(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    return (f.norm_ops(_shape(args[0]), kind="layer", affine=args[2] is not None),)


@rule("native_group_norm")
def _group_norm(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    return (f.norm_ops(_shape(args[0]), kind="group", affine=args[1] is not None),)


# Norm ops also return saved statistics for the backward pass; their sizes differ between devices (empty on CPU at
# inference, per-channel on meta), so only the first output is an activation. Embedding bags likewise return index
# bookkeeping for the backward (offset2bag, bag_size, max_indices) whose shapes are the kernel's choice (in sum mode
# CPU leaves offset2bag empty and meta max_indices): the bags are the activation.
STATISTICS_OUTPUT_OPS = frozenset(
    {"native_batch_norm", "_native_batch_norm_legit", "_native_batch_norm_legit_no_training", "cudnn_batch_norm",
     "miopen_batch_norm", "native_layer_norm", "native_group_norm", "_embedding_bag", "_embedding_bag_forward_only"}
)


# --- free: data movement only ---------------------------------------------------------------------------------------

FREE_OPS = frozenset(
    ["view", "_unsafe_view", "reshape", "t", "transpose", "permute", "expand", "expand_as", "unsqueeze", "squeeze", "squeeze_", "unsqueeze_", "flatten", "unflatten", "select", "slice", "narrow", "split", "split_with_sizes", "chunk", "unbind", "as_strided", "alias", "detach", "lift_fresh", "cat", "stack", "clone", "contiguous", "copy_", "_to_copy", "to", "empty", "empty_like", "empty_strided", "zeros", "zeros_like", "ones", "ones_like", "new_zeros", "new_empty", "new_ones", "full", "fill_", "zero_", "constant_pad_nd", "pad", "native_dropout", "dropout", "bernoulli_", "bernoulli", "_reshape_alias", "index_select", "repeat", "scalar_tensor", "_local_scalar_dense"]
) | frozenset(
    # Indexing, generation and bookkeeping: each moves, makes or checks data without arithmetic on its values.
    # (Selects on a mask, where and masked_fill, are not here: they count one comparison per element.)
    ["arange", "linspace", "index", "_unsafe_index", "index_copy", "index_fill", "index_fill_", "gather", "take", "roll", "flip", "rot90", "tril", "triu", "tril_", "triu_", "as_strided_", "unsafe_split", "unsafe_split_with_sizes", "unsafe_chunk", "transpose_", "t_", "diagonal", "movedim", "swapaxes", "view_as", "expand_copy", "view_copy", "permute_copy", "slice_scatter", "select_scatter", "diagonal_scatter", "copy", "fill", "new_full", "full_like", "rand", "rand_like", "randn", "randn_like", "randint", "normal_", "uniform_", "lift_fresh_copy", "_assert_async", "_assert_scalar", "_assert_tensor_metadata", "sym_size", "sym_numel", "sym_stride", "sym_storage_offset", "_record_function_enter", "_record_function_enter_new", "_record_function_exit", "embedding", "pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle", "im2col", "unfold", "resize_", "set_", "detach_", "masked_select", "repeat_interleave", "_to_dim_order_copy", "alias_copy", "item", "is_nonzero", "_shape_as_tensor"]
)


def _free(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    return ()


rule(*sorted(FREE_OPS))(_free)


# The other rule files register into the same table; importing them here makes RULES whole once this module loads.
from archcost.counting import backward_rules, fused_rules, pointwise_rules  # noqa: E402, F401
