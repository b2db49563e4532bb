"""GoogLeNet (Inception-v1) as data: the rows of the paper's Table 1, the lecture's Keras Fashion-MNIST variant and
the single inception modules of the lecture's cost comparison.

Szegedy et al., "Going Deeper with Convolutions", arXiv:1409.4842, 2014, Table 1 and section 5.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Union

from archcost.zoo.registry import Paper, load, register

PAPER = Paper("Going Deeper with Convolutions", "1409.4842", 2014, "Table 1")
AUX_PAPER = replace(PAPER, table="Table 1 and section 5 (auxiliary classifiers)")
LECTURE = Paper("Apprentissage profond pour la vision par ordinateur: Architectures (lecture; Keras summary)",
                "n/a", 2024, "Fashion-MNIST GoogLeNet summary")


@dataclass(frozen=True)
class ConvSpec:
    name: str
    out: int
    kernel: int
    stride: int = 1
    padding: int = 0
    batch_norm: bool = False


@dataclass(frozen=True)
class PoolSpec:
    name: str
    kernel: int = 3
    stride: int = 2
    padding: int = 0


@dataclass(frozen=True)
class InceptionWidths:
    """One inception row of Table 1: #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj."""

    name: str
    out_1x1: int
    reduce_3x3: int
    out_3x3: int
    reduce_5x5: int
    out_5x5: int
    pool_proj: int  # 0: no projection, the pooled input passes through with its own width


@dataclass(frozen=True)
class AuxSpec:
    """Section 5: 5x5/3 average pool, 1x1 conv with 128 filters, FC 1024, 70% dropout, linear classifier."""

    pool: int = 5
    pool_stride: int = 3
    conv: int = 128
    fc: int = 1024
    dropout: float = 0.7


Step = Union[ConvSpec, PoolSpec, InceptionWidths]

# Table 1's inception rows: name, #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj.
TABLE1_INCEPTIONS = {
    row[0]: InceptionWidths(*row)
    for row in (
        ("3a", 64, 96, 128, 16, 32, 32),
        ("3b", 128, 128, 192, 32, 96, 64),
        ("4a", 192, 96, 208, 16, 48, 64),
        ("4b", 160, 112, 224, 24, 64, 64),
        ("4c", 128, 128, 256, 24, 64, 64),
        ("4d", 112, 144, 288, 32, 64, 64),
        ("4e", 256, 160, 320, 32, 128, 128),
        ("5a", 256, 160, 320, 32, 128, 128),
        ("5b", 384, 192, 384, 48, 128, 128),
    )
}


def _body(pool_padding: int) -> tuple[Step, ...]:
    t = TABLE1_INCEPTIONS
    return (t["3a"], t["3b"], PoolSpec("pool3", padding=pool_padding), t["4a"], t["4b"], t["4c"], t["4d"], t["4e"],
            PoolSpec("pool4", padding=pool_padding), t["5a"], t["5b"])


@dataclass(frozen=True)
class GoogLeNetConfig:
    layers: tuple[Step, ...]
    dropout: float = 0.4
    ceil_mode: bool = True  # the Caffe model rounds pooled sizes up: 112 -> 56 -> 28 -> 14 -> 7
    aux_after: tuple[str, ...] = ()
    aux: AuxSpec | None = None


# Table 1: full 7x7/2 conv1, 3x3 reduce + 3x3 conv2, true 5x5 branches. The paper's local response normalisation
# layers (Figure 3) have no parameters and no MACs and are not in Table 1, so they are left out.
GOOGLENET = GoogLeNetConfig(
    layers=(
        ConvSpec("conv1", 64, 7, stride=2, padding=3),
        PoolSpec("pool1"),
        ConvSpec("conv2_reduce", 64, 1),
        ConvSpec("conv2", 192, 3, padding=1),
        PoolSpec("pool2"),
        *_body(0),
    ),
)

GOOGLENET_AUX = replace(GOOGLENET, aux_after=("4a", "4d"), aux=AuxSpec())

