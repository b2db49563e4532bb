"""AlexNet and VGG as one generic plain network built from the tables in :mod:`archcost.zoo.plain`."""

from __future__ import annotations

import torch
from torch import nn

from archcost.shapes import conv_output_size, pool_output_size
from archcost.zoo.plain import ConvSpec, PlainConfig


class PlainNet(nn.Module):
    """conv+ReLU / max-pool features, then (dropout, FC, ReLU) per hidden layer and a linear classifier."""

    def __init__(self, config: PlainConfig, *, num_classes: int, input_size: int, in_channels: int = 3) -> None:
        super().__init__()
        channels, size = in_channels, input_size
        features: list[nn.Module] = []
        for step in config.features:
            if isinstance(step, ConvSpec):
                features += [nn.Conv2d(channels, step.out, step.kernel, step.stride, step.padding, groups=step.groups),
                             nn.ReLU(inplace=True)]
                channels = step.out
                size = conv_output_size(size, step.kernel, stride=step.stride, padding=step.padding)
            else:
                features.append(nn.MaxPool2d(step.kernel, step.stride))
                size = pool_output_size(size, step.kernel, stride=step.stride)
        self.features = nn.Sequential(*features)
        if config.adaptive_pool is not None:
            self.avgpool: nn.Module = nn.AdaptiveAvgPool2d(config.adaptive_pool)
            size = config.adaptive_pool
        else:
            self.avgpool = nn.Identity()
        if size < 1:
            raise ValueError(f"a {input_size}x{input_size} input collapses to nothing in the feature stack")
        classifier: list[nn.Module] = []
        width = channels * size * size
        for hidden in config.hidden:
            classifier += [nn.Dropout(config.dropout), nn.Linear(width, hidden), nn.ReLU(inplace=True)]
            width = hidden
        classifier.append(nn.Linear(width, num_classes))
        self.classifier = nn.Sequential(*classifier)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.avgpool(self.features(x))  # VGG: N x 512 x 7 x 7; AlexNet: N x 256 x 6 x 6
        return self.classifier(torch.flatten(x, 1))  # N x 25088 (9216) -> N x num_classes
