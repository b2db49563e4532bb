"""GoogLeNet / Inception-v1 as one generic network built from the tables in :mod:`archcost.zoo.googlenet`."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from archcost.shapes import conv_output_size, pool_output_size, same_padding
from archcost.zoo.googlenet import (
    AuxSpec,
    ConvSpec,
    GoogLeNetConfig,
    InceptionWidths,
    PoolSpec,
)


class ConvReLU(nn.Sequential):
    """Convolution (with bias, as in the original Caffe model) + optional batch norm + ReLU."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1, padding: int = 0, *,
                 batch_norm: bool = False) -> None:
        layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, kernel, stride, padding, bias=True)]
        if batch_norm:
            layers.append(nn.BatchNorm2d(c_out))
        layers.append(nn.ReLU(inplace=True))
        super().__init__(*layers)


class Inception(nn.Module):
    """Four parallel branches concatenated on channels. A zero reduce width gives the naive module (the 3x3/5x5 read
    the input directly); a zero pool projection passes the pooled input through unchanged."""

    def __init__(self, c_in: int, w: InceptionWidths) -> None:
        super().__init__()
        self.branch1 = ConvReLU(c_in, w.out_1x1, 1)
        self.branch2 = self._reduced(c_in, w.reduce_3x3, w.out_3x3, 3)
        self.branch3 = self._reduced(c_in, w.reduce_5x5, w.out_5x5, 5)
        pool: list[nn.Module] = [nn.MaxPool2d(3, stride=1, padding=1, ceil_mode=True)]
        if w.pool_proj:
            pool.append(ConvReLU(c_in, w.pool_proj, 1))
        self.branch4 = nn.Sequential(*pool)

    @staticmethod
    def _reduced(c_in: int, reduce: int, c_out: int, kernel: int) -> nn.Sequential:
        if not reduce:
            return nn.Sequential(ConvReLU(c_in, c_out, kernel, padding=same_padding(kernel)))
        return nn.Sequential(ConvReLU(c_in, reduce, 1), ConvReLU(reduce, c_out, kernel, padding=same_padding(kernel)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # N x C_in x H x W -> N x (1x1 + 3x3 + 5x5 + pool) x H x W
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], dim=1)


class AuxHead(nn.Module):
    """Section 5's auxiliary classifier: 5x5/3 average pool, 1x1 conv, FC + ReLU, dropout, FC."""

    def __init__(self, c_in: int, spec: AuxSpec, num_classes: int, grid: int) -> None:
        super().__init__()
        self.pool = nn.AvgPool2d(spec.pool, stride=spec.pool_stride)
        self.conv = ConvReLU(c_in, spec.conv, 1)
        side = pool_output_size(grid, spec.pool, stride=spec.pool_stride)
        self.fc1 = nn.Linear(spec.conv * side * side, spec.fc)
        self.relu = nn.ReLU(inplace=True)
        self.dropout = nn.Dropout(spec.dropout)
        self.fc2 = nn.Linear(spec.fc, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(self.pool(x))  # N x 512 x 14 x 14 -> N x 128 x 4 x 4
        return self.fc2(self.dropout(self.relu(self.fc1(torch.flatten(x, 1)))))


class GoogLeNet(nn.Module):
    def __init__(self, config: GoogLeNetConfig, *, num_classes: int, in_channels: int, input_size: int) -> None:
        super().__init__()
        channels, size = in_channels, input_size
        layers: dict[str, nn.Module] = {}
        aux_heads = 0
        for step in config.layers:
            if isinstance(step, ConvSpec):
                layers[step.name] = ConvReLU(channels, step.out, step.kernel, step.stride, step.padding,
                                             batch_norm=step.batch_norm)
                channels = step.out
                size = conv_output_size(size, step.kernel, stride=step.stride, padding=step.padding)
            elif isinstance(step, PoolSpec):
                layers[step.name] = nn.MaxPool2d(step.kernel, step.stride, padding=step.padding,
                                                 ceil_mode=config.ceil_mode)
                size = pool_output_size(size, step.kernel, stride=step.stride, padding=step.padding,
                                        ceil_mode=config.ceil_mode)
            else:
                layers[f"inception{step.name}"] = Inception(channels, step)
                channels = step.out_1x1 + step.out_3x3 + step.out_5x5 + (step.pool_proj or channels)
                if step.name in config.aux_after and config.aux is not None:
                    aux_heads += 1
                    layers[f"aux{aux_heads}"] = AuxHead(channels, config.aux, num_classes, size)
        for name, layer in layers.items():
            self.add_module(name, layer)
        self.stages = tuple(layers)  # forward order: names of the modules above
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(config.dropout)
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x: torch.Tensor) -> Any:
        aux: list[torch.Tensor] = []
        for name in self.stages:
            layer = getattr(self, name)
            if name.startswith("aux"):
                aux.append(layer(x))  # the auxiliary heads read the stage output and leave it unchanged
            else:
                x = layer(x)
        x = torch.flatten(self.avgpool(x), 1)  # N x 1024 x 7 x 7 -> N x 1024
        logits = self.fc(self.dropout(x))
        return (logits, *aux) if aux else logits


class InceptionModule(nn.Module):
    """One inception module on its own, for the naive-versus-bottleneck comparison."""

    def __init__(self, c_in: int, widths: InceptionWidths) -> None:
        super().__init__()
        self.inception = Inception(c_in, widths)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.inception(x)
