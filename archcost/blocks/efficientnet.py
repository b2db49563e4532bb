"""EfficientNet as one generic network built from the tables in :mod:`archcost.zoo.efficientnet`."""

from __future__ import annotations

import torch
from torch import nn

from archcost.blocks.mobilenet import ConvBNAct
from archcost.zoo.efficientnet import (
    HEAD_RATIO,
    SE_RATIO,
    EfficientNetConfig,
    scale_channels,
    scale_depth,
)


class SqueezeExcitation(nn.Module):
    """Global average pool, 1x1 reduce + SiLU, 1x1 expand + sigmoid, channel-wise rescaling of the input."""

    def __init__(self, channels: int, squeeze: int) -> None:
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.act = nn.SiLU(inplace=True)
        self.fc2 = nn.Conv2d(squeeze, channels, 1)
        self.gate = nn.Sigmoid()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = self.gate(self.fc2(self.act(self.fc1(self.avgpool(x)))))  # N x C x 1 x 1
        return x * scale  # N x C x H x W


class MBConv(nn.Module):
    """Mobile inverted bottleneck with squeeze-and-excitation: 1x1 expansion (skipped for MBConv1), kxk depthwise,
    SE, linear 1x1 projection; identity shortcut when stride and width are kept. Stochastic depth drops the
    shortcut's partner only in training, so inference has none."""

    def __init__(self, c_in: int, c_out: int, *, expand: int, kernel: int, stride: int) -> None:
        super().__init__()
        hidden = scale_channels(c_in, expand)
        layers: list[nn.Module] = []
        if hidden != c_in:
            layers.append(ConvBNAct(c_in, hidden, 1, act=nn.SiLU))
        layers += [
            ConvBNAct(hidden, hidden, kernel, stride, groups=hidden, act=nn.SiLU),
            SqueezeExcitation(hidden, max(1, int(c_in * SE_RATIO))),
            ConvBNAct(hidden, c_out, 1, act=None),
        ]
        self.block = nn.Sequential(*layers)
        self.use_residual = stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.block(x) if self.use_residual else self.block(x)


class EfficientNet(nn.Module):
    def __init__(self, config: EfficientNetConfig, *, num_classes: int) -> None:
        super().__init__()
        width, depth = config.scale.width_mult, config.scale.depth_mult
        channels = scale_channels(config.stem, width)
        layers: list[nn.Module] = [ConvBNAct(3, channels, 3, 2, act=nn.SiLU)]  # stage 1
        for row in config.stages:  # stages 2-8
            out = scale_channels(row.out_channels, width)
            stage = [MBConv(channels, out, expand=row.expand, kernel=row.kernel, stride=row.stride)]
            stage += [MBConv(out, out, expand=row.expand, kernel=row.kernel, stride=1)
                      for _ in range(scale_depth(row.layers, depth) - 1)]
            channels = out
            layers.append(nn.Sequential(*stage))
        head = HEAD_RATIO * channels
        layers.append(ConvBNAct(channels, head, 1, act=nn.SiLU))  # stage 9's 1x1 conv
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(config.scale.dropout), nn.Linear(head, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)  # B0: N x 3 x 224 x 224 -> N x 1280 x 7 x 7
        return self.classifier(torch.flatten(self.avgpool(x), 1))  # N x 1280 -> N x num_classes
