"""Pure per-op cost formulas over shapes. Torch-free: every function takes tuples and ints and returns ints.

Each formula returns :class:`Term` values: an op class, a count, the formula as a reader would write it, and the
dimensions substituted in it, so ``archcost table --explain`` can show every figure as a hand computation.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import Sequence

from archcost.counting.opclass import OpClass

Shape = Sequence[int]


@dataclass(frozen=True, slots=True)
class Term:
    op_class: OpClass
    count: int
    formula: str
    values: tuple[tuple[str, int], ...] = ()

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


def avg_pool_adds(output_shape: Shape, kernel: Shape) -> Term:
    numel, taps = prod(output_shape), prod(kernel)
    return Term(OpClass.ADDS, numel * taps, "numel(out)*K", (("numel(out)", numel), ("K", taps)))


def norm_ops(input_shape: Shape, *, kind: str, affine: bool) -> Term:
    """Normalisation cost per element, fvcore's model so the ``fvcore`` convention agrees with fvcore exactly.

    Batch norm at inference is a scale and a shift (2 per element with affine parameters, 1 without); layer, group
    and instance norm compute their statistics on the fly (5 per element with affine, 4 without).
    """
    numel = prod(input_shape)
    if kind == "batch":
        per = 2 if affine else 1
    else:
        per = 5 if affine else 4
    return Term(OpClass.NORM, numel * per, "numel(in)*k", (("numel(in)", numel), ("k", per)))


def free(output_shape: Shape) -> Term:
    """Ops that move or reinterpret data but compute nothing (views, cat, copies, padding)."""
    return Term(OpClass.NONE, 0, "0")