# The lecture's Keras model on 28x28x1: BatchNorm after the two stem convs, 'same' padding everywhere. Keras pads a
# stride-2 'same' window asymmetrically; the symmetric padding below gives the same output sizes and the same costs
# (28 -> 14 -> 7 -> 4 -> 2 -> 1).
GOOGLENET_FMNIST = GoogLeNetConfig(
    layers=(
        ConvSpec("conv1", 64, 7, stride=2, padding=3, batch_norm=True),
        PoolSpec("pool1", padding=1),
        ConvSpec("conv2_reduce", 64, 1),
        ConvSpec("conv2", 192, 3, padding=1, batch_norm=True),
        PoolSpec("pool2", padding=1),
        *_body(1),
    ),
    ceil_mode=False,
)

# The lecture's single modules at 28x28x256: naive (no reductions; the pool branch passes 256 channels through) and
# with 1x1 bottlenecks (64 before the 3x3 and the 5x5, a 64-wide pool projection).
NAIVE = InceptionWidths("naive", 128, 0, 192, 0, 96, 0)
BOTTLENECK = InceptionWidths("bottleneck", 128, 64, 192, 64, 96, 64)


# The lazy references: the zoo never imports the blocks.
NETWORK = "archcost.blocks.inception:GoogLeNet"
MODULE = "archcost.blocks.inception:InceptionModule"


@dataclass(frozen=True)
class NetworkEntry:
    name: str
    paper: Paper
    config: GoogLeNetConfig
    input_shape: tuple[int, int, int]
    dataset: str = "imagenet"
    num_classes: int = 1000
    notes: str = ""


NETWORKS = (
    NetworkEntry("googlenet", PAPER, GOOGLENET, (3, 224, 224)),
    NetworkEntry("googlenet-aux", AUX_PAPER, GOOGLENET_AUX, (3, 224, 224),
                 notes="train-time network: both auxiliary classifiers run; outputs (main, aux1, aux2)"),
    NetworkEntry("googlenet-fmnist", LECTURE, GOOGLENET_FMNIST, (1, 28, 28), dataset="fashion-mnist", num_classes=10,
                 notes="the lecture's Keras model: BatchNorm in the stem, 'same' padding"),
)

# The single modules: (name, widths, figure).
MODULES = (("inception-naive", NAIVE, "Figure 2(a)"), ("inception-bottleneck", BOTTLENECK, "Figure 2(b)"))
MODULE_INPUT = (256, 28, 28)
MODULE_NOTES = "a single module (no classifier); widths and input channels can be overridden"


def make_network_builder(row: NetworkEntry) -> Callable[..., Any]:
    in_channels, input_size = row.input_shape[0], row.input_shape[1]

    def build(*, num_classes: int = row.num_classes) -> Any:
        return load(NETWORK)(row.config, num_classes=num_classes, in_channels=in_channels, input_size=input_size)

    return build


def _widths(base: InceptionWidths, overrides: dict[str, Any]) -> InceptionWidths:
    unknown = set(overrides) - set(InceptionWidths.__dataclass_fields__) - {"name"}
    if unknown:
        raise TypeError(f"unknown inception widths: {', '.join(sorted(unknown))}")
    return replace(base, **overrides)


def make_module_builder(base: InceptionWidths) -> Callable[..., Any]:
    def build(*, in_channels: int = MODULE_INPUT[0], **widths: int) -> Any:
        return load(MODULE)(in_channels, _widths(base, widths))

    return build


for _row in NETWORKS:
    register(_row.name, family="inception", paper=_row.paper, input_shape=_row.input_shape, dataset=_row.dataset,
             num_classes=_row.num_classes, notes=_row.notes)(make_network_builder(_row))

for _name, _widths_row, _figure in MODULES:
    register(_name, family="inception", paper=replace(PAPER, table=_figure), input_shape=MODULE_INPUT, dataset="none",
             num_classes=0, notes=MODULE_NOTES)(make_module_builder(_widths_row))
