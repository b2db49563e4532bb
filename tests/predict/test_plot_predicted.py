"""``archcost plot predicted``: its data from a benchmark file (the MACs-only line by hand), and its bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archcost.cli import run
from archcost.plots.predicted_data import predicted_chart


def _document() -> dict:
    # measured = 2e-6 * MACs exactly at batch 1: the power law is that line, so its predictions equal the measured.
    rows = [{"arch": f"n{i}", "batch": 1, "macs": macs, "measured_ms": 2e-6 * macs, "predicted_ms": 2.18e-6 * macs,
             "bound": "compute"} for i, macs in enumerate((1e6, 1e7, 1e8))]
    return {"threads": 1, "profile": {"name": "cpu-1t-float32"}, "rows": rows}


def test_chart_rows_and_figures_by_hand() -> None:
    chart = predicted_chart(_document())
    assert [r["macs_only_ms"] for r in chart.rows] == pytest.approx([r["measured_ms"] for r in chart.rows])
    figures = chart.meta["figures"]["1"]
    assert figures["macs_only_fit"]["exponent"] == pytest.approx(1.0)
    assert figures["model"]["median_abs_error"] == pytest.approx(0.09)  # every prediction 9 % high
    assert figures["model"]["within_10"] == 1.0 and figures["model"]["spearman"] == pytest.approx(1.0)


def test_cli_prints_the_data_and_refuses_other_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "predict.json"
    source.write_text(json.dumps(_document()))
    assert run(["plot", "predicted", "--from", str(source), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["kind"] == "predicted" and len(data["rows"]) == 3
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"schema": "archcost.bench/1"}))
    assert run(["plot", "predicted", "--from", str(other), "--format", "json"]) == 2
    assert capsys.readouterr().err.startswith("archcost: error: ")


def test_cli_draws_a_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "predict.json"
    source.write_text(json.dumps(_document()))
    image = tmp_path / "chart.png"
    assert run(["plot", "predicted", "--from", str(source), "--out", str(image)]) == 0
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
