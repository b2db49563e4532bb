"""``resnet-table1`` (He et al., arXiv:1512.03385, Table 1's FLOPs row; v1 and v1.5 side by side, with torchvision's
published figures for its v1.5 layout) and ``resnet-cifar`` (the CIFAR networks' parameter counts, Table 6)."""

from __future__ import annotations

from archcost.reproduction import models
from archcost.reproduction.core import Check, Reproduction, judge, sources
from archcost.reproduction.explain import Candidate
from archcost.reproduction.figures import load

DEPTHS = (18, 34, 50, 101, 152)


def _name(depth: int, v15: bool) -> str:
    # Basic-block networks have no 1x1 to stride on: v1 and v1.5 are the same network.
    return f"resnet{depth}-v1.5" if v15 and depth >= 50 else f"resnet{depth}"


def _depth(row: str) -> int:
    return int(row.split()[0].removeprefix("ResNet-"))


def _macs(depth: int, v15: bool) -> int:
    return models.analysis(_name(depth, v15)).totals["macs"]


def _no_classifier(depth: int, v15: bool) -> int:
    analysis = models.analysis(_name(depth, v15))
    return analysis.totals["macs"] - analysis.layer("fc")["macs"]


def reproduce_table1() -> Reproduction:
    target = "resnet-table1"
    paper: list[Check] = []
    torchvision: list[Check] = []
    params: list[Check] = []
    for p in load(target):
        depth = _depth(p.row)
        v15 = "v1.5" in p.row or "torchvision" in p.row
        other = "v1 layout (stride on the first 1x1)" if v15 else "v1.5 layout (stride on the 3x3)"
        if p.quantity == "params":
            params.append(Check(p, models.analysis(_name(depth, v15)).totals["params"]))
            continue
        alternatives = [Candidate("without the classifier", _no_classifier(depth, v15))]
        if depth >= 50:
            alternatives.insert(0, Candidate(other, _macs(depth, not v15)))
        (torchvision if v15 else paper).append(Check(p, _macs(depth, v15), alternatives=alternatives))
    side_by_side = [
        Check(None, _macs(d, True) - _macs(d, False), row=f"ResNet-{d}: v1.5 - v1", quantity="MACs", unit="MACs",
              note=f"v1.5 costs {100 * (_macs(d, True) / _macs(d, False) - 1):.1f}% more: its strided 3x3 sees the "
                   f"full-resolution map that v1's strided 1x1 subsamples first")
        for d in DEPTHS if d >= 50
    ]
    rows = judge(paper) + judge(torchvision) + judge(params) + judge(side_by_side)
    return Reproduction(target, "ResNet, Table 1 (v1) and torchvision's v1.5", rows, [], sources(load(target)))


def reproduce_cifar() -> Reproduction:
    target = "resnet-cifar"
    checks = [Check(p, models.params(f"resnet{_depth(p.row)}")) for p in load(target)]
    return Reproduction(target, "ResNet on CIFAR-10 (6n+2 layers), Table 6 parameter counts", judge(checks), [],
                        sources(load(target)))
