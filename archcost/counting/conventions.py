"""Which terms a counting convention puts in the headline ``ops`` figure. Pure: no torch."""

from __future__ import annotations

from archcost.counting.formulas import Term
from archcost.counting.opclass import Convention, OpClass

# fvcore's default handles, by the jit-level op each one sees: MACs of conv/linear/matmul/einsum, the norm layers
# (fvcore's per-element model, as formulas.norm_ops), adaptive_avg_pool2d (input elements, once each),
# upsample_nearest2d (1 per output element) and upsample_bilinear2d (4), grid_sampler (4, "assume bilinear").
# At the dispatcher a global 2-d pool has become a mean: rules.py marks the adds of a mean that adaptive_avg_pool2d
# emitted with origin="adaptive_avg_pool2d", so an explicit mean, or a 1-d or 3-d pool, stays out as in fvcore.
_FVCORE_POOL_ORIGIN = "adaptive_avg_pool2d"
_FVCORE_INTERPOLATION = frozenset({"upsample_nearest2d", "upsample_bilinear2d", "grid_sampler_2d"})


def counts_in(convention: Convention, op: str, term: Term) -> bool:
    if convention is Convention.PAPER:
        return term.op_class is OpClass.MACS
    if convention is Convention.FULL:
        return term.op_class is not OpClass.NONE
    if term.op_class in (OpClass.MACS, OpClass.NORM):
        return True
    if term.op_class is OpClass.ADDS:
        return term.origin == _FVCORE_POOL_ORIGIN
    return term.op_class is OpClass.MULS and op in _FVCORE_INTERPOLATION


DESCRIPTIONS: dict[Convention, str] = {
    Convention.PAPER: "conv + linear multiply-accumulates, biases not counted (the papers' 'FLOPs'/'multiply-adds')",
    Convention.FVCORE: "what fvcore's default handles count: MACs, norm layers, 2-d adaptive average pooling, "
                       "nearest and bilinear 2-d upsampling",
    Convention.FULL: "every arithmetic op: MACs, adds, muls, comparisons, divisions, transcendentals, norm",
}
