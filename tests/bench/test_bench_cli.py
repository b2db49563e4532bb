"""`archcost bench` end to end on CPU with a CIFAR ResNet at 8x8 (2.5M MACs): schema, formats, progress bar,
one-line errors."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import archcost
from archcost.timing.columns import RESULT_KEYS
from archcost.cli import run
from bench_tiny import idle_machine  # noqa: F401  (autouse: a simulated idle load; stderr stays the same)

ISSUE_KEYS = ["arch", "batch", "dtype", "channels_last", "compiled", "median_ms", "p10_ms", "p90_ms", "iqr_ms", "cov",
              "runs", "images_per_s", "macs", "achieved_gflops", "peak_fraction", "peak_memory_bytes"]
FAST = ["resnet20", "--input", "3x8x8", "--min-time", "0", "--min-runs", "3", "--warmup", "0", "--max-warmup", "0",
        "--threads", "1"]


def _bench(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    code = run(["bench", *FAST, *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _bench(capsys, "--batch", "1,2", "--format", "json")
    assert code == 0, err
    document = json.loads(out)
    assert document["schema"] == "archcost.bench/1"
    for key in ("type", "name", "torch_version", "peak_gflops", "bandwidth_gb_per_s", "ridge_flops_per_byte"):
        assert key in document["device"]
    assert document["device"]["type"] == "cpu" and document["device"]["threads"] == 1
    assert document["failures"] == []
    results = document["results"]
    assert [r["batch"] for r in results] == [1, 2]
    for result in results:
        assert list(result)[: len(ISSUE_KEYS)] == ISSUE_KEYS  # the issue's fields, in its order, first
        assert result["macs"] == archcost.analyze("resnet20", "3x8x8", batch=result["batch"]).totals["macs"]
        assert isinstance(result["runs"], int) and result["runs"] >= 3
        assert result["peak_fraction"] == pytest.approx(result["achieved_gflops"] / document["device"]["peak_gflops"])
    assert results[1]["macs"] == 2 * results[0]["macs"]


def test_progress_bar_does_not_corrupt_json(capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # Make rich believe stderr is an interactive terminal, so the bar really draws (with control codes).
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("TTY_INTERACTIVE", "1")
    code, out, err = _bench(capsys, "--batch", "1,2,3", "--format", "json")
    assert code == 0
    assert "\x1b[" in err and "\x1b" not in out
    assert [r["batch"] for r in json.loads(out)["results"]] == [1, 2, 3]


def test_csv_markdown_table_and_out(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = _bench(capsys, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 1
    assert tuple(rows[0]) == RESULT_KEYS and rows[0]["arch"] == "resnet20" and rows[0]["batch"] == "1"
    code, out, _ = _bench(capsys, "--format", "markdown")
    assert "| resnet20 | 1 | float32 | NCHW |" in out and "Measured peak" in out
    target = tmp_path / "bench.txt"
    code, out, _ = _bench(capsys, "--out", str(target))
    assert code == 0 and out == ""
    assert "resnet20" in target.read_text() and "GFLOP/s" in target.read_text()


def test_layers(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _bench(capsys, "--layers", "--format", "json")
    (result,) = json.loads(out)["results"]
    names = [p["name"] for p in result["layers"]]
    analysis = archcost.analyze("resnet20", "3x8x8")
    assert names == [r["name"] for r in analysis.rows if r["calls"] > 0]
    root = result["layers"][0]
    assert root["macs"] == result["macs"] and root["measured_ms"] > 0
    assert root["bound"] in ("memory", "compute")
    assert result["layer_overhead"]["method"].startswith("forward pre/post hooks")
    code, out, _ = _bench(capsys, "--layers", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["name"] for r in rows] == names


def _one_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1 and err.endswith("\n"), repr(err)  # one line, no blank line or bar left behind
    assert lines[0].startswith("archcost: error: ")
    return lines[0]


@pytest.mark.parametrize("batch", ["1,,x", "0", "a"])
def test_malformed_batch_list(capsys: pytest.CaptureFixture[str], batch: str) -> None:
    code, out, err = _bench(capsys, "--batch", batch)
    assert code == 2 and out == ""
    assert "malformed --batch" in _one_line(err)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message of a machine without CUDA")
def test_cuda_without_cuda(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _bench(capsys, "--device", "cuda")
    assert code == 1 and out == ""
    assert "CUDA is not available" in _one_line(err)


def test_unknown_architecture_and_conflicting_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["bench", "resnet2", "--input", "3x8x8"]) == 2
    assert "did you mean" in _one_line(capsys.readouterr().err)
    assert run(["bench", "resnet20", "--input", "2x3x8x8", "--batch", "4"]) == 2
    assert "fixes the batch at 2" in _one_line(capsys.readouterr().err)


def test_dtype_the_device_cannot_run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # This CPU build runs float16 and bfloat16 convolutions, so a build without them is simulated at the probe.
    from archcost.timing import device

    class NoHalf(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            raise RuntimeError("\"slow_conv2d_cpu\" not implemented for 'Half'\nmore detail")

    device.check_dtype.cache_clear()
    monkeypatch.setattr(device, "_probe_model", NoHalf)
    try:
        code, out, err = _bench(capsys, "--dtype", "float16")
    finally:
        device.check_dtype.cache_clear()
    assert code == 1 and out == ""
    assert _one_line(err) == ("archcost: error: cpu cannot run float16 convolutions with torch "
                              f"{torch.__version__}: \"slow_conv2d_cpu\" not implemented for 'Half'")


def _overcommits_everything() -> bool:
    try:
        return Path("/proc/sys/vm/overcommit_memory").read_text().strip() == "1"
    except OSError:
        return True


@pytest.mark.skipif(_overcommits_everything(), reason="with overcommit_memory=1 a 768 GB allocation would succeed")
def test_out_of_memory_batch_is_reported_and_skipped(capsys: pytest.CaptureFixture[str]) -> None:
    # Batch 10^9 at 3x8x8 float32 asks for a 768 GB input: the allocator refuses at once, nothing is touched.
    code, out, err = _bench(capsys, "--batch", "1,1000000000,2", "--format", "json")
    document = json.loads(out)
    assert code == 1
    assert [r["batch"] for r in document["results"]] == [1, 2]
    (failure,) = document["failures"]
    assert failure["kind"] == "out_of_memory"
    line = _one_line(err)
    assert line.startswith("archcost: error: resnet20 batch 1000000000: out of memory on cpu (")
    assert "768000000000 bytes" in line and line.endswith("; skipped")


def test_isolate(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # A user model by import path, measured in a child process; it prints on every forward, which must not reach
    # the child's result stream.
    from bench_tiny import TINY_MACS_PER_IMAGE

    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parent))
    code = run(["bench", "bench_tiny:Chatty", "--input", "3x8x8", "--batch", "1,2", "--isolate", "--min-time", "0",
                "--warmup", "0", "--max-warmup", "0", "--threads", "1", "--format", "json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    document = json.loads(captured.out)
    assert document["settings"]["isolate"] is True and document["failures"] == []
    assert [(r["arch"], r["batch"], r["macs"]) for r in document["results"]] == [
        ("bench_tiny:Chatty", 1, TINY_MACS_PER_IMAGE), ("bench_tiny:Chatty", 2, 2 * TINY_MACS_PER_IMAGE)]


def test_cli_and_package_import_without_torch() -> None:
    code = ("import sys, archcost.timing, archcost.cli.app; from archcost.cli import run; "
            "assert run(['bench', '--help']) == 0; assert 'torch' not in sys.modules")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr


def test_bfloat16_registry_network_counts_bytes_at_two_per_element(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _bench(capsys, "--format", "json", "--dtype", "bfloat16")
    assert code == 0, err
    (bf16,) = json.loads(out)["results"]
    code, out, _ = _bench(capsys, "--format", "csv")
    (fp32,) = list(csv.DictReader(io.StringIO(out)))
    assert bf16["dtype"] == "bfloat16" and bf16["macs"] == int(fp32["macs"])
    assert 2 * bf16["memory_bytes"] == int(fp32["memory_bytes"])  # every tensor at 2 bytes instead of 4
    assert fp32["input_shape"] == "1x3x8x8"
