"""``preact-cifar``: He et al., "Identity Mappings in Deep Residual Networks" (arXiv:1603.05027): parameter counts of
the pre-activation CIFAR networks (110 with basic blocks; 164 and 1001 with bottlenecks)."""

from __future__ import annotations

from archcost.reproduction import models
from archcost.reproduction.core import Check, Reproduction, judge, sources
from archcost.reproduction.explain import Candidate
from archcost.reproduction.figures import load

TARGET = "preact-cifar"


def reproduce() -> Reproduction:
    checks = []
    for p in load(TARGET):
        depth = p.row.split()[0].removeprefix("ResNet-")
        original = f"resnet{depth}"
        alternatives = [Candidate("the original (post-activation) layout", models.params(original))] \
            if models.registered(original) else []
        checks.append(Check(p, models.params(f"preact-resnet{depth}"), alternatives=alternatives))
    return Reproduction(TARGET, "Pre-activation ResNets on CIFAR-10: parameter counts", judge(checks), [],
                        sources(load(TARGET)))
