"""``efficientnet-table2``: Tan & Le, arXiv:1905.11946, Table 2: parameters and FLOPs (MACs) of EfficientNet-B0..B7
at their native resolutions."""

from __future__ import annotations

from archcost.reproduction import models
from archcost.reproduction.core import Check, Reproduction, judge, sources
from archcost.reproduction.explain import Candidate
from archcost.reproduction.figures import load

TARGET = "efficientnet-table2"


def reproduce() -> Reproduction:
    params, macs = [], []
    for p in load(TARGET):
        t = models.analysis(p.row.lower()).totals
        if p.quantity == "params":
            params.append(Check(p, t["params"]))
        else:
            # Squeeze-excitation scales each channel by a gate: multiplies that the paper convention leaves out.
            macs.append(Check(p, t["macs"], alternatives=[
                Candidate("with the element-wise multiplies (squeeze-excitation scaling)", t["macs"] + t["muls"])]))
    return Reproduction(TARGET, "EfficientNet-B0..B7, Table 2", judge(params) + judge(macs), [], sources(load(TARGET)))
