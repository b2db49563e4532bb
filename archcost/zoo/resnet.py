"""ResNet as data: the rows of the paper's Table 1 (ImageNet), section 4.2 (CIFAR-10), the v1.5 layout of torchvision,
and stochastic depth as an option on every builder.

He et al., "Deep Residual Learning for Image Recognition", arXiv:1512.03385, 2015, Table 1 and section 4.2.
Huang et al., "Deep Networks with Stochastic Depth", arXiv:1603.09382, 2016, section 3 (linear decay rule, eq. 4).

The dataclasses here are shared by the other residual families (pre-activation, ResNeXt, highway): a variant is a row
of :class:`ResNetConfig`, never a subclass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

from archcost.zoo.registry import Paper, load, register

PAPER = Paper("Deep Residual Learning for Image Recognition", "1512.03385", 2015, "Table 1")
CIFAR_PAPER = replace(PAPER, table="section 4.2 and Table 6")
V15_PAPER = replace(PAPER, table="Table 1, v1.5 layout (stride on the 3x3, as torchvision)")
STOCHASTIC_PAPER = Paper("Deep Networks with Stochastic Depth", "1603.09382", 2016,
                         "section 4, CIFAR-10 ResNet-110 with linear decay to p_L = 0.5")

Block = Literal["basic", "bottleneck"]


@dataclass(frozen=True)
class Stage:
    """One stage (conv2_x .. conv5_x of Table 1): how many blocks, their width, the stride of the first one.

    ``width`` is a basic block's width and a bottleneck's reduce width (its output is ``expansion`` times wider)."""

    blocks: int
    width: int
    stride: int


@dataclass(frozen=True)
class ResNetConfig:
    block: Block
    stages: tuple[Stage, ...]
    stem: Literal["imagenet", "cifar"] = "imagenet"  # 7x7/2 conv + 3x3/2 max pool, or one 3x3 conv at 32x32
    stem_width: int = 64
    # Where dimensions change: 1x1 conv (+ BN unless pre-activated) is the paper's option B; "zero-pad" is option A
    # (subsample, then append zero channels: no parameters), used by the paper's CIFAR networks.
    shortcut: Literal["projection", "zero-pad"] = "projection"
    # A downsampling bottleneck strides on its first 1x1 in the paper (v1) and on its 3x3 in torchvision (v1.5),
    # which keeps 3/4 of the input that the strided 1x1 throws away, at a higher cost.
    stride_on: Literal["1x1", "3x3"] = "1x1"
    expansion: int = 4  # a bottleneck's output width over its reduce width; unused by basic blocks
    groups: int = 1  # ResNeXt's cardinality: groups of the 3x3
    width_per_group: int = 64  # ResNeXt's bottleneck width d: the 3x3 is groups * d * width / 64 wide
    preact: bool = False  # BN-ReLU before each conv (arXiv:1603.05027) instead of after


def imagenet_stages(blocks: tuple[int, ...]) -> tuple[Stage, ...]:
    """Table 1: conv2_x .. conv5_x at 56, 28, 14, 7 with widths 64 .. 512, conv3_1 .. conv5_1 striding by 2."""
    return tuple(Stage(n, w, s) for n, w, s in zip(blocks, (64, 128, 256, 512), (1, 2, 2, 2), strict=True))


def cifar_stages(n: int, widths: tuple[int, int, int] = (16, 32, 64)) -> tuple[Stage, ...]:
    """Section 4.2: three stages of n blocks at 32, 16, 8 with 16, 32, 64 filters: 6n + 2 weighted layers."""
    return tuple(Stage(n, w, s) for w, s in zip(widths, (1, 2, 2), strict=True))


# Table 1's "layer name" column: blocks per stage for each depth.
IMAGENET_BLOCKS: dict[int, tuple[Block, tuple[int, ...]]] = {
    18: ("basic", (2, 2, 2, 2)),
    34: ("basic", (3, 4, 6, 3)),
    50: ("bottleneck", (3, 4, 6, 3)),
    101: ("bottleneck", (3, 4, 23, 3)),
    152: ("bottleneck", (3, 8, 36, 3)),
}

RESNETS: dict[str, ResNetConfig] = {
    f"resnet{depth}": ResNetConfig(block, imagenet_stages(blocks)) for depth, (block, blocks) in IMAGENET_BLOCKS.items()
}
RESNETS_V15: dict[str, ResNetConfig] = {
    f"{name}-v1.5": replace(config, stride_on="3x3") for name, config in RESNETS.items() if config.block == "bottleneck"
}
# Section 4.2: n = 3, 5, 7, 9, 18, 200 gives 20, 32, 44, 56, 110, 1202 layers.
CIFAR_RESNETS: dict[str, ResNetConfig] = {
    f"resnet{6 * n + 2}": ResNetConfig("basic", cifar_stages(n), stem="cifar", stem_width=16, shortcut="zero-pad")
    for n in (3, 5, 7, 9, 18, 200)
}


NETWORK = "archcost.blocks.resnet:ResNet"  # the lazy reference: the zoo never imports the blocks


def build_resnet(config: ResNetConfig, *, num_classes: int, survival_last: float | None = None,
                 unit: Callable[..., Any] | None = None) -> Any:
    """The one generic builder of every residual family; ``unit`` swaps the block (highway networks)."""
    return load(NETWORK)(config, num_classes=num_classes, survival_last=survival_last, unit=unit)


def make_builder(config: ResNetConfig, num_classes: int,
                 survival_last: float | None = None) -> Callable[..., Any]:
    """A keyword-only builder for one row, with the entry's defaults."""
    default_classes, default_survival = num_classes, survival_last

    def build(*, num_classes: int = default_classes, survival_last: float | None = default_survival) -> Any:
        return build_resnet(config, num_classes=num_classes, survival_last=survival_last)

    return build


OVERRIDES = "overrides: num_classes, survival_last (stochastic depth: p_L of the linear decay)"

for _name, _config in RESNETS.items():
    register(_name, family="resnet", paper=PAPER, input_shape=(3, 224, 224),
             notes=f"v1: a downsampling bottleneck strides on its first 1x1; projection shortcuts; {OVERRIDES}"
             )(make_builder(_config, 1000))

for _name, _config in RESNETS_V15.items():
    register(_name, family="resnet", paper=V15_PAPER, input_shape=(3, 224, 224),
             notes=f"torchvision's layout: same parameters as v1, more MACs; {OVERRIDES}"
             )(make_builder(_config, 1000))

for _name, _config in CIFAR_RESNETS.items():
    register(_name, family="resnet", paper=CIFAR_PAPER, input_shape=(3, 32, 32), dataset="cifar-10", num_classes=10,
             notes=f"option A shortcuts (zero-padded identity); {OVERRIDES}")(make_builder(_config, 10))

register("resnet110-stochastic", family="resnet", paper=STOCHASTIC_PAPER, input_shape=(3, 32, 32),
         dataset="cifar-10", num_classes=10,
         notes="resnet110 with stochastic depth, p_l = 1 - l/L (1 - 0.5) over its 54 blocks; inference runs every block"
         )(make_builder(CIFAR_RESNETS["resnet110"], 10, survival_last=0.5))
