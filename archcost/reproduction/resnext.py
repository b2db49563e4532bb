"""``resnext-budget``: Xie et al., arXiv:1611.05431, Table 1: ResNeXt-50 (32x4d) at the budget of ResNet-50, and
torchvision's exact parameter counts of the ResNeXt rows. ResNeXt's ResNet-50 strides on the 3x3 (v1.5)."""

from __future__ import annotations

from archcost.reproduction import models
from archcost.reproduction.core import Check, Reproduction, judge, sources
from archcost.reproduction.explain import Candidate
from archcost.reproduction.figures import load

TARGET = "resnext-budget"
NETWORKS = {"ResNet-50": "resnet50-v1.5", "ResNeXt-50 (32x4d)": "resnext50-32x4d",
            "ResNeXt-101 (32x8d)": "resnext101-32x8d", "ResNeXt-101 (64x4d)": "resnext101-64x4d"}


def reproduce() -> Reproduction:
    params, macs = [], []
    for p in load(TARGET):
        name = NETWORKS[p.row.removesuffix(" (torchvision)")]
        if p.quantity == "params":
            params.append(Check(p, models.params(name)))
        else:
            t = models.analysis(name).totals
            alternatives = [Candidate("the paper's v1 layout of ResNet-50 (stride on the first 1x1)",
                                      models.analysis("resnet50").totals["macs"])] if name == "resnet50-v1.5" else []
            macs.append(Check(p, t["macs"], alternatives=alternatives))
    resnet, resnext = (models.analysis(NETWORKS[k]).totals for k in ("ResNet-50", "ResNeXt-50 (32x4d)"))
    budget = [
        Check(None, resnext["params"] - resnet["params"], row="ResNeXt-50 - ResNet-50", quantity="params",
              unit="params", note=f"{100 * (resnext['params'] / resnet['params'] - 1):+.1f}%"),
        Check(None, resnext["macs"] - resnet["macs"], row="ResNeXt-50 - ResNet-50", quantity="MACs", unit="MACs",
              note=f"{100 * (resnext['macs'] / resnet['macs'] - 1):+.1f}%"),
    ]
    rows = judge(params) + judge(macs) + judge(budget)
    return Reproduction(TARGET, "ResNeXt-50 (32x4d) against ResNet-50: the same budget", rows, [],
                        sources(load(TARGET)))
