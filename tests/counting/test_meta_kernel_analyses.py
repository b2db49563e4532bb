"""The tracer's shape-only meta kernels (counting/meta_kernels.py) change no figure: an analysis with them and one
where every op falls back to torch's own meta kernel are identical, layer by layer, for one network of each family of
the registry (a new family is tested the day it is added; every network of a family runs the same blocks)."""

from __future__ import annotations

from typing import Any

import pytest

import archcost
from archcost.counting import meta_kernels
from archcost.zoo.registry import entries


def _first_of_each_family() -> list[str]:
    firsts: dict[str, str] = {}
    for entry in entries():
        firsts.setdefault(entry.family, entry.name)
    return sorted(firsts.values())


def _analysis(name: str) -> dict[str, Any]:
    return archcost.analyze(name, batch=1).to_dict()


@pytest.mark.parametrize("name", _first_of_each_family())
def test_analyses_with_and_without_the_meta_kernels_are_identical(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with_kernels = _analysis(name)
    calls: list[str] = []
    monkeypatch.setattr(meta_kernels, "run", lambda op, args, kwargs: calls.append(op))  # None: torch's kernel
    without = _analysis(name)
    assert calls, "the tracer no longer asks meta_kernels.run: this test no longer tests anything"
    # Peak live bytes are compared apart (below): torch's kernels keep other tensors alive on some networks.
    peaks = (without["totals"].pop("peak_activation_bytes"), with_kernels["totals"].pop("peak_activation_bytes"))
    assert without == with_kernels and with_kernels["totals"]["macs"] > 0
    if name in PEAK_DIFFERS:
        # The tool reports the meta-kernel peak: it must be the one a real CPU run gives.
        cpu_peak = archcost.analyze(name, batch=1, device="cpu").to_dict()["totals"]["peak_activation_bytes"]
        assert peaks[1] == cpu_peak  # (torch's own kernels give this peak in some runs and a higher one in others)
        return
    assert peaks[0] == peaks[1]


# Found by this test (issue 14): on these networks the peak of live activation bytes is higher when torch's own meta
# kernels run (AlexNet: +67,125,248 bytes, one 4096x4096 float32 matrix and 16 KiB). Every other figure is equal, and
# the peak the tool reports (with its kernels: 151,703,404 for AlexNet) is the one a real CPU run gives.
PEAK_DIFFERS = frozenset({"alexnet"})
