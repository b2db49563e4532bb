"""Which terms a counting convention puts in the headline ``ops`` figure. Pure: no torch."""

from __future__ import annotations

from archcost.counting.formulas import Term
from archcost.counting.opclass import Convention, OpClass

# fvcore's default handles cover MACs, norm layers and adaptive average pooling (input elements, once each).
# fvcore sees aten::adaptive_avg_pool2d in its jit trace; at the dispatcher a global pool has already become a mean.
_FVCORE_POOLS = frozenset({"mean", "_adaptive_avg_pool2d"})


def counts_in(convention: Convention, op: str, term: Term) -> bool:
    if convention is Convention.PAPER:
        return term.op_class is OpClass.MACS
    if convention is Convention.FULL:
        return term.op_class is not OpClass.NONE
    if term.op_class in (OpClass.MACS, OpClass.NORM):
        return True
    return term.op_class is OpClass.ADDS and op in _FVCORE_POOLS


DESCRIPTIONS: dict[Convention, str] = {
    Convention.PAPER: "conv + linear multiply-accumulates, biases not counted (the papers' 'FLOPs'/'multiply-adds')",
    Convention.FVCORE: "what fvcore's default handles count: MACs, norm layers, adaptive average pooling",
    Convention.FULL: "every arithmetic op: MACs, adds, muls, comparisons, divisions, transcendentals, norm",
}
