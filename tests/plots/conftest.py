from __future__ import annotations

import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def bench_file() -> Path:
    """A small archcost.bench/1 document: googlenet and resnet18 at batch 1 and 4 on a made-up CPU (400 GFLOP/s,
    20 GB/s)."""
    return FIXTURES / "bench.json"


@pytest.fixture
def bench_document(bench_file: Path) -> dict:
    return json.loads(bench_file.read_text())
