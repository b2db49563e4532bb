"""``highway-vs-residual``: what the gate of a highway block costs against the residual block it replaces (the
lecture's "Différences avec ResNet"), computed on networks that differ only by the gate."""

from __future__ import annotations

from typing import Any

from archcost.reproduction import models
from archcost.reproduction.core import Check, Reproduction, judge, sources
from archcost.reproduction.figures import load

TARGET = "highway-vs-residual"
PAIRS = (("highway-cifar-20", "resnet20"), ("highway-cifar-56", "resnet56"), ("highway-cifar-110", "resnet110"))


def reproduce() -> Reproduction:
    rows = []
    ratios: dict[str, list[float]] = {"params": [], "MACs": []}
    for highway, residual in PAIRS:
        h: dict[str, Any] = dict(models.analysis(highway).totals)
        r: dict[str, Any] = dict(models.analysis(residual).totals)
        for quantity, key in (("params", "params"), ("MACs", "macs")):
            ratios[quantity].append(h[key] / r[key])
            rows += judge([Check(None, h[key] - r[key], row=f"{highway} - {residual}", quantity=quantity,
                                 unit=quantity, note=f"{h[key]:,} vs {r[key]:,} ({100 * (h[key] / r[key] - 1):+.1f}%)")])
        rows += judge([Check(None, h["exps"] - r["exps"], row=f"{highway} - {residual}", quantity="exps",
                             unit="ops", note="the gates' sigmoids")])
    claims = []
    for p in load(TARGET):
        quantity = "params" if p.quantity.startswith("params") else "MACs"
        claims += judge([Check(p, min(ratios[quantity]), note=f"the smallest ratio of the {len(PAIRS)} pairs")])
    return Reproduction(TARGET, "Highway (gated) blocks against residual blocks", rows, claims,
                        sources(load(TARGET)))
