"""The public API named in DESIGN section 4, reachable from the top-level package."""

from __future__ import annotations

import torch

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
    # The naive module at 28x28x256 by hand: 28*28*(1*1*256*128 + 3*3*256*192 + 5*5*256*96) MACs.
    naive = 28 * 28 * (256 * 128 + 9 * 256 * 192 + 25 * 256 * 96)
    row = next(r for r in result.rows if r.row == "naive: total")
    assert (row.published_text, row.computed, row.status) == ("854M", naive, "rounding")
    # archcost.bench times a real forward and reports the same MACs: a 3x3 conv, 3 -> 4 channels, 8x8 output.
    model = torch.nn.Conv2d(3, 4, 3, padding=1, bias=False)
    report = archcost.bench(model, input_shape="3x8x8", min_time_s=0.0, min_runs=2, warmup=1)
    assert [(r["batch"], r["macs"]) for r in report.results] == [(1, 3 * 3 * 3 * 4 * 8 * 8)]


def test_dtype_applies_to_registry_networks() -> None:
    half = archcost.analyze("inception-naive", dtype="bfloat16").totals
    full = archcost.analyze("inception-naive").totals
    assert half["macs"] == full["macs"]
    assert 2 * half["activation_bytes"] == full["activation_bytes"]
