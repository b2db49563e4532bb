"""CUDA paths: run on a machine with a GPU (benchmarks/gpu_matrix.sh runs them first); skipped everywhere else."""

from __future__ import annotations

import pytest
import torch

import archcost.timing
from archcost.timing import layer_profile
from bench_tiny import TINY_MACS_PER_IMAGE, Tiny

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
FAST = {"warmup": 1, "max_warmup_s": 0.0, "min_time_s": 0.0, "min_runs": 5}


def test_cuda_result_and_device() -> None:
    report = archcost.bench(Tiny(), input_shape="3x8x8", batches=(1, 4), device="cuda", **FAST)
    document = report.to_dict()
    device = document["device"]
    assert device["type"] == "cuda" and device["name"] == torch.cuda.get_device_name()
    assert {"cudnn_allow_tf32", "matmul_allow_tf32", "capability"} <= set(device)
    assert device["peak_gflops"] > 0 and device["bandwidth_gb_per_s"] > 0
    assert "CUDA events" in document["method"]
    for result, batch in zip(document["results"], (1, 4)):
        assert result["macs"] == TINY_MACS_PER_IMAGE * batch
        assert result["peak_memory_kind"] == "cuda_max_allocated" and result["peak_memory_bytes"] > 0
        assert result["p10_ms"] <= result["median_ms"] <= result["p90_ms"]


def test_cuda_out_of_memory_then_next_batch() -> None:
    # 10^9 x 3 x 8 x 8 float32 = 768 GB: more than any GPU holds, refused at allocation.
    report = archcost.bench("resnet20", input_shape="3x8x8", batches=(1_000_000_000, 2), device="cuda", **FAST)
    assert [r["batch"] for r in report.results] == [2]
    assert report.failures[0]["kind"] == "out_of_memory"


def test_cuda_bfloat16_channels_last() -> None:
    if not torch.cuda.is_bf16_supported():
        pytest.skip("this GPU has no bfloat16")
    report = archcost.bench("resnet20", batches=(8,), device="cuda", dtype="bfloat16", channels_last=True, **FAST)
    (result,) = report.results
    assert (result["dtype"], result["channels_last"]) == ("bfloat16", True)


def test_cuda_layer_times_with_events() -> None:
    model = Tiny().cuda()
    profile = layer_profile(model, torch.randn(2, 3, 8, 8, device="cuda"), runs=5, warmup=1)
    assert list(profile.times_ms) == ["", "conv", "act", "pool", "fc"]
    assert profile.times_ms[""] >= max(profile.times_ms[n] for n in ("conv", "act", "pool", "fc"))
