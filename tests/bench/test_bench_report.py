"""`write_report_tables`: the files `archcost report --timings` gets, on a cut-down network list."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from archcost.bench import report
from archcost.bench.settings import BenchSettings


def test_writes_markdown_csv_and_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report, "LATENCY_ARCHS", ("resnet20", "not-in-the-zoo"))
    monkeypatch.setattr(report, "BATCH_ARCHS", {"resnet20": (1, 2)})
    fast = BenchSettings(warmup=0, max_warmup_s=0.0, min_time_s=0.0, min_runs=3, threads=1)
    written = report.write_report_tables(tmp_path, settings=fast)
    folder = tmp_path / "timings"
    assert written == [folder / n for n in ("cpu-timing.md", "cpu-timing.csv", "cpu-timing.json",
                                            "batch-scaling.md", "batch-scaling.csv", "batch-scaling.json")]
    latency = (folder / "cpu-timing.md").read_text()
    assert latency.startswith("### CPU inference time at batch 1\n") and "| resnet20 | 1 | float32 |" in latency
    assert "not-in-the-zoo" not in latency  # a network not (yet) registered is left out
    rows = list(csv.DictReader((folder / "batch-scaling.csv").open()))
    assert [(r["arch"], r["batch"]) for r in rows] == [("resnet20", "1"), ("resnet20", "2")]
    assert float(rows[1]["ms_per_image"]) == pytest.approx(float(rows[1]["median_ms"]) / 2)
    scaling = json.loads((folder / "batch-scaling.json").read_text())
    assert scaling["schema"] == "archcost.bench/1" and len(scaling["results"]) == 2
    assert "ms / image" in (folder / "batch-scaling.md").read_text()
