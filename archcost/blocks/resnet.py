"""Every residual network (ResNet v1/v1.5, CIFAR ResNets, pre-activation, ResNeXt, stochastic depth) as one generic
network built from a :class:`archcost.zoo.resnet.ResNetConfig`."""

from __future__ import annotations

from collections import OrderedDict
from typing import Callable

import torch
from torch import nn
from torch.nn import functional as F

from archcost.shapes import same_padding
from archcost.zoo.resnet import ResNetConfig


def conv(c_in: int, c_out: int, kernel: int, stride: int = 1, groups: int = 1) -> nn.Conv2d:
    # No bias: every conv is followed by batch norm (or, pre-activated, feeds one), whose shift makes a bias redundant.
    return nn.Conv2d(c_in, c_out, kernel, stride, padding=same_padding(kernel), groups=groups, bias=False)


def norm_relu(channels: int) -> list[tuple[str, nn.Module]]:
    return [("bn", nn.BatchNorm2d(channels)), ("relu", nn.ReLU(inplace=True))]


class ZeroPadShortcut(nn.Module):
    """Option A of the paper: subsample by the stride, then append zero channels. No parameters, no MACs."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.extra, self.stride = c_out - c_in, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x[:, :, :: self.stride, :: self.stride]  # N x C_in x H/s x W/s
        return F.pad(x, (0, 0, 0, 0, 0, self.extra))  # N x C_out x H/s x W/s


def branch(config: ResNetConfig, c_in: int, width: int, c_out: int, stride: int, *,
           preact_first: bool) -> nn.Sequential:
    """The residual function F: the convs of one block with their norms and activations.

    Post-activation (the paper): conv-BN-ReLU ... conv-BN (the ReLU comes after the addition). Pre-activation:
    BN-ReLU-conv ...; the first BN-ReLU is left out where the block applies it before splitting (``preact_first``).
    """
    if config.block == "basic":
        specs = [(c_in, width, 3, stride, 1), (width, c_out, 3, 1, 1)]
    else:
        inner = width * config.width_per_group // 64 * config.groups
        first, middle = (stride, 1) if config.stride_on == "1x1" else (1, stride)
        specs = [(c_in, inner, 1, first, 1), (inner, inner, 3, middle, config.groups), (inner, c_out, 1, 1, 1)]
    layers: list[tuple[str, nn.Module]] = []
    for i, (a, b, k, s, g) in enumerate(specs, start=1):
        if config.preact and (i > 1 or preact_first):
            layers += [(f"bn{i}", nn.BatchNorm2d(a)), (f"relu{i}", nn.ReLU(inplace=True))]
        layers.append((f"conv{i}", conv(a, b, k, s, g)))
        if not config.preact:
            layers.append((f"bn{i}", nn.BatchNorm2d(b)))
            if i < len(specs):
                layers.append((f"relu{i}", nn.ReLU(inplace=True)))
    return nn.Sequential(OrderedDict(layers))


def shortcut(config: ResNetConfig, c_in: int, c_out: int, stride: int) -> nn.Module:
    if c_in == c_out and stride == 1:
        return nn.Identity()
    if config.shortcut == "zero-pad":
        return ZeroPadShortcut(c_in, c_out, stride)
    if config.preact:  # the next block's BN normalises the sum: a projection needs none (arXiv:1603.05027 code)
        return nn.Sequential(OrderedDict(conv=conv(c_in, c_out, 1, stride)))
    return nn.Sequential(OrderedDict(conv=conv(c_in, c_out, 1, stride), bn=nn.BatchNorm2d(c_out)))


class ResidualUnit(nn.Module):
    """y = F(x) + shortcut(x), then ReLU (post-activation) or nothing (pre-activation).

    ``preact`` is the BN-ReLU a pre-activation block applies before splitting into the two paths (the first block of a
    network and blocks with a projection shortcut, arXiv:1603.05027 appendix): the shortcut then sees it too.

    Stochastic depth (arXiv:1603.09382): ``residual.survival_probability`` p. In training the residual branch runs
    with probability p per mini-batch and is skipped otherwise; at inference every branch runs, scaled by p (eq. 5).
    The analysis reads p to report the expected training cost. On meta there is no value to draw, so every branch
    runs: a training step traced on meta counts the whole network, and the analysis weighs each branch by p.
    """

    def __init__(self, config: ResNetConfig, c_in: int, width: int, c_out: int, stride: int, *,
                 first: bool, survival_probability: float | None) -> None:
        super().__init__()
        split = config.preact and (first or (config.shortcut == "projection" and (c_in != c_out or stride != 1)))
        # The first block of an ImageNet network follows the stem's BN-ReLU: it pre-activates nothing again.
        already_active = config.preact and first and config.stem == "imagenet"
        self.preact = nn.Sequential(OrderedDict(norm_relu(c_in))) if split and not already_active else None
        self.residual = branch(config, c_in, width, c_out, stride, preact_first=not split)
        if survival_probability is not None:
            self.residual.__dict__["survival_probability"] = survival_probability  # a plain float attribute
        self.shortcut = shortcut(config, c_in, c_out, stride)
        # Not in place: a dropped block's sum is its input itself, which autograd may still need.
        self.relu = None if config.preact else nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.preact is not None:
            x = self.preact(x)
        p: float | None = getattr(self.residual, "survival_probability", None)
        if p is not None and self.training and not x.is_meta and float(torch.rand(())) >= p:
            out = self.shortcut(x)  # the block is dropped for this mini-batch
        else:
            residual = self.residual(x)  # N x C_out x H/s x W/s
            if p is not None and not self.training:
                residual = residual * p
            out = residual + self.shortcut(x)
        return self.relu(out) if self.relu is not None else out


def survival_probabilities(blocks: int, survival_last: float | None) -> list[float | None]:
    """Linear decay (arXiv:1603.09382, eq. 4): p_l = 1 - l / L * (1 - p_L) for blocks l = 1 .. L."""
    if survival_last is None:
        return [None] * blocks
    if not 0.0 < survival_last <= 1.0:
        raise ValueError(f"survival_last is a probability in (0, 1], got {survival_last}")
    return [1.0 - l / blocks * (1.0 - survival_last) for l in range(1, blocks + 1)]


class ResNet(nn.Module):
    def __init__(self, config: ResNetConfig, *, num_classes: int, survival_last: float | None = None,
                 unit: Callable[..., nn.Module] | None = None, in_channels: int = 3) -> None:
        super().__init__()
        make_unit = unit or ResidualUnit
        width = config.stem_width
        if config.stem == "imagenet":
            # conv1 of Table 1: 7x7/2, then the 3x3/2 max pool that opens conv2_x. Pre-activated networks keep the
            # stem's BN-ReLU: it is the first block's pre-activation (arXiv:1603.05027 appendix).
            stem = [("conv", nn.Conv2d(in_channels, width, 7, 2, 3, bias=False)), *norm_relu(width),
                    ("maxpool", nn.MaxPool2d(3, 2, padding=1))]
        else:
            stem = [("conv", conv(in_channels, width, 3))]
            if not config.preact:
                stem += norm_relu(width)
        self.stem = nn.Sequential(OrderedDict(stem))

        expansion = config.expansion if config.block == "bottleneck" else 1
        probabilities = iter(survival_probabilities(sum(s.blocks for s in config.stages), survival_last))
        c_in = width
        for index, stage in enumerate(config.stages, start=1):
            c_out = stage.width * expansion
            first, p = index == 1, next(probabilities)
            units = [make_unit(config, c_in, stage.width, c_out, stage.stride, first=first, survival_probability=p)]
            # Under stochastic depth each later unit has its own survival probability; without it, none.
            units += [make_unit(config, c_out, stage.width, c_out, 1, first=False,
                                survival_probability=None if survival_last is None else next(probabilities))
                      for _ in range(stage.blocks - 1)]
            c_in = c_out
            self.add_module(f"layer{index}", nn.Sequential(*units))
        self.stages = len(config.stages)
        # A pre-activated network ends on an extra BN-ReLU after the last addition (arXiv:1603.05027 appendix).
        self.final = nn.Sequential(OrderedDict(norm_relu(c_in))) if config.preact else None
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c_in, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)  # N x 64 x 56 x 56 (ImageNet) or N x 16 x 32 x 32 (CIFAR)
        for index in range(1, self.stages + 1):
            x = getattr(self, f"layer{index}")(x)  # ImageNet: N x 2048 x 7 x 7 after layer4 of a bottleneck ResNet
        if self.final is not None:
            x = self.final(x)
        x = torch.flatten(self.avgpool(x), 1)  # N x C x 1 x 1 -> N x C
        return self.fc(x)  # N x num_classes
