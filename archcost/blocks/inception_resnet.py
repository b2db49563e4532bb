"""Inception-ResNet as one generic network built from the tables in :mod:`archcost.zoo.inception_resnet`."""

from __future__ import annotations

import torch
from torch import nn

from archcost.shapes import same_padding
from archcost.zoo.inception_resnet import (
    Conv,
    InceptionResNetConfig,
    ReductionBlock,
    ResidualBlock,
)


class ConvBNReLU(nn.Sequential):
    """Bias-free conv + batch norm + ReLU. The paper uses batch norm "on top of the traditional layers" (section
    3.3) without saying more; this follows the common implementations (timm's Inception-ResNet-v2)."""

    def __init__(self, c_in: int, spec: Conv) -> None:
        kernel = spec.kernel if isinstance(spec.kernel, tuple) else (spec.kernel, spec.kernel)
        padding = (0, 0) if spec.valid else (same_padding(kernel[0]), same_padding(kernel[1]))
        super().__init__(nn.Conv2d(c_in, spec.out, kernel, spec.stride, padding, bias=False),
                         nn.BatchNorm2d(spec.out), nn.ReLU(inplace=True))


def _branches(c_in: int, block: ResidualBlock | ReductionBlock) -> tuple[nn.ModuleList, int]:
    """A block's parallel conv chains on a ``c_in``-wide input, and the width of their concatenation."""
    branches, width = [], 0
    for convs in block.branches:
        layers, channels = [], c_in
        for spec in convs:
            layers.append(ConvBNReLU(channels, spec))
            channels = spec.out
        branches.append(nn.Sequential(*layers))
        width += channels
    return nn.ModuleList(branches), width


class ResidualInception(nn.Module):
    """Branches -> concat -> 1x1 filter expansion (bias, no BN, no activation) -> (scale) -> + input -> ReLU."""

    def __init__(self, c_in: int, block: ResidualBlock, scale: float | None) -> None:
        super().__init__()
        self.branches, width = _branches(c_in, block)
        self.expand = nn.Conv2d(width, c_in, 1)
        self.scale = scale
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mixed = torch.cat([branch(x) for branch in self.branches], dim=1)  # A: N x 96 x 35 x 35
        residual = self.expand(mixed)  # N x C_in x H x W
        if self.scale is not None:
            residual = residual * self.scale
        return self.relu(x + residual)


class Reduction(nn.Module):
    """A stride-2 max pool beside stride-2 conv branches, concatenated: the grid halves, the width grows."""

    def __init__(self, c_in: int, block: ReductionBlock) -> None:
        super().__init__()
        self.pool = nn.MaxPool2d(3, stride=2)
        self.branches, width = _branches(c_in, block)
        self.out_channels = c_in + width  # the pooled input passes through beside the branches

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # reduction A: N x 256 x 35 x 35 -> N x 896 x 17 x 17; reduction B: N x 896 x 17 x 17 -> N x 1792 x 8 x 8
        return torch.cat([self.pool(x), *(branch(x) for branch in self.branches)], dim=1)


class InceptionResNet(nn.Module):
    def __init__(self, config: InceptionResNetConfig, *, num_classes: int, in_channels: int = 3) -> None:
        super().__init__()
        channels = in_channels
        stem: list[nn.Module] = []
        for step in config.stem:
            if isinstance(step, Conv):
                stem.append(ConvBNReLU(channels, step))
                channels = step.out
            else:
                stem.append(nn.MaxPool2d(step.kernel, step.stride))
        self.stem = nn.Sequential(*stem)
        for block, repeats in config.blocks:
            if isinstance(block, ResidualBlock):
                layer: nn.Module = nn.Sequential(*(ResidualInception(channels, block, config.residual_scale)
                                                   for _ in range(repeats)))
            else:
                layer = Reduction(channels, block)
                channels = layer.out_channels
            self.add_module(block.name, layer)
        self.blocks = tuple(block.name for block, _ in config.blocks)  # forward order
        self.avgpool = nn.AdaptiveAvgPool2d(1)  # Figure 15's average pooling over the 8x8 grid
        self.dropout = nn.Dropout(config.dropout)
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)  # N x 3 x 299 x 299 -> N x 256 x 35 x 35
        for name in self.blocks:
            x = getattr(self, name)(x)  # a -> reduction_a -> b -> reduction_b -> c: N x 1792 x 8 x 8
        x = torch.flatten(self.avgpool(x), 1)  # N x 1792
        return self.fc(self.dropout(x))
