"""Tiny networks whose costs are known by hand, for the bench tests."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

# conv 3->4, 3x3, padding 1 on 8x8: 8 * 8 * 4 * 3 * 3 * 3 = 6912 MACs; linear 4->2: 8 MACs (no biases anywhere).
TINY_MACS_PER_IMAGE = 6912 + 8


class Tiny(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1, bias=False)
        self.act = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4, 2, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.pool(self.act(self.conv(x))).flatten(1))  # N x 2


class FailsAt(Tiny):
    """Raises ``error`` on a real device when the batch size is ``batch`` (the meta-device count still works)."""

    def __init__(self, batch: int, error: BaseException) -> None:
        super().__init__()
        self.batch, self.error = batch, error

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.device.type != "meta" and x.shape[0] == self.batch:
            raise self.error
        return super().forward(x)


class Chatty(Tiny):
    """Prints on every forward: an isolated worker must keep that out of its JSON protocol."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        print("forward!")
        return super().forward(x)


@pytest.fixture(autouse=True)
def idle_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bench tests run on machines that may be busy: a module that imports this fixture sees a simulated idle load
    (unless a test sets another), and the stability of its real timings is left out of the busy verdict, so no
    test's stderr depends on the machine. test_bench_load.py tests both signals on simulated figures."""
    from archcost.timing import harness
    from archcost.timing.load import Load, assess

    def load_only(load_1min: float | None, cores: int, threads: int, results: Any = (), **_: Any) -> Load:
        return assess(load_1min, cores, threads)

    monkeypatch.setattr(harness, "read_load", lambda: (0.0, 2))
    monkeypatch.setattr(harness, "assess", load_only)
