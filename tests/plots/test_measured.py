"""The measured charts of ``archcost report`` from SIMULATED bench documents (tests/plots/test_measured_fakes.py):
the fit, the deviations, the ridge-point classification, the throughput Pareto front and the per-layer roofline,
each against a hand computation; and the time budget of the measurement plan, with a simulated runner and clock."""

from __future__ import annotations

import math

import pytest
from test_measured_fakes import DEVICE, PROFILE, FakeRunner, document, layer_points, record

from archcost.timing.report import MeasurePlan, _predict_s, measure_report
from archcost.timing.settings import BenchSettings
from archcost.plots.measured_data import (OUTLIER_RATIO, accuracy_throughput_chart, layer_roofline_chart,
                                          macs_latency_chart, machine_line, measured_charts)

MACHINE = "Simulated CPU, 2 threads, float32, torch 9.9.9"
# (arch, MACs, ms, intensity): three on a line of slope 1, one memory-bound network 5x above the line's MACs.
POINTS = [("a", 10**9, 10.0, 30.0), ("b", 10**10, 100.0, 80.0), ("c", 10**11, 1000.0, 20.0), ("d", 10**9, 50.0, 5.0)]


def _latency_document() -> dict:
    return document([record(arch, 1, macs, ms, intensity) for arch, macs, ms, intensity in POINTS])


def test_fit_deviation_and_ridge_classification_match_a_hand_computation() -> None:
    chart = macs_latency_chart(_latency_document())
    # Least squares of y = log10(ms) on x = log10(MACs), by the closed form.
    xs = [math.log10(m) for _, m, _, _ in POINTS]
    ys = [math.log10(ms) for _, _, ms, _ in POINTS]
    mx, my = sum(xs) / 4, sum(ys) / 4
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)
    intercept = my - slope * mx
    assert chart.meta["fit"]["slope"] == pytest.approx(slope, rel=1e-12)
    assert chart.meta["fit"]["intercept_log10_ms"] == pytest.approx(intercept, rel=1e-12)
    assert slope == pytest.approx(0.809372, rel=1e-5)  # (2.225772 / 2.75, worked on paper)
    assert chart.meta["ridge_flops_per_byte"] == 400.0 / 20.0
    rows = {r["arch"]: r for r in chart.rows}
    for arch, macs, ms, intensity in POINTS:
        fitted = 10 ** (intercept + slope * math.log10(macs))
        row = rows[arch]
        assert row["fitted_ms"] == pytest.approx(fitted, rel=1e-12)
        assert row["deviation_ratio"] == pytest.approx(ms / fitted, rel=1e-12)
        assert row["bound"] == ("memory" if intensity < 20.0 else "compute")  # c sits on the ridge: compute
        assert row["outlier"] is (not 1 / OUTLIER_RATIO <= ms / fitted <= OUTLIER_RATIO)
    assert [r["arch"] for r in chart.rows] == ["a", "d", "b", "c"]  # by MACs
    assert rows["d"]["outlier"] and rows["d"]["deviation_ratio"] > 2
    assert "slower than the line" in rows["d"]["explanation"] and "memory-bound" in rows["d"]["explanation"]
    assert "intensity 5.0 FLOP/byte below the ridge 20.0" in rows["d"]["explanation"]
    assert "d " in chart.caption[-1] and MACHINE in chart.title


def test_a_fit_needs_two_networks() -> None:
    from archcost.errors import UsageError

    with pytest.raises(UsageError, match="at least two"):
        macs_latency_chart(document([record("a", 1, 10**9, 10.0, 1.0)]))


def test_throughput_chart_uses_images_per_second_and_a_higher_is_better_front() -> None:
    results = [record(arch, 8, macs, ms * 8**0.8, i) for arch, (macs, ms, i) in PROFILE.items()]
    chart = accuracy_throughput_chart(document(results))
    rows = {r["arch"]: r for r in chart.rows}
    for arch, (_, ms, _) in PROFILE.items():
        assert rows[arch]["x"] == pytest.approx(8 * 1e3 / (ms * 8**0.8), rel=1e-12)
    # efficientnet-b0 is fastest (77.1 %); only resnet50 (77.15 %) beats its accuracy, and it is slower.
    assert {a for a, r in rows.items() if r["pareto"]} == {"efficientnet-b0", "resnet50"}
    assert "batch 8" in chart.meta["x_label"] and MACHINE in chart.caption[0]


