"""One test matrix over the whole registry: a new architecture is tested the day it is added."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import archcost
from archcost.zoo.registry import get, list_architectures

GOLDEN_DIR = Path(archcost.__file__).parent / "zoo" / "golden"
GOLDEN: dict[str, dict] = {}
for path in sorted(GOLDEN_DIR.glob("*.json")):
    for name, row in json.loads(path.read_text()).items():
        assert name not in GOLDEN, f"{name} has two golden rows"
        GOLDEN[name] = row

NAMES = list_architectures()
# Real CPU tensors for the small models only: CI has 2 cores and 24 GB.
CPU_PARAMS_LIMIT = 30_000_000
CPU_FORWARD_MACS_LIMIT = 400_000_000


def test_every_entry_has_a_golden_row_and_every_golden_row_an_entry() -> None:
    assert sorted(GOLDEN) == sorted(NAMES)


def test_registry_refuses_a_duplicate_and_suggests_close_names() -> None:
    from archcost.errors import UnknownArchitectureError
    from archcost.zoo.registry import register

    with pytest.raises(ValueError, match="already registered"):
        register("googlenet", family="x", paper=get("googlenet").paper, input_shape=(3, 1, 1))(lambda: None)
    with pytest.raises(UnknownArchitectureError, match="did you mean googlenet"):
        get("googlenett")
    assert list_architectures("googlenet*") == ["googlenet", "googlenet-aux", "googlenet-fmnist"]


@pytest.mark.parametrize("name", NAMES)
def test_entry_metadata_is_complete(name: str) -> None:
    entry = get(name)
    assert entry.family and entry.paper.title and entry.paper.arxiv and entry.paper.year
    assert len(entry.input_shape) == 3 and all(d > 0 for d in entry.input_shape)
    assert entry.dataset
    assert list(entry.input_shape) == GOLDEN[name]["input_shape"]
    assert GOLDEN[name]["source"], f"{name}'s golden count must say what it was checked against"


@pytest.mark.parametrize("name", NAMES)
def test_entry_builds_on_meta_and_matches_its_golden_figures(name: str) -> None:
    a = archcost.analyze(name)
    entry = get(name)
    assert a.uncounted_ops == {}
    assert a.totals["params"] == GOLDEN[name]["params"]
    assert a.totals["macs"] == GOLDEN[name]["macs"]
    output = a.rows[0]["output_shape"]
    if entry.num_classes:
        assert output == (1, entry.num_classes)
    for total, own in (("params", "own_params"), ("macs", "own_macs"), ("ops", "own_ops")):
        assert sum(r[own] for r in a.rows) == a.totals[total]


@pytest.mark.parametrize("name", NAMES)
def test_meta_and_cpu_parameter_counts_agree(name: str) -> None:
    if GOLDEN[name]["params"] > CPU_PARAMS_LIMIT:
        pytest.skip(f"{name}: {GOLDEN[name]['params']:,} parameters is too large to allocate in CI")
    meta = archcost.build(name)
    cpu = archcost.build(name, device="cpu")
    assert {p.device.type for p in cpu.parameters()} == {"cpu"}
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(meta) == count(cpu) == GOLDEN[name]["params"]
    if GOLDEN[name]["macs"] <= CPU_FORWARD_MACS_LIMIT:
        # Real kernels on CPU against the tracer's shape-only meta kernels: every class, every layer, identical.
        on_cpu = archcost.analyze(cpu, (1, *get(name).input_shape), device="cpu", convention="full")
        on_meta = archcost.analyze(meta, (1, *get(name).input_shape), convention="full")
        assert on_cpu.totals["macs"] == GOLDEN[name]["macs"]
        assert on_cpu.totals == on_meta.totals
        assert on_cpu.rows == on_meta.rows
    del cpu
    torch.cuda.empty_cache() if torch.cuda.is_available() else None
