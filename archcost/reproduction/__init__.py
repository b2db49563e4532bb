"""Published cost tables next to the computed ones: ``archcost.reproduce(target)``, this package's
:func:`reproduce` (bound in ``archcost/__init__.py``).

Each target is one small module; this index is torch-free so that listing targets and parsing arguments stay fast.
Published figures come only from the data files of :mod:`archcost.published`; every computed value comes from the
engine (:func:`archcost.analyze` on the meta device).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING

from archcost.errors import UsageError

if TYPE_CHECKING:
    from archcost.reproduction.core import Reproduction

__all__ = ["TARGETS", "Target", "reproduce", "target_names"]


@dataclass(frozen=True)
class Target:
    name: str
    module: str  # archcost.reproduction.<module>
    function: str
    about: str


TARGETS: dict[str, Target] = {t.name: t for t in (
    Target("googlenet-table1", "googlenet", "reproduce", "GoogLeNet Table 1, row by row, and the paper's claims"),
    Target("inception-module", "inception", "reproduce", "the lecture's naive 854M vs bottleneck 358M module"),
    Target("keras-fmnist", "keras", "reproduce", "the lecture's Keras Fashion-MNIST summary and totals"),
    Target("resnet-table1", "resnet", "reproduce_table1", "ResNet Table 1 FLOPs, v1 and v1.5 side by side"),
    Target("resnet-cifar", "resnet", "reproduce_cifar", "ResNet CIFAR-10 parameter counts (Table 6)"),
    Target("efficientnet-table2", "efficientnet", "reproduce", "EfficientNet-B0..B7 params and FLOPs (Table 2)"),
    Target("stochastic-depth", "stochastic", "reproduce", "stochastic depth's ~25% training saving"),
    Target("preact-cifar", "preact", "reproduce", "pre-activation CIFAR ResNet parameter counts"),
    Target("resnext-budget", "resnext", "reproduce", "ResNeXt-50 (32x4d) vs ResNet-50 at the same budget"),
    Target("vgg-alexnet", "vgg_alexnet", "reproduce", "VGG/AlexNet sizes and ResNet's claims against VGG"),
    Target("highway-vs-residual", "highway", "reproduce", "what a highway block's gate costs"),
)}


def target_names() -> list[str]:
    return list(TARGETS)


def check_targets(names: list[str]) -> list[str]:
    """The targets asked for (all when none), refusing an unknown one with the list of known ones."""
    unknown = [n for n in names if n not in TARGETS]
    if unknown:
        raise UsageError(f"unknown reproduce target {unknown[0]!r}; known targets: {', '.join(TARGETS)}")
    return names or list(TARGETS)


def reproduce(target: str) -> Reproduction:
    """Every printed figure of ``target`` beside the computed value, with status and explanation."""
    (name,) = check_targets([target])
    spec = TARGETS[name]
    return getattr(import_module(f"archcost.reproduction.{spec.module}"), spec.function)()
