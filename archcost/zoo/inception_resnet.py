"""Inception-ResNet-v1 as data: the stem, the three residual inception blocks and the two reduction blocks of the
paper's figures, and the block counts of Figure 15.

Szegedy, Ioffe, Vanhoucke & Alemi, "Inception-v4, Inception-ResNet and the Impact of Residual Connections on
Learning", arXiv:1602.07261, 2016, Figures 7 and 10-15, Table 1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Union

from archcost.zoo.registry import Paper, load, register

PAPER = Paper("Inception-v4, Inception-ResNet and the Impact of Residual Connections on Learning", "1602.07261", 2016,
              "Figures 7, 10-15 and Table 1 (Inception-ResNet-v1)")


@dataclass(frozen=True)
class Conv:
    """A convolution + batch norm + ReLU. ``valid`` is the figures' "V" (no padding); every other conv is padded to
    keep its size ("same")."""

    out: int
    kernel: int | tuple[int, int]
    stride: int = 1
    valid: bool = False


@dataclass(frozen=True)
class MaxPool:
    """3x3 max pool, stride 2, no padding (the figures' "3x3 MaxPool (stride 2 V)")."""

    kernel: int = 3
    stride: int = 2


Branch = tuple[Conv, ...]


@dataclass(frozen=True)
class ResidualBlock:
    """Figures 10, 11, 13: parallel branches, concatenated, a 1x1 "filter-expansion" conv without activation back to
    the input width, added to the input, then ReLU."""

    name: str
    branches: tuple[Branch, ...]


@dataclass(frozen=True)
class ReductionBlock:
    """Figures 7 and 12: a stride-2 max pool beside stride-2 conv branches, concatenated on channels."""

    name: str
    branches: tuple[Branch, ...]


Step = Union[Conv, MaxPool]
Block = Union[ResidualBlock, ReductionBlock]


@dataclass(frozen=True)
class InceptionResNetConfig:
    stem: tuple[Step, ...]
    blocks: tuple[tuple[Block, int], ...]  # (block, repeats) in order
    dropout: float = 0.2  # Figure 15: dropout with keep probability 0.8
    residual_scale: float | None = None  # section 3.3: optional scaling of the residual (0.1-0.3) before the add


# Figure 14: the Inception-ResNet-v1 stem, 299x299x3 -> 35x35x256.
STEM = (
    Conv(32, 3, stride=2, valid=True),   # 149 x 149 x 32
    Conv(32, 3, valid=True),             # 147 x 147 x 32
    Conv(64, 3),                         # 147 x 147 x 64
    MaxPool(),                           # 73 x 73 x 64
    Conv(80, 1),                         # 73 x 73 x 80
    Conv(192, 3, valid=True),            # 71 x 71 x 192
    Conv(256, 3, stride=2, valid=True),  # 35 x 35 x 256
)

# Figure 10: Inception-ResNet-A (35x35 grid, 256 channels).
BLOCK_A = ResidualBlock("a", (
    (Conv(32, 1),),
    (Conv(32, 1), Conv(32, 3)),
    (Conv(32, 1), Conv(32, 3), Conv(32, 3)),
))

# Figure 7 with Table 1's Inception-ResNet-v1 row: k, l, m, n = 192, 192, 256, 384 (35 -> 17, 256 -> 896).
K, L, M, N = 192, 192, 256, 384
REDUCTION_A = ReductionBlock("reduction_a", (
    (Conv(N, 3, stride=2, valid=True),),
    (Conv(K, 1), Conv(L, 3), Conv(M, 3, stride=2, valid=True)),
))

# Figure 11: Inception-ResNet-B (17x17 grid, 896 channels), the 7x7 factorised into 1x7 and 7x1.
BLOCK_B = ResidualBlock("b", (
    (Conv(128, 1),),
    (Conv(128, 1), Conv(128, (1, 7)), Conv(128, (7, 1))),
))

# Figure 12: the v1 reduction from 17x17x896 to 8x8x1792.
REDUCTION_B = ReductionBlock("reduction_b", (
    (Conv(256, 1), Conv(384, 3, stride=2, valid=True)),
    (Conv(256, 1), Conv(256, 3, stride=2, valid=True)),
    (Conv(256, 1), Conv(256, 3), Conv(256, 3, stride=2, valid=True)),
))

# Figure 13: Inception-ResNet-C (8x8 grid, 1792 channels), the 3x3 factorised into 1x3 and 3x1.
BLOCK_C = ResidualBlock("c", (
    (Conv(192, 1),),
    (Conv(192, 1), Conv(192, (1, 3)), Conv(192, (3, 1))),
))

# Figure 15: stem, 5 x A, reduction A, 10 x B, reduction B, 5 x C, average pooling, dropout, softmax.
INCEPTION_RESNET_V1 = InceptionResNetConfig(
    stem=STEM,
    blocks=((BLOCK_A, 5), (REDUCTION_A, 1), (BLOCK_B, 10), (REDUCTION_B, 1), (BLOCK_C, 5)),
)


NETWORK = "archcost.blocks.inception_resnet:InceptionResNet"  # the lazy reference: the zoo never imports the blocks
# name: (config, notes); the one row today, a table so that v2 is a row.
ENTRIES = {
    "inception-resnet-v1": (INCEPTION_RESNET_V1, ("conv + BN + ReLU (bias-free) everywhere but the 1x1 "
                                                  "filter-expansion convs (bias, no BN, linear); residual_scale optional")),
}


def make_builder(config: InceptionResNetConfig) -> Callable[..., Any]:
    def build(*, num_classes: int = 1000, residual_scale: float | None = None) -> Any:
        return load(NETWORK)(replace(config, residual_scale=residual_scale), num_classes=num_classes)

    return build


for _name, (_config, _notes) in ENTRIES.items():
    register(_name, family="inception-resnet", paper=PAPER, input_shape=(3, 299, 299), notes=_notes)(
        make_builder(_config))
