"""Bench tests run on machines that may be busy: the load a test sees is simulated (idle unless the test sets one),
and the stability of real timings is left out of the busy verdict, so no test's stderr depends on the machine.
tests/bench/test_bench_load.py tests both signals on simulated figures."""

from __future__ import annotations

from typing import Any

import pytest

from archcost.bench import harness
from archcost.bench.load import Load, assess


@pytest.fixture(autouse=True)
def idle_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    def load_only(load_1min: float | None, cores: int, threads: int, results: Any = (), **_: Any) -> Load:
        return assess(load_1min, cores, threads)

    monkeypatch.setattr(harness, "read_load", lambda: (0.0, 2))
    monkeypatch.setattr(harness, "assess", load_only)
