"""Rules for elementwise activations, comparisons, reductions, scans and interpolation.

Each op's recipe per element is written once, in the tables below or in counting/formulas.py, with the reason for
the model where it is a choice. Imported by counting/rules.py, into its table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from archcost.counting import formulas as f
from archcost.counting.opclass import OpClass
from archcost.counting.rule_table import Terms, _arg, _shape, first_output, rule

A, M, C, D, E = OpClass.ADDS, OpClass.MULS, OpClass.CMPS, OpClass.DIVS, OpClass.EXPS

# Ops per output element, by class. Transcendentals (exp, log, erf, tanh, sqrt...) are one EXPS each.
_RECIPES: dict[tuple[str, ...], tuple[tuple[OpClass, int], ...]] = {
    # 0 - x is a subtraction; |x| and sign compare against zero.
    ("neg", "neg_"): ((A, 1),),
    ("abs", "abs_", "sign", "sgn"): ((C, 1),),
    ("sqrt", "sqrt_", "rsqrt", "rsqrt_", "erf", "erf_", "erfc", "erfinv", "log", "log_", "log2", "log10", "log1p",
     "exp2", "expm1", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh",
     "exp_", "_softmax_backward_data"): ((E, 1),),
    # The stable softmax with all-masked rows set to 0: what _softmax costs.
    ("_safe_softmax", "softmax"): ((E, 1),),
    ("clamp_min", "clamp_min_", "clamp_max", "clamp_max_", "eq", "ne", "lt", "le", "gt", "ge", "logical_not",
     "logical_and", "logical_or", "logical_xor", "bitwise_not", "bitwise_and", "bitwise_or", "bitwise_xor",
     "isnan", "isinf", "isfinite", "floor", "ceil", "round", "trunc", "frac"): ((C, 1),),
    # A select on a mask is a data-dependent per-element choice: one comparison, as relu's max(x, 0) is one. The
    # comparison that made the mask (gt, eq...) is its own op and counts apart.
    ("where", "masked_fill", "masked_fill_"): ((C, 1),),
    ("remainder", "fmod", "floor_divide"): ((D, 1),),
    # x / 6 + 1/2 clamped to [0, 1]; hardswish multiplies that by x.
    ("hardsigmoid", "hardsigmoid_"): ((M, 1), (A, 1), (C, 2)),
    ("hardswish", "hardswish_"): ((M, 2), (A, 1), (C, 2)),
    # x > 0 ? x : alpha * (exp(x) - 1); selu and celu scale as well.
    ("elu", "elu_"): ((C, 1), (E, 1), (A, 1), (M, 1)),
    ("selu", "selu_", "celu", "celu_"): ((C, 1), (E, 1), (A, 1), (M, 2)),
    # log1p(exp(beta x)) / beta, linear above the threshold (a comparison).
    ("softplus",): ((M, 1), (E, 2), (D, 1), (C, 1)),
    # x * tanh(log1p(exp(x))).
    ("mish", "mish_"): ((E, 3), (M, 1)),
    ("log_sigmoid_forward",): ((E, 2), (A, 1)),
    ("_prelu_kernel", "prelu"): ((C, 1), (M, 1)),
    ("hardshrink", "softshrink"): ((C, 2),),
    # self + value * t1 * t2; self + value * t1 / t2; a + w * (b - a).
    ("addcmul", "addcmul_"): ((M, 2), (A, 1)),
    ("addcdiv", "addcdiv_"): ((D, 1), (M, 1), (A, 1)),
    ("lerp", "lerp_"): ((A, 2), (M, 1)),
    ("square",): ((M, 1),),
}


def _recipe(costs: tuple[tuple[OpClass, int], ...]) -> Any:
    def count(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
        return f.per_element(_shape(first_output(out)), costs)

    return count


for _names, _costs in _RECIPES.items():
    for _name in _names:
        rule(_name)(_recipe(_costs))


@rule("pow", "pow_")
def _pow(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    # x**n for a whole n >= 1 is n - 1 multiplications (x**2 is x * x; a negative n adds one division); any other
    # exponent, or a tensor exponent, is a transcendental (exp(n * log x)).
    shape = _shape(first_output(out))
    exponent = args[1]
    if isinstance(args[0], (int, float)) or not isinstance(exponent, (int, float)) or exponent != int(exponent):
        return (f.elementwise(E, shape),)
    n = abs(int(exponent))
    terms = (f.elementwise(M, shape, n - 1),) if n > 1 else ()
    return terms + ((f.elementwise(D, shape),) if exponent < 0 else ())


@rule("amax", "amin", "max", "min", "argmax", "argmin", "aminmax", "any", "all")
def _extremum(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    # max(a, b) of two tensors is one comparison per output element; a reduction of n elements is n - 1.
    if len(args) > 1 and hasattr(args[1], "shape"):
        return (f.elementwise(C, _shape(first_output(out))),)
    return (f.reduction_cmps(_shape(args[0]), _shape(first_output(out))),)


@rule("prod")
def _prod(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    return (f.Term(M, f.reduction_cmps(_shape(args[0]), _shape(out)).count, "numel(in)-numel(out)"),)


def _scan(op_class: OpClass) -> Any:
    def count(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
        x = args[0]
        shape = _shape(x) or (1,)
        return (f.scan_ops(op_class, shape, int(_arg(args, kwargs, 1, "dim")) % len(shape)),)

    return count


for _names, _class in ((("cumsum", "cumsum_"), A), (("cumprod", "cumprod_"), M), (("cummax", "cummin"), C)):
    for _name in _names:
        rule(_name)(_scan(_class))


def _moments(root: bool) -> Any:
    def count(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
        return f.moments(_shape(args[0]), _shape(first_output(out)), mean=True, root=root)

    return count


for _name in ("var", "var_mean"):
    rule(_name)(_moments(root=False))
for _name in ("std", "std_mean"):
    rule(_name)(_moments(root=True))


@rule("linalg_vector_norm")
def _vector_norm(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    order = float(_arg(args, kwargs, 1, "ord", 2))
    return f.vector_norm(_shape(args[0]), _shape(out), order)


@rule("logsumexp")
def _logsumexp(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    # max (n - 1 comparisons), exp(x - max) (a subtraction and an exp each), the sum, and one log per output.
    n_in, n_out = args[0].numel(), out.numel()
    return (f.Term(C, n_in - n_out, "numel(in)-numel(out)"), f.Term(A, 2 * n_in, "2*numel(in)"),
            f.Term(E, n_in + n_out, "numel(in)+numel(out)"))


@rule("glu")
def _glu(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    return f.per_element(_shape(out), ((E, 1), (M, 1)))  # a * sigmoid(b)


@rule("index_put", "index_put_", "_unsafe_index_put")
def _index_put(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    # A write is data movement; accumulate=True adds every value into its slot.
    if bool(_arg(args, kwargs, 3, "accumulate", False)):
        return (f.elementwise(A, _shape(args[2])),)
    return ()


_REDUCE_CLASS = {"add": A, "sum": A, "multiply": M, "prod": M, "mean": A, "amax": C, "amin": C}


@rule("scatter", "scatter_")
def _scatter(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    # (self, dim, index, src|value, *, reduce): a plain scatter writes; reduce="add"/"multiply" combines each value.
    reduce = kwargs.get("reduce", args[4] if len(args) > 4 else None)
    if reduce is None:
        return ()
    return (f.elementwise(_REDUCE_CLASS[reduce], _shape(args[2])),)


@rule("scatter_add", "scatter_add_", "index_add", "index_add_")
def _scatter_add(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    return (f.elementwise(A, _shape(args[3])),)  # (self, dim, index, src): one addition per source element


@rule("scatter_reduce", "scatter_reduce_")
def _scatter_reduce(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    # (self, dim, index, src, reduce, include_self): one combination per source element; a mean divides each slot.
    reduce = str(_arg(args, kwargs, 4, "reduce"))
    terms = (f.elementwise(_REDUCE_CLASS[reduce], _shape(args[3])),)
    return terms + ((f.average_divs(_shape(out)),) if reduce == "mean" else ())


_UPSAMPLE = {
    "upsample_nearest1d": "nearest", "upsample_nearest2d": "nearest", "upsample_nearest3d": "nearest",
    "_upsample_nearest_exact1d": "nearest", "_upsample_nearest_exact2d": "nearest",
    "_upsample_nearest_exact3d": "nearest", "upsample_linear1d": "linear", "upsample_bilinear2d": "bilinear",
    "upsample_trilinear3d": "trilinear", "upsample_bicubic2d": "bicubic",
}


def _upsample(mode: str) -> Any:
    def count(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
        return f.upsample(mode, _shape(out))

    return count


for _name, _mode in _UPSAMPLE.items():
    rule(_name)(_upsample(_mode))


@rule("grid_sampler_2d", "grid_sampler_3d")
def _grid_sample(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    # (input, grid, interpolation_mode 0 bilinear / 1 nearest / 2 bicubic, ...); 3-d bilinear is trilinear.
    mode = int(_arg(args, kwargs, 2, "interpolation_mode", 0))
    linear = "trilinear" if out.dim() == 5 else "bilinear"
    return f.upsample({0: linear, 1: "nearest", 2: "bicubic"}[mode], _shape(out))
