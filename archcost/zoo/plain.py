"""Plain (non-branching) ConvNets as data: AlexNet, in its original two-tower form and torchvision's single tower,
and VGG configurations A, B, D and E. The baselines the rest of the lecture is measured against.

Krizhevsky, Sutskever & Hinton, "ImageNet Classification with Deep Convolutional Neural Networks", NIPS 2012
(no arXiv), section 3.5 and Figure 2; Krizhevsky, "One weird trick for parallelizing convolutional neural networks",
arXiv:1404.5997, 2014; Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition",
arXiv:1409.1556, 2014, Table 1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Union

from archcost.zoo.registry import Paper, load, register

ALEXNET_PAPER = Paper("ImageNet Classification with Deep Convolutional Neural Networks (NIPS)", "n/a", 2012,
                      "section 3.5 and Figure 2")
OWT_PAPER = Paper("One weird trick for parallelizing convolutional neural networks", "1404.5997", 2014,
                  "section 4 (single-column variant; torchvision's layout)")
VGG_PAPER = Paper("Very Deep Convolutional Networks for Large-Scale Image Recognition", "1409.1556", 2014, "Table 1")


@dataclass(frozen=True)
class ConvSpec:
    """A convolution followed by ReLU. ``groups=2`` is one of AlexNet's two-GPU layers: each tower sees only the
    half of the previous layer's maps that lives on its own GPU."""

    out: int
    kernel: int
    stride: int = 1
    padding: int = 0
    groups: int = 1


@dataclass(frozen=True)
class PoolSpec:
    kernel: int
    stride: int


Step = Union[ConvSpec, PoolSpec]


@dataclass(frozen=True)
class PlainConfig:
    """A feature stack of convolutions and max pools, then fully connected layers with ReLU and dropout."""

    features: tuple[Step, ...]
    hidden: tuple[int, ...] = (4096, 4096)  # widths of the hidden FC layers; the classifier comes after
    dropout: float = 0.5
    adaptive_pool: int | None = None  # torchvision's AdaptiveAvgPool2d grid before the classifier (None: none)


# NIPS 2012 Figure 2 with the sizes of the released Caffe model (bvlc_alexnet): the paper says 224x224 inputs, but
# an 11x11/4 unpadded conv1 only yields its 55x55 maps from 227x227. conv2, conv4 and conv5 read only the maps of
# their own GPU (groups=2); conv3 and the FC layers communicate across GPUs (groups=1). The response-normalisation
# layers after conv1 and conv2 have no parameters and no MACs and are left out.
ALEXNET = PlainConfig(
    features=(
        ConvSpec(96, 11, stride=4),                 # conv1: 227 -> 55
        PoolSpec(3, 2),                             # overlapping pooling (section 3.4): 55 -> 27
        ConvSpec(256, 5, padding=2, groups=2),      # conv2
        PoolSpec(3, 2),                             # 27 -> 13
        ConvSpec(384, 3, padding=1),                # conv3 (across towers)
        ConvSpec(384, 3, padding=1, groups=2),      # conv4
        ConvSpec(256, 3, padding=1, groups=2),      # conv5
        PoolSpec(3, 2),                             # 13 -> 6
    ),
)

# One weird trick, single column, with torchvision's widths (64, 192, 384, 256, 256) and padding 2 on conv1 so that
# 224 gives 55x55; torchvision's AdaptiveAvgPool2d(6) keeps the classifier valid at other input sizes.
ALEXNET_OWT = PlainConfig(
    features=(
        ConvSpec(64, 11, stride=4, padding=2),
        PoolSpec(3, 2),
        ConvSpec(192, 5, padding=2),
        PoolSpec(3, 2),
        ConvSpec(384, 3, padding=1),
        ConvSpec(256, 3, padding=1),
        ConvSpec(256, 3, padding=1),
        PoolSpec(3, 2),
    ),
    adaptive_pool=6,
)


def _vgg(widths: tuple[int | str, ...]) -> PlainConfig:
    """A Table 1 column: 3x3/1 convs with padding 1, "M" a 2x2/2 max pool. The paper's classifier reads pool5's
    7x7 maps directly (torchvision inserts an AdaptiveAvgPool2d(7), which is the identity at 224)."""
    return PlainConfig(features=tuple(PoolSpec(2, 2) if w == "M" else ConvSpec(int(w), 3, padding=1) for w in widths))


# Table 1, columns A (11 weight layers), B (13), D (16) and E (19); C (1x1 convs) and A-LRN are not in the zoo.
VGG_CONFIGS = {
    "vgg11": _vgg((64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M")),
    "vgg13": _vgg((64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M")),
    "vgg16": _vgg((64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")),
    "vgg19": _vgg((64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
                   512, 512, 512, 512, "M")),
}
VGG_COLUMNS = {"vgg11": "A", "vgg13": "B", "vgg16": "D", "vgg19": "E"}


NETWORK = "archcost.blocks.plain:PlainNet"  # the lazy reference: the zoo never imports the blocks


def _vgg_paper(name: str) -> Paper:
    return Paper(VGG_PAPER.title, VGG_PAPER.arxiv, VGG_PAPER.year, f"Table 1, configuration {VGG_COLUMNS[name]}")


@dataclass(frozen=True)
class PlainEntry:
    """One registry row. ``sized``: the builder takes ``input_size``, which sets the classifier's width (without
    torchvision's adaptive pool the first FC layer reads 512 x (input/32)^2 features, as in the paper's non-dense
    training network); a network with an adaptive pool is built for its native size only."""

    name: str
    family: str
    paper: Paper
    config: PlainConfig
    input_size: int
    notes: str
    sized: bool = True


ENTRIES = (
    PlainEntry("alexnet", "alexnet", ALEXNET_PAPER, ALEXNET, 227,
               "original two-tower network: groups=2 on conv2, conv4, conv5; LRN omitted (no params, no MACs)"),
    PlainEntry("alexnet-owt", "alexnet", OWT_PAPER, ALEXNET_OWT, 224, "single tower, torchvision's layout", sized=False),
    *(PlainEntry(name, "vgg", _vgg_paper(name), config, 224, "no batch norm") for name, config in VGG_CONFIGS.items()),
)


def make_builder(row: PlainEntry) -> Callable[..., Any]:
    """A keyword-only builder for one row, with the row's defaults."""
    native = row.input_size
    if not row.sized:
        def build_native(*, num_classes: int = 1000) -> Any:
            return load(NETWORK)(row.config, num_classes=num_classes, input_size=native)

        return build_native

    def build(*, num_classes: int = 1000, input_size: int = native) -> Any:
        return load(NETWORK)(row.config, num_classes=num_classes, input_size=input_size)

    return build


for _row in ENTRIES:
    register(_row.name, family=_row.family, paper=_row.paper, input_shape=(3, _row.input_size, _row.input_size),
             notes=_row.notes)(make_builder(_row))
