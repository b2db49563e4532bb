"""The networks a device profile is calibrated on: generated from a fixed seed, out of the blocks networks are made
of, in seven families (plain 3x3 convolutions with max pooling, CIFAR ResNets, bottleneck and grouped ResNe(X)ts,
inverted residuals with squeeze-excitation, a transformer encoder, an MLP-mixer). ``calibrate.py`` times them;
nothing here runs them. None of them is a network a benchmark checks.
"""

from __future__ import annotations

import random
from typing import Callable

import torch
from torch import nn

SEED = 24
NETWORKS = 14  # two of each family


def _conv_bn(c_in: int, c_out: int, k: int, stride: int = 1, groups: int = 1, act: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, k, stride, k // 2, groups=groups, bias=False),
                               nn.BatchNorm2d(c_out)]
    return nn.Sequential(*layers, nn.ReLU(inplace=True)) if act else nn.Sequential(*layers)


class _Residual(nn.Module):
    def __init__(self, body: nn.Module, shortcut: nn.Module | None = None) -> None:
        super().__init__()
        self.body, self.shortcut = body, shortcut or nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.body(x) + self.shortcut(x))


def _head(channels: int) -> list[nn.Module]:
    return [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, 100)]


def _plain(rng: random.Random) -> tuple[nn.Module, tuple[int, ...]]:
    """VGG-like: 3x3 convolutions and max pooling."""
    width, side = rng.choice((16, 24, 32)), rng.choice((128, 160, 224))
    layers: list[nn.Module] = []
    c_in = 3
    for stage in range(4):
        for _ in range(rng.randint(1, 2)):
            layers.append(_conv_bn(c_in, width << stage, 3))
            c_in = width << stage
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers, *_head(c_in)), (3, side, side)


def _stage(c_in: int, c_out: int, blocks: int, stride: int, body: Callable[[int, int, int], nn.Module]) -> list:
    out = []
    for i in range(blocks):
        s = stride if i == 0 else 1
        shortcut = _conv_bn(c_in, c_out, 1, s, act=False) if (s != 1 or c_in != c_out) else None
        out.append(_Residual(body(c_in, c_out, s), shortcut))
        c_in = c_out
    return out


def _basic(c_in: int, c_out: int, stride: int) -> nn.Module:
    return nn.Sequential(_conv_bn(c_in, c_out, 3, stride), _conv_bn(c_out, c_out, 3, act=False))


def _cifar(rng: random.Random) -> tuple[nn.Module, tuple[int, ...]]:
    """A CIFAR ResNet: 32x32 input, three stages of basic blocks."""
    width, blocks = rng.choice((16, 24)), rng.randint(2, 4)
    layers: list[nn.Module] = [_conv_bn(3, width, 3)]
    for stage in range(3):
        layers += _stage(width << max(0, stage - 1), width << stage, blocks, 1 if stage == 0 else 2, _basic)
    return nn.Sequential(*layers, *_head(width << 2)), (3, 32, 32)


