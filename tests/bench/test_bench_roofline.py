"""Roofline points from hand-made rows and a known device: attainable = min(peak, bandwidth x intensity)."""

from __future__ import annotations

import pytest

from archcost.timing.peak import DevicePeak
from archcost.timing.roofline_data import roofline_rows

PEAK = DevicePeak(peak_gflops=100.0, peak_dtype="float32", gemm_side=1024, gemm_runs=3, bandwidth_gb_per_s=10.0,
                  copy_bytes=2**26, copy_runs=3, tf32=False)


def _row(name: str, depth: int, macs: int, intensity: float) -> dict:
    return {"name": name, "type": "Conv2d", "depth": depth, "kernel": "3x3/1", "output_shape": (1, 4, 8, 8),
            "params": 108, "macs": macs, "memory_bytes": int(2 * macs / intensity),
            "intensity_flops_per_byte": intensity}


def test_points() -> None:
    rows = [_row("", 0, 5_000_000, 50.0), _row("a", 1, 1_000, 2.0), _row("untimed", 1, 10, 1.0),
            _row("a.deep", 2, 1_000, 2.0)]
    points = roofline_rows(rows, {"": 1.0, "a": 0.001, "a.deep": 0.001}, peak=PEAK, max_depth=1)
    assert [p["name"] for p in points] == ["", "a"]
    whole, a = points
    assert PEAK.ridge_flops_per_byte == 10.0
    # Whole model: 2 x 5e6 FLOP in 1 ms = 10 GFLOP/s; intensity 50 > ridge 10: compute-bound, roof 100.
    assert whole["achieved_gflops"] == pytest.approx(10.0)
    assert (whole["attainable_gflops"], whole["bound"]) == (100.0, "compute")
    assert whole["attainable_fraction"] == pytest.approx(0.1)
    # Layer a: 2,000 FLOP in 1 us = 2 GFLOP/s; intensity 2 < 10: memory-bound, roof 10 GB/s x 2 = 20 GFLOP/s.
    assert a["achieved_gflops"] == pytest.approx(2.0)
    assert (a["attainable_gflops"], a["bound"]) == (20.0, "memory")
    assert a["attainable_fraction"] == pytest.approx(0.1)
    assert a["output_shape"] == [1, 4, 8, 8] and a["measured_ms"] == 0.001


def test_peak_dict_carries_the_ridge() -> None:
    data = PEAK.to_dict()
    assert data["ridge_flops_per_byte"] == 10.0
    assert "1024x1024" in data["peak_method"]


def test_roofline_of_a_measured_network() -> None:
    from archcost.timing import roofline
    from bench_tiny import TINY_MACS_PER_IMAGE, Tiny

    document = roofline(Tiny(), "3x8x8", batch=2, runs=2)
    assert document["schema"] == "archcost.roofline/1"
    assert (document["model"], document["input_shape"], document["dtype"]) == ("Tiny", [2, 3, 8, 8], "float32")
    assert [p["name"] for p in document["layers"]] == ["", "conv", "act", "pool", "fc"]
    assert document["layers"][0]["macs"] == 2 * TINY_MACS_PER_IMAGE
    assert document["layers"][1]["macs"] == 2 * 6912
    assert document["peak"]["peak_gflops"] > 0 and document["overhead"]["runs"] == 2
