"""`measure_report` + `write_report_tables`: the measured files `archcost report` gets, on a cut-down plan, timed for
real with the harness (one small network; the charts are tested with simulated timings in tests/plots)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from archcost.timing import report
from archcost.timing.settings import BenchSettings


def test_writes_markdown_csv_and_json(tmp_path: Path) -> None:
    fast = BenchSettings(warmup=0, max_warmup_s=0.0, min_time_s=0.0, min_runs=3, threads=1)
    plan = report.MeasurePlan(archs=("resnet20", "not-in-the-zoo"), throughput_batch=2, scaling_batches=(1, 2),
                              batch_archs=("resnet20",), layers_arch="resnet20", settings=fast)
    measured = report.measure_report(plan)
    assert measured["skipped"] == ["not-in-the-zoo: not in the zoo"]  # a network not (yet) registered is left out
    written = report.write_report_tables(tmp_path, measured)
    assert written == [tmp_path / n for n in ("cpu-timing.md", "cpu-timing.csv", "cpu-timing.json",
                                              "throughput.md", "throughput.csv", "throughput.json",
                                              "batch-scaling.md", "batch-scaling.csv", "batch-scaling.json",
                                              "layers.json")]
    latency = (tmp_path / "cpu-timing.md").read_text()
    assert latency.startswith("### Inference time at batch 1\n") and "| resnet20 | 1 | float32 |" in latency
    rows = list(csv.DictReader((tmp_path / "batch-scaling.csv").open()))
    assert [(r["arch"], r["batch"]) for r in rows] == [("resnet20", "1"), ("resnet20", "2")]
    assert float(rows[1]["ms_per_image"]) == pytest.approx(float(rows[1]["median_ms"]) / 2)
    scaling = json.loads((tmp_path / "batch-scaling.json").read_text())
    assert scaling["schema"] == "archcost.bench/1" and len(scaling["results"]) == 2
    assert "ms / image" in (tmp_path / "batch-scaling.md").read_text()
    layers = json.loads((tmp_path / "layers.json").read_text())
    assert layers["results"][0]["layers"] and layers["results"][0]["arch"] == "resnet20"
