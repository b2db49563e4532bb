"""``vgg-alexnet``: VGG's Table 2 parameter counts (arXiv:1409.1556), AlexNet's 60 million parameters, and the ResNet
paper's figures for VGG (15.3/19.6 billion FLOPs) and its claims against them (18%, 8x deeper, lower complexity)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from archcost.reproduction import models
from archcost.reproduction.core import Check, Reproduction, judge, sources
from archcost.reproduction.explain import Candidate
from archcost.reproduction.figures import load

if TYPE_CHECKING:
    from archcost.result import Analysis

TARGET = "vgg-alexnet"
NETWORKS = {"VGG A (vgg11)": "vgg11", "VGG B (vgg13)": "vgg13", "VGG D (vgg16)": "vgg16", "VGG E (vgg19)": "vgg19",
            "VGG-16": "vgg16", "VGG-19": "vgg19", "AlexNet": "alexnet",
            "AlexNet (one weird trick; torchvision)": "alexnet-owt"}


def weighted_depth(analysis: Analysis) -> int:
    """Layers with weights on the main path: convolutions and fully connected layers, shortcut projections aside."""
    return sum(1 for r in analysis.rows if r["type"] in ("Conv2d", "Linear") and "shortcut" not in r["name"])


def _classifier_macs(analysis: Analysis) -> int:
    return sum(r["macs"] for r in analysis.rows if r["type"] == "Linear")


def reproduce() -> Reproduction:
    params, macs, claims = [], [], []
    for p in load(TARGET):
        if p.kind == "row":
            t = models.analysis(NETWORKS[p.row])
            if p.quantity == "params":
                params.append(Check(p, t.totals["params"], alternatives=[
                    Candidate("without the classifier", t.totals["params"] - sum(
                        r["params"] for r in t.rows if r["type"] == "Linear"))]))
            else:
                macs.append(Check(p, t.totals["macs"], alternatives=[
                    Candidate("convolutions only (without the fully connected layers)",
                              t.totals["macs"] - _classifier_macs(t))]))
    resnet34, resnet152 = models.analysis("resnet34"), models.analysis("resnet152")
    vgg16, vgg19 = models.analysis("vgg16"), models.analysis("vgg19")
    conv_only = vgg19.totals["macs"] - _classifier_macs(vgg19)
    computed = {
        "MACs ratio ResNet-34 / VGG-19": Check(None, 100 * resnet34.totals["macs"] / vgg19.totals["macs"],
                                               alternatives=[Candidate("against VGG-19's convolutions only",
                                                                       100 * resnet34.totals["macs"] / conv_only)]),
        "depth ratio ResNet-152 / VGG-19": Check(None, weighted_depth(resnet152) / weighted_depth(vgg19),
                                                 note=f"{weighted_depth(resnet152)} and {weighted_depth(vgg19)} "
                                                      f"weighted layers"),
        "MACs ratio ResNet-152 / VGG-16": Check(None, resnet152.totals["macs"] / vgg16.totals["macs"]),
    }
    for p in load(TARGET):
        if p.kind == "claim":
            c = computed[p.quantity]
            claims += judge([Check(p, c.computed, alternatives=c.alternatives, note=c.note)])
    return Reproduction(TARGET, "VGG and AlexNet: published sizes, and ResNet's claims against VGG",
                        judge(params) + judge(macs), claims, sources(load(TARGET)))