def test_layer_roofline_places_leaf_layers_with_macs() -> None:
    results = [record("mobilenet-v2", 1, 300_000_000, 30.0, 5.0)]
    results[0]["layers"] = layer_points()
    chart = layer_roofline_chart(document(results))
    assert [r["name"] for r in chart.rows] == ["features.0", "features.1"]  # not the container, not the ReLU6
    assert chart.meta["left_out"] == 1
    assert [r["achieved_gflops"] for r in chart.rows] == [2 * 100e6 / 1e6, 2 * 50e6 / 2e6]
    assert [r["bound"] for r in chart.rows] == ["compute", "memory"]
    assert chart.meta["ridge_flops_per_byte"] == 20.0 and MACHINE in chart.title


def test_every_measured_chart_names_the_machine() -> None:
    runner = FakeRunner()
    plan = MeasurePlan(archs=tuple(PROFILE), batch_archs=("resnet18",), layers_arch="mobilenet-v2")
    charts = measured_charts(measure_report(plan, runner=runner, clock=runner.clock))
    assert sorted(charts) == ["accuracy-latency", "accuracy-throughput", "batch-scaling", "macs-latency",
                              "roofline-mobilenet-v2"]
    assert machine_line(document([])) == MACHINE
    for chart in charts.values():  # in the caption's first line (and the title where it fits)
        assert MACHINE in chart.caption[0] and f"{DEVICE['peak_gflops']:,.1f} GFLOP/s" in chart.caption[0]


def test_the_plan_is_bounded_and_says_what_it_skipped() -> None:
    runner = FakeRunner(seconds_per_call=50.0)
    plan = MeasurePlan(archs=(*PROFILE, "not-in-the-zoo"), budget_s=120.0, per_network_s=12.0,
                       batch_archs=("resnet18",), layers_arch=None)
    measured = measure_report(plan, runner=runner, clock=runner.clock)
    # Latency runs while budget is left: t = 0, 50, 100 -> three networks; the fourth finds -30 s left.
    assert [c[0] for c in runner.calls] == ["resnet18", "resnet50", "mobilenet-v2"]
    assert measured["elapsed_s"] == 150.0
    assert "not-in-the-zoo: not in the zoo" in measured["skipped"]
    assert "latency efficientnet-b0 batch 1: 0.0 s of the 120 s budget left" in measured["skipped"]
    assert sum(line.startswith("throughput ") for line in measured["skipped"]) == 3
    assert measured["throughput"] is None and len(measured["latency"]["results"]) == 3


def test_a_measurement_predicted_over_the_per_network_budget_is_skipped() -> None:
    settings = BenchSettings(warmup=1, window=3, max_warmup_s=0.5, min_time_s=0.3, min_runs=3)
    # 1 + 2 x 3 + 3 = 10 calls; resnet50 at batch 8: 45 ms x 8 x 10 = 3.6 s; floor 0.3 + 0.5 / 4 s.
    assert _predict_s(45.0, 8, settings) == pytest.approx(3.6)
    assert _predict_s(0.01, 1, settings) == pytest.approx(0.425)
    runner = FakeRunner(seconds_per_call=0.0)
    plan = MeasurePlan(archs=("resnet18", "resnet50"), per_network_s=2.0, batch_archs=(), layers_arch=None,
                       settings=settings)
    measured = measure_report(plan, runner=runner, clock=runner.clock)
    assert measured["skipped"] == ["throughput resnet50 batch 8: predicted 3.6 s > 2 s per network"]
    assert [r["arch"] for r in measured["throughput"]["results"]] == ["resnet18"]  # 20 x 8 x 10 ms = 1.6 s


def test_macs_latency_figure_draws_the_fit_and_every_network() -> None:
    from archcost.plots.draw_measured import draw_any

    chart = macs_latency_chart(_latency_document())
    axes = draw_any(chart).axes[0]
    fit = next(line for line in axes.lines if line.get_gid() == "fit")
    slope, intercept = chart.meta["fit"]["slope"], chart.meta["fit"]["intercept_log10_ms"]
    for gmacs, ms in zip(fit.get_xdata(), fit.get_ydata(), strict=True):
        assert ms == pytest.approx(10 ** (intercept + slope * math.log10(gmacs * 1e9)), rel=1e-9)
    plotted = sum(len(c.get_offsets()) for c in axes.collections if (c.get_gid() or "").startswith("points:"))
    assert plotted == len(POINTS)
