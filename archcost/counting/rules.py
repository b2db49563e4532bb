"""Which formula applies to which aten op: the table that maps an op to its class and cost.

Keys are aten overload-packet names (``"convolution"``, ``"add_"``). An adapter reads shapes off the op's arguments
and calls the pure formulas in :mod:`archcost.counting.formulas`; it never guesses from a module's class name. An op
absent from this table is reported in ``uncounted_ops``, never counted as zero.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from archcost.counting import formulas as f
from archcost.counting.opclass import OpClass

Terms = tuple[f.Term, ...]
Rule = Callable[[Sequence[Any], dict[str, Any], Any], Terms]

RULES: dict[str, Rule] = {}


def rule(*names: str) -> Callable[[Rule], Rule]:
    def decorate(fn: Rule) -> Rule:
        for name in names:
            if name in RULES:
                raise ValueError(f"two rules for aten.{name}")
            RULES[name] = fn
        return fn

    return decorate


def _shape(t: Any) -> tuple[int, ...]:
    return tuple(t.shape)


def _first_tensor(out: Any) -> Any:
    return out[0] if isinstance(out, (tuple, list)) else out


def _arg(args: Sequence[Any], kwargs: dict[str, Any], index: int, name: str, default: Any = None) -> Any:
    if len(args) > index:
        return args[index]
    return kwargs.get(name, default)


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


# --- elementwise ----------------------------------------------------------------------------------------------------


def _elementwise(op_class: OpClass, per_element: int = 1) -> Rule:
    def count(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
        return (f.elementwise(op_class, _shape(_first_tensor(out)), per_element),)

    return count


for _names, _class in (
    (("add", "add_", "sub", "sub_", "rsub"), OpClass.ADDS),
    (("mul", "mul_"), OpClass.MULS),
    (("div", "div_", "reciprocal"), OpClass.DIVS),
    (("relu", "relu_", "threshold", "maximum", "minimum", "leaky_relu", "leaky_relu_"), OpClass.CMPS),
    (("sigmoid", "sigmoid_", "silu", "silu_", "tanh", "tanh_", "exp", "_softmax", "_log_softmax", "gelu"), OpClass.EXPS),
):
    for _name in _names:
        RULES[_name] = _elementwise(_class)

# relu6 and hardtanh clamp from both sides: two comparisons per element.
for _name in ("hardtanh", "hardtanh_", "clamp", "clamp_"):
    RULES[_name] = _elementwise(OpClass.CMPS, 2)


# --- reductions and pooling -----------------------------------------------------------------------------------------


@rule("mean")
def _mean(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    # Global average pooling reaches the dispatcher as mean(dim=[-1, -2]): adaptive_avg_pool2d decomposes into it.
    return (f.reduction_adds(_shape(args[0]), _shape(out)), f.average_divs(_shape(out)))


@rule("sum")
def _sum(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    return (f.reduction_adds(_shape(args[0]), _shape(out)),)


@rule("_adaptive_avg_pool2d", "_adaptive_avg_pool3d", "adaptive_avg_pool1d")
def _adaptive_avg_pool(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    return (f.reduction_adds(_shape(args[0]), _shape(out)), f.average_divs(_shape(out)))


def _window(args: Sequence[Any], dims: int) -> tuple[int, ...]:
    kernel = list(args[1])
    return tuple(kernel * dims if len(kernel) == 1 else kernel)


@rule("max_pool2d_with_indices", "max_pool2d", "max_pool3d_with_indices")
def _max_pool(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    y = _first_tensor(out)
    return (f.max_pool_cmps(_shape(y), _window(args, y.dim() - 2)),)


@rule("avg_pool2d", "avg_pool3d")
def _avg_pool(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    kernel = _window(args, out.dim() - 2)
    return (f.avg_pool_adds(_shape(out), kernel), f.average_divs(_shape(out)))


# --- normalisation --------------------------------------------------------------------------------------------------


@rule("native_batch_norm", "_native_batch_norm_legit", "_native_batch_norm_legit_no_training", "cudnn_batch_norm",
      "miopen_batch_norm")
def _batch_norm(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    return (f.norm_ops(_shape(args[0]), kind="batch", affine=args[1] is not None),)


@rule("native_layer_norm")
def _layer_norm(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    return (f.norm_ops(_shape(args[0]), kind="layer", affine=args[2] is not None),)


@rule("native_group_norm")
def _group_norm(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    return (f.norm_ops(_shape(args[0]), kind="group", affine=args[1] is not None),)


# Norm ops also return saved statistics for the backward pass; their sizes differ between devices (empty on CPU at
# inference, per-channel on meta), so only the first output is an activation.
STATISTICS_OUTPUT_OPS = frozenset(
    {"native_batch_norm", "_native_batch_norm_legit", "_native_batch_norm_legit_no_training", "cudnn_batch_norm",
     "miopen_batch_norm", "native_layer_norm", "native_group_norm"}
)


# --- free: data movement only ---------------------------------------------------------------------------------------

FREE_OPS = frozenset(
    """
    view _unsafe_view reshape t transpose permute expand expand_as unsqueeze squeeze squeeze_ unsqueeze_ flatten
    unflatten select slice narrow split split_with_sizes chunk unbind as_strided alias detach lift_fresh
    cat stack clone contiguous copy_ _to_copy to empty empty_like empty_strided zeros zeros_like ones ones_like
    new_zeros new_empty new_ones full fill_ zero_ constant_pad_nd pad native_dropout dropout bernoulli_ bernoulli
    _reshape_alias index_select repeat scalar_tensor _local_scalar_dense
    """.split()
)


def _free(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    return ()


for _name in FREE_OPS:
    RULES.setdefault(_name, _free)
