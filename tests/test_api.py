"""The public API named in DESIGN section 4, reachable from the top-level package."""

from __future__ import annotations

import archcost


def test_top_level_api() -> None:
    assert "googlenet" in archcost.list_architectures()
    model = archcost.build("inception-naive")
    assert sum(p.numel() for p in model.parameters()) == 1_089_952
    a = archcost.analyze("inception-naive")
    assert isinstance(a, archcost.Analysis)
    assert a.layers.shape[0] == len(a.rows)
    assert a.layers["own_macs"].sum() == a.totals["macs"]


def test_reproduce_and_bench_are_callable_packages() -> None:
    result = archcost.reproduce("inception-module")
    assert result is not None
    assert callable(archcost.bench)


def test_dtype_applies_to_registry_networks() -> None:
    half = archcost.analyze("inception-naive", dtype="bfloat16").totals
    full = archcost.analyze("inception-naive").totals
    assert half["macs"] == full["macs"]
    assert 2 * half["activation_bytes"] == full["activation_bytes"]