def _bottleneck_body(groups: int, expansion: int) -> Callable[[int, int, int], nn.Module]:
    def body(c_in: int, c_out: int, stride: int) -> nn.Module:
        mid = max(groups, c_out // expansion // groups * groups)
        return nn.Sequential(_conv_bn(c_in, mid, 1), _conv_bn(mid, mid, 3, stride, groups=groups),
                             _conv_bn(mid, c_out, 1, act=False))
    return body


def _bottleneck(rng: random.Random, groups: int = 1) -> tuple[nn.Module, tuple[int, ...]]:
    """ResNet-50-like (or ResNeXt-like with ``groups``): a 7x7 stem, max pooling, bottleneck stages."""
    width, side = rng.choice((32, 48, 64)), rng.choice((160, 224))
    expansion = 2 if groups > 1 else 4
    layers: list[nn.Module] = [_conv_bn(3, width, 7, 2), nn.MaxPool2d(3, 2, 1)]
    c_in = width
    for stage in range(3):
        c_out = width * 4 << stage
        layers += _stage(c_in, c_out, rng.randint(1, 2), 1 if stage == 0 else 2, _bottleneck_body(groups, expansion))
        c_in = c_out
    return nn.Sequential(*layers, *_head(c_in)), (3, side, side)


class _SqueezeExcite(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.reduce, self.expand = nn.Conv2d(channels, channels // 4, 1), nn.Conv2d(channels // 4, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = self.expand(torch.relu(self.reduce(x.mean((2, 3), keepdim=True))))
        return x * torch.sigmoid(scale)


class _Inverted(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int, expand: int, k: int, squeeze: bool) -> None:
        super().__init__()
        mid = c_in * expand
        self.body = nn.Sequential(nn.Conv2d(c_in, mid, 1, bias=False), nn.BatchNorm2d(mid), nn.Hardswish(),
                                  nn.Conv2d(mid, mid, k, stride, k // 2, groups=mid, bias=False), nn.BatchNorm2d(mid),
                                  nn.SiLU(), _SqueezeExcite(mid) if squeeze else nn.Identity(),
                                  nn.Conv2d(mid, c_out, 1, bias=False), nn.BatchNorm2d(c_out))
        self.residual = stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x) if self.residual else self.body(x)


def _mobile(rng: random.Random) -> tuple[nn.Module, tuple[int, ...]]:
    """MobileNet-v2/v3-like: inverted residuals, depthwise 3x3 or 5x5, squeeze-excitation in some."""
    side = rng.choice((192, 224))
    layers: list[nn.Module] = [_conv_bn(3, 16, 3, 2)]
    c_in = 16
    for c_out, stride in ((24, 2), (40, 2), (80, 2), (112, 1), (160, 2)):
        for i in range(rng.randint(1, 3)):
            layers.append(_Inverted(c_in, c_out, stride if i == 0 else 1, rng.choice((3, 4, 6)), rng.choice((3, 5)),
                                    rng.random() < 0.5))
            c_in = c_out
    return nn.Sequential(*layers, _conv_bn(c_in, 640, 1), *_head(640)), (3, side, side)


class _Patches(nn.Module):
    def __init__(self, dim: int, patch: int) -> None:
        super().__init__()
        self.embed = nn.Conv2d(3, dim, patch, patch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.embed(x).flatten(2).transpose(1, 2)


class _Mix(nn.Module):
    def __init__(self, tokens: int, dim: int) -> None:
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.tokens = nn.Sequential(nn.Linear(tokens, tokens * 2), nn.GELU(), nn.Linear(tokens * 2, tokens))
        self.channels = nn.Sequential(nn.Linear(dim, dim * 4), nn.GELU(), nn.Linear(dim * 4, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.tokens(self.norm1(x).transpose(1, 2)).transpose(1, 2)
        return x + self.channels(self.norm2(x))


class _Pool(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(1)


def _tokens(rng: random.Random, mixer: bool) -> tuple[nn.Module, tuple[int, ...]]:
    """A ViT-like transformer encoder (nn.TransformerEncoderLayer) or an MLP-mixer on image patches."""
    dim, depth, side = rng.choice((192, 256, 384)), rng.randint(3, 6), 224
    patch = 16
    tokens = (side // patch) ** 2
    if mixer:
        blocks: list[nn.Module] = [_Mix(tokens, dim) for _ in range(depth)]
    else:
        blocks = [nn.TransformerEncoderLayer(dim, dim // 64, dim * 4, 0.0, "gelu", batch_first=True,
                                             norm_first=True) for _ in range(depth)]
    return nn.Sequential(_Patches(dim, patch), *blocks, nn.LayerNorm(dim), _Pool(), nn.Linear(dim, 100)), \
        (3, side, side)


FAMILIES: dict[str, Callable[[random.Random], tuple[nn.Module, tuple[int, ...]]]] = {
    "plain": _plain, "cifar": _cifar, "bottleneck": _bottleneck, "grouped": lambda rng: _bottleneck(rng, groups=8),
    "mobile": _mobile, "transformer": lambda rng: _tokens(rng, mixer=False),
    "mixer": lambda rng: _tokens(rng, mixer=True),
}


def networks(seed: int = SEED, count: int = NETWORKS) -> list[tuple[str, nn.Module, tuple[int, ...]]]:
    """``count`` generated networks (name, model in eval mode, input shape with batch 1), the families in turn."""
    rng = random.Random(seed)
    names = list(FAMILIES)
    out = []
    for i in range(count):
        family = names[i % len(names)]
        torch.manual_seed(seed + i)
        model, shape = FAMILIES[family](rng)
        out.append((f"{family}-{i // len(names) + 1}", model.eval(), (1, *shape)))
    return out
