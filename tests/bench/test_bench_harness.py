"""The harness through the Python API, on tiny models with hand-counted MACs: derived figures, failures, schema."""

from __future__ import annotations

import json

import pytest
import torch

import archcost.timing
from bench_tiny import TINY_MACS_PER_IMAGE, FailsAt, Tiny

ISSUE_KEYS = {"arch", "batch", "dtype", "channels_last", "compiled", "median_ms", "p10_ms", "p90_ms", "iqr_ms", "cov",
              "runs", "images_per_s", "macs", "achieved_gflops", "peak_fraction", "peak_memory_bytes"}
FAST = {"warmup": 0, "max_warmup_s": 0.0, "min_time_s": 0.0, "min_runs": 4, "threads": 1}


def test_results_derive_from_the_median_and_the_engine_macs() -> None:
    report = archcost.bench(Tiny(), input_shape="3x8x8", batches=(1, 3), **FAST)
    document = report.to_dict()
    assert document["schema"] == "archcost.bench/1"
    assert not document["failures"]
    json.dumps(document)  # JSON-serialisable as it stands
    peak = document["device"]["peak_gflops"]
    assert peak > 0 and document["device"]["bandwidth_gb_per_s"] > 0
    for result, batch in zip(document["results"], (1, 3)):
        assert ISSUE_KEYS <= set(result)
        assert (result["arch"], result["batch"], result["dtype"]) == ("Tiny", batch, "float32")
        assert (result["channels_last"], result["compiled"]) == (False, False)
        assert result["macs"] == TINY_MACS_PER_IMAGE * batch
        assert result["runs"] >= 4
        assert result["p10_ms"] <= result["median_ms"] <= result["p90_ms"]
        median_s = result["median_ms"] / 1e3
        assert result["images_per_s"] == pytest.approx(batch / median_s)
        assert result["achieved_gflops"] == pytest.approx(2 * result["macs"] / median_s / 1e9)
        assert result["peak_fraction"] == pytest.approx(result["achieved_gflops"] / peak)
        assert result["ms_per_image"] == pytest.approx(result["median_ms"] / batch)
        assert result["peak_memory_kind"] == "cpu_rss_growth"
        assert result["input_shape"] == [batch, 3, 8, 8]


def test_model_instance_is_measured_in_place_and_left_in_eval() -> None:
    model = Tiny()
    archcost.bench(model, input_shape="3x8x8", **FAST)
    assert not model.training


def test_out_of_memory_is_reported_and_the_run_goes_on() -> None:
    events: list[tuple[str, dict]] = []
    error = torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
    report = archcost.bench(FailsAt(2, error), input_shape="3x8x8", batches=(1, 2, 3),
                            observer=lambda event, payload: events.append((event, payload)), **FAST)
    assert [r["batch"] for r in report.results] == [1, 3]
    (failure,) = report.failures
    assert failure["kind"] == "out_of_memory" and failure["batch"] == 2
    assert failure["error"] == ("FailsAt batch 2: out of memory on cpu "
                                "(CUDA out of memory. Tried to allocate 20.00 GiB); skipped")
    assert [e for e, _ in events if e != "progress"] == ["start", "result", "start", "failure", "start", "result"]


def test_a_kernel_missing_for_the_dtype_is_reported() -> None:
    error = RuntimeError("\"slow_conv2d_cpu\" not implemented for 'Half'")
    report = archcost.bench(FailsAt(1, error), input_shape="3x8x8", batches=(1,), **FAST)
    (failure,) = report.failures
    assert failure["kind"] == "unsupported_dtype"
    assert "not implemented for 'Half'" in failure["error"]


def test_any_other_forward_error_is_one_record() -> None:
    report = archcost.bench(FailsAt(1, ValueError("bad\nsecond line")), input_shape="3x8x8", **FAST)
    assert report.failures[0]["error"] == "FailsAt batch 1: ValueError: bad"


def test_channels_last_bfloat16() -> None:
    report = archcost.bench(Tiny(), input_shape="3x8x8", dtype="bfloat16", channels_last=True, **FAST)
    (result,) = report.results
    assert (result["dtype"], result["channels_last"]) == ("bfloat16", True)
    assert report.to_dict()["device"]["peak_dtype"] == "bfloat16"


def test_isolate_refuses_model_instances() -> None:
    from archcost.errors import UsageError

    with pytest.raises(UsageError, match="isolate"):
        archcost.bench(Tiny(), input_shape="3x8x8", isolate=True, **FAST)
