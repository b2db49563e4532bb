"""MobileNets as data: v1 (depthwise-separable convolutions) and v2 (inverted residuals with linear bottlenecks).

Howard et al., "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications",
arXiv:1704.04861, 2017, Table 1; Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks",
arXiv:1801.04381, 2018, Table 2.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from archcost.zoo.registry import Paper, load, register

V1_PAPER = Paper("MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications", "1704.04861",
                 2017, "Table 1")
V2_PAPER = Paper("MobileNetV2: Inverted Residuals and Linear Bottlenecks", "1801.04381", 2018, "Table 2")


@dataclass(frozen=True)
class SeparableRow:
    """One "Conv dw / s + Conv 1x1" pair of Table 1: a 3x3 depthwise conv of stride ``stride`` then a pointwise conv
    to ``out`` channels, each followed by batch norm and ReLU."""

    stride: int
    out: int


@dataclass(frozen=True)
class MobileNetV1Config:
    stem: int = 32  # Table 1's first row: full 3x3/2 conv to 32 channels
    rows: tuple[SeparableRow, ...] = ()


# Table 1, top to bottom after the stem. The paper prints the last depthwise conv as "s2" on a 7x7 input with a 7x7
# output; that is a misprint (every implementation, the paper's own included, uses stride 1 there).
MOBILENET_V1 = MobileNetV1Config(rows=tuple(SeparableRow(*r) for r in (
    (1, 64), (2, 128), (1, 128), (2, 256), (1, 256), (2, 512),
    (1, 512), (1, 512), (1, 512), (1, 512), (1, 512),
    (2, 1024), (1, 1024),
)))


@dataclass(frozen=True)
class BottleneckRow:
    """One row of Table 2: expansion factor t, output channels c, repeats n, stride s of the first repeat."""

    expand: int
    out: int
    repeats: int
    stride: int


@dataclass(frozen=True)
class MobileNetV2Config:
    stem: int = 32
    rows: tuple[BottleneckRow, ...] = ()
    last: int = 1280  # Table 2's final 1x1 conv
    dropout: float = 0.2  # torchvision's classifier dropout (the paper does not state one)


# Table 2 between the 3x3/2 stem conv (32) and the final 1x1 conv (1280).
MOBILENET_V2 = MobileNetV2Config(rows=tuple(BottleneckRow(*r) for r in (
    (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
)))


def make_divisible(value: float, divisor: int = 8) -> int:
    """Round a scaled channel count to a multiple of ``divisor`` without losing more than 10% (the reference
    implementations' ``_make_divisible``, shared by MobileNet v2 and EfficientNet)."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


# name: (paper, config, the network class as a lazy reference (the zoo never imports the blocks), notes).
ENTRIES: dict[str, tuple[Paper, MobileNetV1Config | MobileNetV2Config, str, str]] = {
    "mobilenet-v1": (V1_PAPER, MOBILENET_V1, "archcost.blocks.mobilenet:MobileNetV1",
                     "width multiplier 1.0; bias-free convs with batch norm, as in the common implementation"),
    "mobilenet-v2": (V2_PAPER, MOBILENET_V2, "archcost.blocks.mobilenet:MobileNetV2",
                     "width multiplier 1.0; torchvision's layout (ReLU6, dropout 0.2)"),
}


def make_builder(config: MobileNetV1Config | MobileNetV2Config, network: str) -> Callable[..., Any]:
    def build(*, num_classes: int = 1000, width_mult: float = 1.0) -> Any:
        return load(network)(config, num_classes=num_classes, width_mult=width_mult)

    return build


for _name, (_paper, _config, _network, _notes) in ENTRIES.items():
    register(_name, family="mobilenet", paper=_paper, input_shape=(3, 224, 224), notes=_notes)(
        make_builder(_config, _network))
