"""Pure per-op cost formulas over shapes. Torch-free: every function takes tuples and ints and returns ints.

Each formula returns :class:`Term` values: an op class, a count, the formula as a reader would write it, and the
dimensions substituted in it, so ``archcost table --explain`` can show every figure as a hand computation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import prod

from archcost.counting.opclass import OpClass
from archcost.shapes import ceil_div

Shape = Sequence[int]


@dataclass(frozen=True, slots=True)
class Term:
    op_class: OpClass
    count: int
    formula: str
    values: tuple[tuple[str, int], ...] = ()
    # The call the op came from, where the dispatcher alone cannot tell and a convention needs it: fvcore counts by
    # jit-level op name, so a mean emitted by adaptive_avg_pool2d counts there and an explicit mean does not.
    origin: str = ""

    def explain(self) -> str:
        if not self.values:
            return f"{self.formula} = {self.count:,} {self.op_class.value}"
        substituted = self.formula
        for symbol, value in sorted(self.values, key=lambda sv: -len(sv[0])):
            substituted = substituted.replace(symbol, str(value))
        return f"{self.formula} = {substituted} = {self.count:,} {self.op_class.value}"


def conv_macs(input_shape: Shape, weight_shape: Shape, output_shape: Shape, *, transposed: bool, groups: int) -> Term:
    """MACs of an N-d convolution, bias excluded.

    Direct: every output element of every output channel takes K (kernel taps) x C_in/groups products.
    Transposed: every input element is scattered through K taps into C_out/groups channels, so the count runs over the
    input's spatial size; the weight is stored as [C_in, C_out/groups, k...].
    """
    kernel = tuple(weight_shape[2:])
    n = input_shape[0]
    names = "K_d*K_h*K_w"[-(4 * len(kernel) - 1):] if len(kernel) <= 3 else "K"
    k_values = tuple(zip(("K_d", "K_h", "K_w")[-len(kernel):], kernel)) if len(kernel) <= 3 else (("K", prod(kernel)),)
    if not transposed:
        c_out, c_in_per_group = weight_shape[0], weight_shape[1]
        spatial = tuple(output_shape[2:])
        count = n * prod(spatial) * c_out * c_in_per_group * prod(kernel)
        sp_names = ("D_out", "H_out", "W_out")[-len(spatial):]
        formula = f"{names}*(C_in/groups)*C_out*{'*'.join(sp_names)}*N"
        values = (*k_values, ("C_in", c_in_per_group * groups), ("groups", groups), ("C_out", c_out),
                  *zip(sp_names, spatial), ("N", n))
    else:
        c_in, c_out_per_group = weight_shape[0], weight_shape[1]
        spatial = tuple(input_shape[2:])
        count = n * prod(spatial) * c_in * c_out_per_group * prod(kernel)
        sp_names = ("D_in", "H_in", "W_in")[-len(spatial):]
        formula = f"{names}*C_in*(C_out/groups)*{'*'.join(sp_names)}*N"
        values = (*k_values, ("C_in", c_in), ("C_out", c_out_per_group * groups), ("groups", groups),
                  *zip(sp_names, spatial), ("N", n))
    return Term(OpClass.MACS, count, formula, values)


def matmul_macs(a_shape: Shape, b_shape: Shape) -> Term:
    """MACs of (..., M, K) @ (..., K, N) with the leading (batch) dimensions already broadcast equal."""
    *batch, m, k = a_shape
    n = b_shape[-1]
    b = prod(batch)
    if batch:
        return Term(OpClass.MACS, b * m * k * n, "B*M*K*N", (("B", b), ("M", m), ("K", k), ("N", n)))
    return Term(OpClass.MACS, m * k * n, "M*K*N", (("M", m), ("K", k), ("N", n)))


def grouped_mm_macs(a_shape: Shape, b_shape: Shape) -> Term:
    """MACs of torch._grouped_mm / _scaled_grouped_mm (the experts' matmuls of a mixture of experts), bias excluded.

    Four layouts, G groups (torch's aten/src/ATen/native/GroupedMMUtils.h):

    - 3d x 3d, (G, M, K) @ (G, K, N): a batched matmul, G*M*K*N.
    - 2d x 3d, (M_total, K) @ (G, K, N), ``offs`` splitting the rows: group g multiplies its M_g rows by its own
      (K, N) matrix, and the sum over groups of M_g*K*N is M_total*K*N.
    - 3d x 2d, (G, M, K) @ (K, N_total), ``offs`` splitting the columns: the sum of M*K*N_g is M*K*N_total.
    - 2d x 2d, (M, K_total) @ (K_total, N) -> (G, M, N), ``offs`` splitting K: the sum of M*K_g*N is M*K_total*N.

    So the count depends on the shapes alone, never on ``offs``'s values (which meta tensors do not have): exact when
    the groups cover the split dimension (offs[-1] equals its size), as transformers' MoE layers always make them,
    every routed token row belonging to one expert. Rows or columns past offs[-1] are computed by no group, and would
    be counted here anyway."""
    m, k = a_shape[-2], a_shape[-1]
    n = b_shape[-1]
    if len(a_shape) == 3 and len(b_shape) == 3:
        g = a_shape[0]
        return Term(OpClass.MACS, g * m * k * n, "G*M*K*N", (("G", g), ("M", m), ("K", k), ("N", n)))
    return Term(OpClass.MACS, m * k * n, "M*K*N", (("M", m), ("K", k), ("N", n)))


def bias_adds(output_shape: Shape) -> Term:
    """One addition per output element for a bias (or the ``beta * C`` of addmm/baddbmm)."""
    return Term(OpClass.ADDS, prod(output_shape), "numel(out)", (("numel(out)", prod(output_shape)),))


def elementwise(op_class: OpClass, output_shape: Shape, per_element: int = 1) -> Term:
    """One op (or ``per_element`` ops) per output element: add, mul, relu, sigmoid, ..."""
    numel = prod(output_shape)
    if per_element == 1:
        return Term(op_class, numel, "numel(out)", (("numel(out)", numel),))
    return Term(op_class, numel * per_element, "numel(out)*k", (("numel(out)", numel), ("k", per_element)))


def reduction_adds(input_shape: Shape, output_shape: Shape) -> Term:
    """Accumulating every input element once (sum, mean, global average pooling)."""
    numel = prod(input_shape)
    return Term(OpClass.ADDS, numel, "numel(in)", (("numel(in)", numel),))


def average_divs(output_shape: Shape) -> Term:
    numel = prod(output_shape)
    return Term(OpClass.DIVS, numel, "numel(out)", (("numel(out)", numel),))


def max_pool_cmps(output_shape: Shape, kernel: Shape) -> Term:
    """A window of k taps needs k - 1 comparisons per output element."""
    numel, taps = prod(output_shape), prod(kernel)
    return Term(OpClass.CMPS, numel * (taps - 1), "numel(out)*(K-1)", (("numel(out)", numel), ("K", taps)))


def adaptive_window_taps(size_in: int, size_out: int) -> int:
    """The taps of all ``size_out`` adaptive windows along one dimension, summed: window i spans
    [floor(i*In/Out), ceil((i+1)*In/Out)), so windows overlap when In is not a multiple of Out."""
    return sum(ceil_div((i + 1) * size_in, size_out) - (i * size_in) // size_out for i in range(size_out))


def adaptive_max_pool_cmps(input_shape: Shape, output_shape: Shape, *, spatial: int) -> Term:
    """Adaptive max pooling over the last ``spatial`` dimensions: each output element compares the taps of its own
    window, minus one. Windows are a product over dimensions, so the taps of every window together are the product of
    the per-dimension sums."""
    lead = prod(output_shape[:-spatial])
    taps = prod(adaptive_window_taps(i, o) for i, o in zip(input_shape[-spatial:], output_shape[-spatial:]))
    outputs = prod(output_shape[-spatial:])
    count = lead * (taps - outputs)
    return Term(OpClass.CMPS, count, "N*C*(sum of window taps - numel(window grid))",
                (("N*C", lead), ("sum of window taps", taps), ("numel(window grid)", outputs)))


def avg_pool_adds(output_shape: Shape, kernel: Shape) -> Term:
    numel, taps = prod(output_shape), prod(kernel)
    return Term(OpClass.ADDS, numel * taps, "numel(out)*K", (("numel(out)", numel), ("K", taps)))


def norm_ops(input_shape: Shape, *, kind: str, affine: bool) -> Term:
    """Normalisation cost per element, fvcore's model so the ``fvcore`` convention agrees with fvcore exactly.

    Batch norm at inference is a scale and a shift (2 per element with affine parameters, 1 without); layer, group
    and instance norm, and batch norm that computes its statistics (``kind="batch-statistics"``: instance norm
    reaches the dispatcher as one), work them out on the fly (5 per element with affine, 4 without).
    """
    numel = prod(input_shape)
    if kind == "batch":
        per = 2 if affine else 1
    else:
        per = 5 if affine else 4
    return Term(OpClass.NORM, numel * per, "numel(in)*k", (("numel(in)", numel), ("k", per)))


def broadcast_shape(a: Shape, b: Shape) -> tuple[int, ...]:
    """NumPy broadcasting of two shapes (sizes already known compatible)."""
    rank = max(len(a), len(b))
    a, b = (1,) * (rank - len(a)) + tuple(a), (1,) * (rank - len(b)) + tuple(b)
    return tuple(max(x, y) if 1 in (x, y) else x for x, y in zip(a, b))


def per_element(output_shape: Shape, costs: Sequence[tuple[OpClass, int]]) -> tuple[Term, ...]:
    """A fixed recipe per output element, one term per class: ``((OpClass.MULS, 2), (OpClass.ADDS, 1))``."""
    return tuple(elementwise(op_class, output_shape, k) for op_class, k in costs if k)


def dot_macs(k: int) -> Term:
    """A dot product of two K-vectors (dot, vdot): K MACs."""
    return Term(OpClass.MACS, k, "K", (("K", k),))


def matvec_macs(m: int, k: int) -> Term:
    """(M, K) @ (K,): one K-long dot product per output element, M*K MACs (mv, addmv)."""
    return Term(OpClass.MACS, m * k, "M*K", (("M", m), ("K", k)))


def trilinear_macs(i1: Shape, i2: Shape, i3: Shape, sumdim: Sequence[int], expand3: Sequence[int]) -> Term:
    """MACs of aten._trilinear (nn.Bilinear) on its already-expanded operands, in the kernel's own order.

    The kernel first contracts i1 with i2 over the summed dimensions that i3 lacks (``expand3``; for nn.Bilinear:
    x1^T W, N*K*I*J), then contracts that with i3 over the other summed dimensions (the J-long dot with x2, N*K*J).
    Each contraction costs one MAC per element of its operands' broadcast volume.
    """
    early = set(sumdim) & set(expand3)
    pair = broadcast_shape(i1, i2)
    first = prod(pair)
    reduced = tuple(1 if d in early else n for d, n in enumerate(pair))
    second = prod(broadcast_shape(reduced, i3))
    return Term(OpClass.MACS, first + second, "vol(i1*i2) + vol(i1i2*i3)", (("vol(i1*i2)", first),
                                                                            ("vol(i1i2*i3)", second)))


def reduction_cmps(input_shape: Shape, output_shape: Shape) -> Term:
    """max/min over a dimension (amax, amin, argmax): a group of n elements needs n - 1 comparisons."""
    numel_in, numel_out = prod(input_shape), prod(output_shape)
    return Term(OpClass.CMPS, numel_in - numel_out, "numel(in)-numel(out)",
                (("numel(in)", numel_in), ("numel(out)", numel_out)))


def scan_ops(op_class: OpClass, shape: Shape, dim: int) -> Term:
    """cumsum / cumprod: a running sum along a row of n elements needs n - 1 additions (multiplications)."""
    numel = prod(shape)
    rows = numel // shape[dim] if shape and shape[dim] else 0
    return Term(op_class, numel - rows, "numel-rows", (("numel", numel), ("rows", rows)))


def moments(input_shape: Shape, output_shape: Shape, *, mean: bool, root: bool) -> tuple[Term, ...]:
    """var / std / var_mean / std_mean, the two-pass way: the mean (numel(in) adds, one division per output), then
    each deviation (a subtraction) squared (a multiplication) and summed (an addition), one division per output for
    the variance; ``root`` adds a square root per output (std). ``mean`` only says the mean is returned too: it is
    computed either way."""
    n_in, n_out = prod(input_shape), prod(output_shape)
    terms = [Term(OpClass.ADDS, 3 * n_in, "3*numel(in)", (("numel(in)", n_in),)),
             Term(OpClass.MULS, n_in, "numel(in)", (("numel(in)", n_in),)),
             Term(OpClass.DIVS, 2 * n_out, "2*numel(out)", (("numel(out)", n_out),))]
    if root:
        terms.append(Term(OpClass.EXPS, n_out, "numel(out)", (("numel(out)", n_out),)))
    return tuple(terms)


def vector_norm(input_shape: Shape, output_shape: Shape, order: float) -> tuple[Term, ...]:
    """linalg_vector_norm. ord 2: a square per element (mul), a running sum (add), a square root per output.
    ord 1: |x| (a compare) and a sum. ord inf/-inf: |x| and a running max (a compare each). ord 0: a test against
    zero and a sum. Any other p: |x|, x^p (transcendental), a sum, and the p-th root per output."""
    n_in, n_out = prod(input_shape), prod(output_shape)
    ins = (("numel(in)", n_in),)
    if order == 2:
        return (Term(OpClass.MULS, n_in, "numel(in)", ins), Term(OpClass.ADDS, n_in, "numel(in)", ins),
                Term(OpClass.EXPS, n_out, "numel(out)", (("numel(out)", n_out),)))
    if order in (1, 0):
        return (Term(OpClass.CMPS, n_in, "numel(in)", ins), Term(OpClass.ADDS, n_in, "numel(in)", ins))
    if order in (float("inf"), float("-inf")):
        return (Term(OpClass.CMPS, 2 * n_in, "2*numel(in)", ins),)
    return (Term(OpClass.CMPS, n_in, "numel(in)", ins), Term(OpClass.EXPS, n_in + n_out, "numel(in)+numel(out)",
                                                              ins + (("numel(out)", n_out),)),
            Term(OpClass.ADDS, n_in, "numel(in)", ins))


# Interpolation taps per output element: a linear mode weighs 2 neighbours per interpolated dimension.
_TAPS = {"nearest": 0, "linear": 2, "bilinear": 4, "trilinear": 8, "bicubic": 16}


def upsample(mode: str, output_shape: Shape) -> tuple[Term, ...]:
    """Interpolation per output element, with the per-row/column weights precomputed (as torch's kernels do).

    A mode with T taps (linear 2, bilinear 4, trilinear 8, bicubic 16) takes T multiplications and T - 1 additions.
    Nearest computes one source coordinate (dst * scale) and copies: one multiplication. fvcore's handles count the
    same per-element figures for the two modes it knows (bilinear 4, nearest 1).
    """
    taps = _TAPS[mode]
    if taps == 0:
        return (elementwise(OpClass.MULS, output_shape),)
    return (elementwise(OpClass.MULS, output_shape, taps), elementwise(OpClass.ADDS, output_shape, taps - 1))
