"""EfficientNet-B0..B7 as data: Table 1's B0 stages and the reference implementation's compound coefficients.

Tan & Le, "EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks", arXiv:1905.11946, 2019,
Table 1 (B0), equation 3 (compound scaling) and the reference implementation (tensorflow/tpu
``efficientnet_builder.efficientnet_params``), whose layout torchvision reproduces parameter for parameter.

Resolution: the networks end in global average pooling, so a model's modules do not depend on the image size. A
builder's ``resolution`` override only records the intended input on the model (``model.native_input``); the
input an analysis runs at is the entry's native one unless given explicitly (``--input 3x300x300`` on the command
line, ``input_shape=`` in Python). :func:`native_input` computes it for any multipliers without importing torch.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from archcost.zoo.mobilenet import make_divisible
from archcost.zoo.registry import Paper, load, register

PAPER = Paper("EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks", "1905.11946", 2019,
              "Table 1 (B0 stages) and the reference implementation's coefficients")

BASE_RESOLUTION = 224  # Table 1
# Equation 3's constants found by the grid search of section 4 (depth alpha, width beta, resolution gamma).
ALPHA, BETA, GAMMA = 1.2, 1.1, 1.15


@dataclass(frozen=True)
class StageRow:
    """One MBConv row of Table 1: expansion ratio (the "6" of MBConv6), kernel, stride of the first block, input and
    output channels and number of layers L_i, all at B0's width and depth."""

    expand: int
    kernel: int
    stride: int
    in_channels: int
    out_channels: int
    layers: int


# Table 1, stages 2-8 (stage 1 is the 3x3/2 stem conv to 32 channels, stage 9 the 1x1 conv, pooling and FC).
# Table 1 lists each stage's input resolution; the strides below are the ones that produce it.
B0_STAGES = tuple(StageRow(*r) for r in (
    (1, 3, 1, 32, 16, 1),
    (6, 3, 2, 16, 24, 2),
    (6, 5, 2, 24, 40, 2),
    (6, 3, 2, 40, 80, 3),
    (6, 5, 1, 80, 112, 3),
    (6, 5, 2, 112, 192, 4),
    (6, 3, 1, 192, 320, 1),
))

SE_RATIO = 0.25  # squeeze width as a fraction of the block's *input* channels (reference implementation)
HEAD_RATIO = 4  # the final 1x1 conv widens the last stage's channels four times (320 -> 1280 in B0)


@dataclass(frozen=True)
class Scale:
    """A model's coefficients: width and depth multipliers, input resolution and classifier dropout."""

    width_mult: float
    depth_mult: float
    resolution: int
    dropout: float


# The reference implementation's ``efficientnet_params`` (the paper gives only phi and equation 3; the released
# coefficients are rounded values of alpha^phi, beta^phi, gamma^phi).
SCALES = {
    "b0": Scale(1.0, 1.0, 224, 0.2),
    "b1": Scale(1.0, 1.1, 240, 0.2),
    "b2": Scale(1.1, 1.2, 260, 0.3),
    "b3": Scale(1.2, 1.4, 300, 0.3),
    "b4": Scale(1.4, 1.8, 380, 0.4),
    "b5": Scale(1.6, 2.2, 456, 0.4),
    "b6": Scale(1.8, 2.6, 528, 0.5),
    "b7": Scale(2.0, 3.1, 600, 0.5),
}


@dataclass(frozen=True)
class EfficientNetConfig:
    stages: tuple[StageRow, ...]
    scale: Scale
    stem: int = 32


def scale_channels(channels: int, width_mult: float) -> int:
    """Width scaling as in the reference: multiply, then round to a multiple of 8 without losing more than 10%."""
    return make_divisible(channels * width_mult, 8)


def scale_depth(layers: int, depth_mult: float) -> int:
    """Depth scaling as in the reference: the number of layers of each stage is rounded up."""
    return int(math.ceil(layers * depth_mult))


def compound(phi: float) -> tuple[float, float, float]:
    """Equation 3: (depth, width, resolution) multipliers alpha^phi, beta^phi, gamma^phi for a compound coefficient."""
    return ALPHA**phi, BETA**phi, GAMMA**phi


def native_input(*, resolution_mult: float = 1.0, resolution: int | None = None) -> tuple[int, int, int]:
    """The C, H, W input for a resolution multiplier on B0's 224 (or an explicit ``resolution``). Width and depth
    multipliers do not change the input. Torch-free, for charts that scale B0 one dimension at a time."""
    size = resolution if resolution is not None else int(round(BASE_RESOLUTION * resolution_mult))
    if size < 32:
        raise ValueError(f"EfficientNet needs at least a 32x32 input (five stride-2 stages), got {size}")
    return (3, size, size)


def config(variant: str, *, width_mult: float | None = None, depth_mult: float | None = None,
           resolution: int | None = None, dropout: float | None = None) -> EfficientNetConfig:
    """The config of ``variant`` ("b0".."b7") with any coefficient overridden."""
    scale = SCALES[variant]
    overrides: dict[str, Any] = {k: v for k, v in (("width_mult", width_mult), ("depth_mult", depth_mult),
                                   ("resolution", resolution), ("dropout", dropout)) if v is not None}
    return EfficientNetConfig(stages=B0_STAGES, scale=replace(scale, **overrides))


NETWORK = "archcost.blocks.efficientnet:EfficientNet"  # the lazy reference: the zoo never imports the blocks
NOTES = ("width_mult, depth_mult, resolution, dropout can be overridden; resolution is recorded on the model, "
         "give the input with --input 3xRxR")


def make_builder(variant: str) -> Callable[..., Any]:
    """A keyword-only builder for one variant; every coefficient can be overridden."""

    def build(*, num_classes: int = 1000, width_mult: float | None = None, depth_mult: float | None = None,
              resolution: int | None = None, dropout: float | None = None) -> Any:
        cfg = config(variant, width_mult=width_mult, depth_mult=depth_mult, resolution=resolution, dropout=dropout)
        model = load(NETWORK)(cfg, num_classes=num_classes)
        model.native_input = native_input(resolution=cfg.scale.resolution)
        return model

    return build


for _variant, _scale in SCALES.items():
    register(f"efficientnet-{_variant}", family="efficientnet", paper=PAPER,
             input_shape=native_input(resolution=_scale.resolution), notes=NOTES)(make_builder(_variant))
