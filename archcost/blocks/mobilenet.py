"""MobileNet v1 and v2 built from the tables in :mod:`archcost.zoo.mobilenet`."""

from __future__ import annotations

import torch
from torch import nn

from archcost.shapes import same_padding
from archcost.zoo.mobilenet import MobileNetV1Config, MobileNetV2Config, make_divisible


class ConvBNAct(nn.Sequential):
    """Bias-free convolution (batch norm supplies the shift) + batch norm + activation (none when ``act`` is None)."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1, *, groups: int = 1,
                 act: type[nn.Module] | None = nn.ReLU) -> None:
        layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, kernel, stride, same_padding(kernel), groups=groups, bias=False),
                                   nn.BatchNorm2d(c_out)]
        if act is not None:
            layers.append(act(inplace=True))
        super().__init__(*layers)


class DepthwiseSeparable(nn.Sequential):
    """Figure 3 (right): 3x3 depthwise conv, BN, ReLU, then 1x1 pointwise conv, BN, ReLU."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__(ConvBNAct(c_in, c_in, 3, stride, groups=c_in), ConvBNAct(c_in, c_out, 1))


class MobileNetV1(nn.Module):
    def __init__(self, config: MobileNetV1Config, *, num_classes: int, width_mult: float = 1.0) -> None:
        super().__init__()
        # Section 4.2: the width multiplier thins every layer's channels uniformly.
        channels = int(config.stem * width_mult)
        layers: list[nn.Module] = [ConvBNAct(3, channels, 3, 2)]
        for row in config.rows:
            out = int(row.out * width_mult)
            layers.append(DepthwiseSeparable(channels, out, row.stride))
            channels = out
        self.features = nn.Sequential(*layers)
        # Table 1's 7x7 average pool, written adaptively so that other resolutions (section 4.2's rho) work too.
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)  # N x 3 x 224 x 224 -> N x 1024 x 7 x 7
        return self.fc(torch.flatten(self.avgpool(x), 1))  # N x 1024 -> N x num_classes


class InvertedResidual(nn.Module):
    """Table 1 of the v2 paper: 1x1 expansion (skipped when t = 1), 3x3 depthwise, linear 1x1 projection; the input
    is added back when the block keeps both stride and width."""

    def __init__(self, c_in: int, c_out: int, stride: int, expand: int) -> None:
        super().__init__()
        hidden = int(round(c_in * expand))
        layers: list[nn.Module] = []
        if expand != 1:
            layers.append(ConvBNAct(c_in, hidden, 1, act=nn.ReLU6))
        layers += [ConvBNAct(hidden, hidden, 3, stride, groups=hidden, act=nn.ReLU6),
                   ConvBNAct(hidden, c_out, 1, act=None)]  # linear bottleneck: no ReLU6 on the projection
        self.conv = nn.Sequential(*layers)
        self.use_residual = stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.use_residual else self.conv(x)


class MobileNetV2(nn.Module):
    def __init__(self, config: MobileNetV2Config, *, num_classes: int, width_mult: float = 1.0) -> None:
        super().__init__()
        channels = make_divisible(config.stem * width_mult)
        # torchvision never thins the last conv below 1280 (the paper's section 6.1 says the same).
        last = make_divisible(config.last * max(1.0, width_mult))
        layers: list[nn.Module] = [ConvBNAct(3, channels, 3, 2, act=nn.ReLU6)]
        for row in config.rows:
            out = make_divisible(row.out * width_mult)
            layers.append(InvertedResidual(channels, out, row.stride, row.expand))
            layers += [InvertedResidual(out, out, 1, row.expand) for _ in range(row.repeats - 1)]
            channels = out
        layers.append(ConvBNAct(channels, last, 1, act=nn.ReLU6))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(config.dropout), nn.Linear(last, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)  # N x 3 x 224 x 224 -> N x 1280 x 7 x 7
        return self.classifier(torch.flatten(self.avgpool(x), 1))  # N x 1280 -> N x num_classes
