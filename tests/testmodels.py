"""Small networks for engine tests, importable as ``testmodels:NAME`` (pytest puts this folder on sys.path)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class BasicBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut = nn.Sequential()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + self.shortcut(x))


class TinyResNet(nn.Module):
    """A ResNet-style network: stem, three stages of basic blocks with projection shortcuts, GAP, FC."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.layer1 = BasicBlock(16, 16, 1)
        self.layer2 = BasicBlock(16, 32, 2)
        self.layer3 = BasicBlock(32, 64, 2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layer3(self.layer2(self.layer1(self.stem(x))))
        return self.fc(torch.flatten(self.pool(x), 1))


class Shared(nn.Module):
    """One conv called twice, and a linear whose weight is tied to another's."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.head = nn.Linear(4, 4)
        self.tied = nn.Linear(4, 4, bias=False)
        self.tied.weight = self.head.weight

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(self.conv(x))
        x = x.mean(dim=(2, 3))
        return self.tied(self.head(x))


class Functional(nn.Module):
    """Functional calls only: SE-style scaling, highway gating, concatenation, global pooling."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(8, 8, 1)
        self.gate = nn.Conv2d(8, 8, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv(x)
        t = torch.sigmoid(self.gate(x))
        y = h * t + x * (1 - t)  # highway: H(x) T + x (1 - T)
        s = F.adaptive_avg_pool2d(y, 1)
        y = y * torch.sigmoid(s)  # squeeze-excitation style scaling
        return torch.cat([y, x], dim=1)


class Failing(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.ok = nn.Conv2d(3, 4, 3)
        self.broken = nn.Linear(5, 5)  # expects 5 features, receives 4 channels: its forward raises

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.broken(self.ok(x).permute(0, 2, 3, 1))


class Uncounted(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sort(self.conv(x), dim=1).values  # sorting has no rule (its comparisons depend on the data)


def tiny_resnet() -> nn.Module:
    return TinyResNet()


def shared() -> nn.Module:
    return Shared()


def functional() -> nn.Module:
    return Functional()


def failing() -> nn.Module:
    return Failing()


def uncounted() -> nn.Module:
    return Uncounted()


def not_a_module() -> int:
    return 42


class Call(nn.Module):
    """``fn(x, *operands)``: the operands are buffers, so a one-input analysis can carry a second matmul operand."""

    def __init__(self, fn, *operands: torch.Tensor) -> None:  # type: ignore[no-untyped-def]
        super().__init__()
        self.fn = fn
        for i, t in enumerate(operands):
            self.register_buffer(f"b{i}", t)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x, *self._buffers.values())


def rss_bytes() -> int:
    """This process's resident set now (Linux), for tests that prove an analysis allocated nothing real."""
    import resource

    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
