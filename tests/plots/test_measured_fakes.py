"""A simulated timing source for the measured part of ``archcost report``: bench documents shaped exactly as the
harness writes them (``archcost.bench/1``), with times given by hand, so the charts are tested without timing.

Imported by path from tests/test_report.py (this folder is not a package); the one test here checks the fake itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# A made-up machine: 400 GFLOP/s GEMM peak and 20 GB/s copy bandwidth, so the ridge point is 20 FLOP/byte.
DEVICE = {"type": "cpu", "name": "Simulated CPU", "torch_version": "9.9.9", "threads": 2, "logical_cpus": 2,
          "peak_gflops": 400.0, "peak_dtype": "float32", "bandwidth_gb_per_s": 20.0, "ridge_flops_per_byte": 20.0,
          "peak_method": "simulated", "bandwidth_method": "simulated"}
# arch -> (MACs at batch 1, median ms at batch 1, intensity FLOP/byte): mobilenet-v2 memory-bound and slow.
PROFILE = {"resnet18": (1_814_073_344, 20.0, 40.0), "resnet50": (4_089_184_256, 45.0, 35.0),
           "mobilenet-v2": (300_774_272, 30.0, 5.0), "efficientnet-b0": (385_000_000, 9.0, 6.0)}


def record(arch: str, batch: int, macs: int, ms: float, intensity: float) -> dict[str, Any]:
    seconds = ms / 1e3
    return {"arch": arch, "batch": batch, "dtype": "float32", "channels_last": False, "compiled": False,
            "median_ms": ms, "p10_ms": 0.9 * ms, "p90_ms": 1.1 * ms, "iqr_ms": 0.1 * ms, "cov": 0.05, "runs": 5,
            "images_per_s": batch / seconds, "macs": macs * batch, "achieved_gflops": 2 * macs * batch / seconds / 1e9,
            "peak_fraction": 2 * macs * batch / seconds / 1e9 / DEVICE["peak_gflops"], "peak_memory_bytes": 1000,
            "ms_per_image": ms / batch, "input_shape": [batch, 3, 224, 224], "intensity_flops_per_byte": intensity,
            "warmup_stable": True}


def document(results: list[dict[str, Any]], failures: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"schema": "archcost.bench/1", "archcost_version": "0", "device": dict(DEVICE),
            "settings": {"dtype": "float32", "threads": 2}, "unit": "MAC", "method": "simulated",
            "results": results, "failures": failures or []}


LAYERS = [  # name, type, MACs, ms, intensity: two leaves with MACs, one without, one container
    ("features", "Sequential", 150_000_000, 3.0, 10.0), ("features.0", "Conv2d", 100_000_000, 1.0, 50.0),
    ("features.1", "Conv2d", 50_000_000, 2.0, 4.0), ("features.2", "ReLU6", 0, 0.5, 0.25),
]


def layer_points() -> list[dict[str, Any]]:
    points = []
    for name, kind, macs, ms, intensity in LAYERS:
        attainable = min(DEVICE["peak_gflops"], DEVICE["bandwidth_gb_per_s"] * intensity)
        achieved = 2 * macs / (ms * 1e6)
        points.append({"name": name, "type": kind, "depth": name.count(".") + 1, "macs": macs, "measured_ms": ms,
                       "intensity_flops_per_byte": intensity, "achieved_gflops": achieved,
                       "attainable_gflops": attainable, "bound": "memory" if intensity < 20 else "compute"})
    return points


@dataclass
class _Report:
    data: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return self.data


@dataclass
class FakeRunner:
    """Stands in for archcost.timing.harness.run; time at batch b = ms x b^0.8; each call advances ``clock``."""

    profile: dict[str, tuple[int, float, float]] = field(default_factory=lambda: dict(PROFILE))
    seconds_per_call: float = 1.0
    now: float = 0.0
    calls: list[tuple[str, tuple[int, ...], bool]] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def __call__(self, archs: list[str], *, batches: tuple[int, ...], settings: Any) -> _Report:
        (arch,) = archs
        self.calls.append((arch, tuple(batches), settings.layers))
        self.now += self.seconds_per_call
        macs, ms, intensity = self.profile[arch]
        results = [record(arch, b, macs, ms * b**0.8, intensity) for b in batches]
        if settings.layers:
            results[0]["layers"] = layer_points()
        return _Report(document(results))


def test_fake_records_are_consistent() -> None:
    r = record("resnet18", 4, 1_000_000_000, 40.0, 10.0)
    assert r["images_per_s"] == 100.0 and r["achieved_gflops"] == 2 * 4e9 / 0.04 / 1e9
