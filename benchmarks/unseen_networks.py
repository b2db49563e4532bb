"""Networks of kinds users bring, written in plain PyTorch the way users write them: not from archcost's registry,
torchvision or timm, so the latency model is checked on code it was never looked at against (issue 24's "networks
you have not seen").

Each builder takes no argument and returns ``(model, input shape per sample)``: random init, eval mode, no download.
Sizes are chosen so one forward at batch 1 on one CPU thread takes roughly 5-300 ms. ``UNSEEN`` maps the name a
benchmark row carries (``unseen:...``) to its builder.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

Built = tuple[nn.Module, tuple[int, ...]]


# --- 2-d U-Net: encoder-decoder with skip concatenation --------------------------------------------------------------

def _double_conv(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out),
                         nn.ReLU(inplace=True), nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
                         nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class _Up(nn.Module):
    """Doubles the resolution (learned ConvTranspose2d, or bilinear upsampling then a 1x1 to halve the channels),
    concatenates the encoder's skip, then two 3x3 convolutions."""

    def __init__(self, c_in: int, c_out: int, bilinear: bool) -> None:
        super().__init__()
        if bilinear:
            self.up: nn.Module = nn.Sequential(nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
                                               nn.Conv2d(c_in, c_in // 2, 1))
        else:
            self.up = nn.ConvTranspose2d(c_in, c_in // 2, 2, stride=2)
        self.conv = _double_conv(c_in, c_out)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        return self.conv(torch.cat([skip, self.up(x)], dim=1))


class UNet(nn.Module):
    def __init__(self, in_channels: int, classes: int, width: int, depth: int, bilinear: bool) -> None:
        super().__init__()
        widths = [width * 2 ** i for i in range(depth + 1)]
        self.stem = _double_conv(in_channels, widths[0])
        self.down = nn.ModuleList(_double_conv(a, b) for a, b in zip(widths, widths[1:]))
        self.up = nn.ModuleList(_Up(b, a, bilinear) for a, b in reversed(list(zip(widths, widths[1:]))))
        self.head = nn.Conv2d(widths[0], classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = [self.stem(x)]
        for block in self.down:
            skips.append(block(F.max_pool2d(skips[-1], 2)))
        x = skips.pop()
        for block in self.up:
            x = block(x, skips.pop())
        return self.head(x)


def unet_small() -> Built:
    return UNet(3, 2, width=16, depth=3, bilinear=False).eval(), (3, 128, 128)


def unet_medium() -> Built:
    return UNet(1, 4, width=32, depth=4, bilinear=True).eval(), (1, 160, 160)


# --- 1-d convolution: a WaveNet-like gated dilated stack, and a 1-d ResNet for signals -------------------------------

class _GatedResidual(nn.Module):
    def __init__(self, channels: int, skip_channels: int, dilation: int) -> None:
        super().__init__()
        self.dilated = nn.Conv1d(channels, 2 * channels, 2, dilation=dilation, padding=dilation)
        self.residual = nn.Conv1d(channels, channels, 1)
        self.skip = nn.Conv1d(channels, skip_channels, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        filt, gate = self.dilated(x)[..., : x.shape[-1]].chunk(2, dim=1)  # causal: drop the look-ahead
        h = torch.tanh(filt) * torch.sigmoid(gate)
        return x + self.residual(h), self.skip(h)


class WaveNet(nn.Module):
    def __init__(self, channels: int = 32, skip_channels: int = 64, layers: int = 10, stacks: int = 2,
                 classes: int = 256) -> None:
        super().__init__()
        self.inp = nn.Conv1d(1, channels, 1)
        self.blocks = nn.ModuleList(_GatedResidual(channels, skip_channels, 2 ** (i % layers))
                                    for i in range(layers * stacks))
        self.out = nn.Sequential(nn.ReLU(), nn.Conv1d(skip_channels, skip_channels, 1), nn.ReLU(),
                                 nn.Conv1d(skip_channels, classes, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.inp(x)
        skips = 0
        for block in self.blocks:
            x, s = block(x)
            skips = skips + s
        return self.out(skips)


def wavenet() -> Built:
    return WaveNet().eval(), (1, 4000)


class _Basic1d(nn.Module):
    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(c_in, c_out, kernel, stride, padding=kernel // 2, bias=False)
        self.bn1 = nn.BatchNorm1d(c_out)
        self.conv2 = nn.Conv1d(c_out, c_out, kernel, padding=kernel // 2, bias=False)
        self.bn2 = nn.BatchNorm1d(c_out)
        self.shortcut = (nn.Sequential(nn.Conv1d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm1d(c_out))
                         if stride != 1 or c_in != c_out else nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class ResNet1d(nn.Module):
    """ECG-style: 12 leads, a kernel-15 stem, stages with kernels 7, 5, 3, 3."""

    def __init__(self, leads: int = 12, classes: int = 5) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv1d(leads, 64, 15, 2, padding=7, bias=False), nn.BatchNorm1d(64), nn.ReLU(),
                                  nn.MaxPool1d(3, 2, padding=1))
        plan = [(64, 64, 7, 1), (64, 128, 5, 2), (128, 192, 3, 2), (192, 256, 3, 2)]
        self.stages = nn.Sequential(*(nn.Sequential(_Basic1d(a, b, k, s), _Basic1d(b, b, k, 1))
                                      for a, b, k, s in plan))
        self.fc = nn.Linear(256, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.stages(self.stem(x)).mean(dim=-1))


def resnet1d() -> Built:
    return ResNet1d().eval(), (12, 5000)


class _TemporalBlock(nn.Module):
    """Bai et al.'s TCN block: two causal dilated kernel-3 convolutions (left padding), ReLU, a residual."""

    def __init__(self, c_in: int, c_out: int, dilation: int) -> None:
        super().__init__()
        self.pad = 2 * dilation
        self.conv1 = nn.Conv1d(c_in, c_out, 3, dilation=dilation)
        self.conv2 = nn.Conv1d(c_out, c_out, 3, dilation=dilation)
        self.down = nn.Conv1d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.conv1(F.pad(x, (self.pad, 0))))
        out = F.relu(self.conv2(F.pad(out, (self.pad, 0))))
        return F.relu(out + self.down(x))


class TCN(nn.Module):
    def __init__(self, features: int = 8, channels: int = 64, levels: int = 6, classes: int = 10) -> None:
        super().__init__()
        self.blocks = nn.Sequential(*(_TemporalBlock(features if i == 0 else channels, channels, 2 ** i)
                                      for i in range(levels)))
        self.head = nn.Linear(channels, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(x)[..., -1])  # the last step sees the whole receptive field


def tcn() -> Built:
    return TCN().eval(), (8, 1000)


# --- Transformers: attention written by hand, and nn.TransformerEncoder ---------------------------------------------

class _Attention(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        weights = (q @ k.transpose(-2, -1) * (d // self.heads) ** -0.5).softmax(dim=-1)
        return self.proj((weights @ v).transpose(1, 2).reshape(b, n, d))


class _EncoderBlock(nn.Module):
    def __init__(self, dim: int, heads: int, mlp_ratio: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = _Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp_ratio * dim), nn.GELU(), nn.Linear(mlp_ratio * dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class TinyViT(nn.Module):
    """Patch embedding by a strided convolution, a class token, learned positions, pre-norm blocks."""

    def __init__(self, image: int = 224, patch: int = 16, dim: int = 192, depth: int = 6, heads: int = 3,
                 classes: int = 1000) -> None:
        super().__init__()
        self.embed = nn.Conv2d(3, dim, patch, stride=patch)
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(torch.randn(1, (image // patch) ** 2 + 1, dim) * 0.02)
        self.blocks = nn.Sequential(*(_EncoderBlock(dim, heads, 4) for _ in range(depth)))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.embed(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1) + self.pos
        return self.head(self.norm(self.blocks(x))[:, 0])


def vit_hand() -> Built:
    return TinyViT().eval(), (3, 224, 224)


class SequenceClassifier(nn.Module):
    """Features in (e.g. 40 filterbanks per frame), nn.TransformerEncoder, mean over time, a linear head."""

    def __init__(self, features: int = 80, dim: int = 256, heads: int = 4, layers: int = 4, classes: int = 35) -> None:
        super().__init__()
        self.inp = nn.Linear(features, dim)
        layer = nn.TransformerEncoderLayer(dim, heads, dim_feedforward=4 * dim, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Linear(dim, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(self.inp(x)).mean(dim=1))


def transformer_torch() -> Built:
    return SequenceClassifier().eval(), (200, 80)


# --- MLP-mixer by hand ----------------------------------------------------------------------------------------------

class _MixerBlock(nn.Module):
    def __init__(self, tokens: int, dim: int, token_hidden: int, channel_hidden: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.token_mlp = nn.Sequential(nn.Linear(tokens, token_hidden), nn.GELU(), nn.Linear(token_hidden, tokens))
        self.norm2 = nn.LayerNorm(dim)
        self.channel_mlp = nn.Sequential(nn.Linear(dim, channel_hidden), nn.GELU(), nn.Linear(channel_hidden, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.token_mlp(self.norm1(x).transpose(1, 2)).transpose(1, 2)
        return x + self.channel_mlp(self.norm2(x))


class Mixer(nn.Module):
    def __init__(self, image: int = 224, patch: int = 16, dim: int = 256, depth: int = 8, classes: int = 1000) -> None:
        super().__init__()
        tokens = (image // patch) ** 2
        self.embed = nn.Conv2d(3, dim, patch, stride=patch)
        self.blocks = nn.Sequential(*(_MixerBlock(tokens, dim, 128, 4 * dim) for _ in range(depth)))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.blocks(self.embed(x).flatten(2).transpose(1, 2))
        return self.head(self.norm(x).mean(dim=1))


def mixer_hand() -> Built:
    return Mixer().eval(), (3, 224, 224)


def mixer_small() -> Built:
    return Mixer(image=160, patch=16, dim=160, depth=6, classes=10).eval(), (3, 160, 160)


# --- ShuffleNet-like: grouped 1x1, channel shuffle, depthwise 3x3 ----------------------------------------------------

def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    b, c, h, w = x.shape
    return x.view(b, groups, c // groups, h, w).transpose(1, 2).reshape(b, c, h, w)


class _ShuffleUnit(nn.Module):
    """ShuffleNet v1's unit: stride 1 adds the input back, stride 2 concatenates an average-pooled copy."""

    def __init__(self, c_in: int, c_out: int, groups: int, stride: int) -> None:
        super().__init__()
        self.groups, self.stride = groups, stride
        branch = c_out - c_in if stride == 2 else c_out
        mid = c_out // 4
        self.reduce = nn.Sequential(nn.Conv2d(c_in, mid, 1, groups=groups, bias=False), nn.BatchNorm2d(mid),
                                    nn.ReLU(inplace=True))
        self.depthwise = nn.Sequential(nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False), nn.BatchNorm2d(mid))
        self.expand = nn.Sequential(nn.Conv2d(mid, branch, 1, groups=groups, bias=False), nn.BatchNorm2d(branch))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.expand(self.depthwise(channel_shuffle(self.reduce(x), self.groups)))
        if self.stride == 2:
            return F.relu(torch.cat([F.avg_pool2d(x, 3, 2, 1), out], dim=1))
        return F.relu(x + out)


class ShuffleLike(nn.Module):
    def __init__(self, groups: int = 4, widths: tuple[int, ...] = (272, 544, 1088),
                 repeats: tuple[int, ...] = (4, 8, 4), classes: int = 1000) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 24, 3, 2, 1, bias=False), nn.BatchNorm2d(24), nn.ReLU(inplace=True),
                                  nn.MaxPool2d(3, 2, 1))
        units, c_in = [], 24
        for width, repeat in zip(widths, repeats):
            units.append(_ShuffleUnit(c_in, width, groups if c_in != 24 else 1, 2))
            units += [_ShuffleUnit(width, width, groups, 1) for _ in range(repeat - 1)]
            c_in = width
        self.units = nn.Sequential(*units)
        self.fc = nn.Linear(c_in, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.units(self.stem(x)).mean(dim=(2, 3)))


def shuffle_like() -> Built:
    return ShuffleLike().eval(), (3, 224, 224)


# --- Depthwise-separable with squeeze-and-excitation and hardswish (MobileNet-v3-like) -------------------------------

class _SqueezeExcite(nn.Module):
    def __init__(self, channels: int, reduction: int = 4) -> None:
        super().__init__()
        self.fc1 = nn.Conv2d(channels, channels // reduction, 1)
        self.fc2 = nn.Conv2d(channels // reduction, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = F.hardsigmoid(self.fc2(F.relu(self.fc1(x.mean(dim=(2, 3), keepdim=True)))))
        return x * scale


class _SeparableSE(nn.Module):
    def __init__(self, c_in: int, c_out: int, expand: int, kernel: int, stride: int) -> None:
        super().__init__()
        mid = c_in * expand
        self.residual = stride == 1 and c_in == c_out
        self.body = nn.Sequential(
            nn.Conv2d(c_in, mid, 1, bias=False), nn.BatchNorm2d(mid), nn.Hardswish(),
            nn.Conv2d(mid, mid, kernel, stride, kernel // 2, groups=mid, bias=False), nn.BatchNorm2d(mid),
            nn.Hardswish(), _SqueezeExcite(mid), nn.Conv2d(mid, c_out, 1, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.body(x)
        return x + out if self.residual else out


class SeparableSE(nn.Module):
    def __init__(self, classes: int = 1000) -> None:
        super().__init__()
        plan = [(16, 24, 4, 3, 2), (24, 24, 3, 3, 1), (24, 40, 3, 5, 2), (40, 40, 3, 5, 1), (40, 80, 6, 3, 2),
                (80, 80, 3, 3, 1), (80, 112, 6, 3, 1), (112, 160, 6, 5, 2), (160, 160, 6, 5, 1)]
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.Hardswish())
        self.blocks = nn.Sequential(*(_SeparableSE(*p) for p in plan))
        self.head = nn.Sequential(nn.Conv2d(160, 960, 1, bias=False), nn.BatchNorm2d(960), nn.Hardswish())
        self.fc = nn.Linear(960, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.head(self.blocks(self.stem(x))).mean(dim=(2, 3)))


def separable_se() -> Built:
    return SeparableSE().eval(), (3, 224, 224)


# --- ConvNeXt-like: 7x7 depthwise, LayerNorm over channels, inverted MLP ---------------------------------------------

class _ConvNeXtBlock(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pw1 = nn.Linear(dim, 4 * dim)
        self.pw2 = nn.Linear(4 * dim, dim)
        self.gamma = nn.Parameter(torch.full((dim,), 1e-6))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.norm(self.dwconv(x).permute(0, 2, 3, 1))  # channels last for LayerNorm and the Linears
        y = self.gamma * self.pw2(F.gelu(self.pw1(y)))
        return x + y.permute(0, 3, 1, 2)


class ConvNeXtLike(nn.Module):
    def __init__(self, dims: tuple[int, ...] = (48, 96, 192, 384), depths: tuple[int, ...] = (2, 2, 4, 2),
                 classes: int = 1000) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(3, dims[0], 4, stride=4)]
        for i, (dim, depth) in enumerate(zip(dims, depths)):
            if i:
                layers += [nn.GroupNorm(1, dims[i - 1]), nn.Conv2d(dims[i - 1], dim, 2, stride=2)]
            layers += [_ConvNeXtBlock(dim) for _ in range(depth)]
        self.features = nn.Sequential(*layers)
        self.norm = nn.LayerNorm(dims[-1])
        self.head = nn.Linear(dims[-1], classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.norm(self.features(x).mean(dim=(2, 3))))


def convnext_like() -> Built:
    return ConvNeXtLike().eval(), (3, 224, 224)


UNSEEN: dict[str, Callable[[], Built]] = {
    "unseen:unet-small": unet_small,
    "unseen:unet-medium": unet_medium,
    "unseen:wavenet": wavenet,
    "unseen:resnet1d": resnet1d,
    "unseen:tcn": tcn,
    "unseen:vit-hand": vit_hand,
    "unseen:transformer-torch": transformer_torch,
    "unseen:mixer-hand": mixer_hand,
    "unseen:mixer-small": mixer_small,
    "unseen:shuffle-like": shuffle_like,
    "unseen:separable-se": separable_se,
    "unseen:convnext-like": convnext_like,
}
