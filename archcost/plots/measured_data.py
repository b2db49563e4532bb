"""Data of the measured charts of ``archcost report`` (``reports/measured/``), from the bench documents that
:func:`archcost.timing.report.measure_report` returns. No matplotlib and no timing here: tests feed simulated bench
documents and check the fit, the deviations and the ridge-point classification by hand.

- accuracy against measured latency (batch 1) and against measured throughput (a larger batch), beside the MACs
  chart: published top-1 accuracy from ``archcost/published/``, the x axis measured;
- MACs against measured latency on log axes, with the least-squares line of log10(latency) on log10(MACs) and each
  network's deviation from it (measured / fitted); a network off the line is explained by its arithmetic intensity
  (2 x MACs / bytes every op reads and writes, computed on the meta device) against the measured ridge point
  (GEMM peak / copy bandwidth): below it a network is memory-bound and runs slower than its MACs predict;
- per-layer roofline of one network: each leaf layer with MACs, its intensity against its achieved GFLOP/s.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

from archcost.plots.chart_data import CONVENTION_NOTE, ChartData

OUTLIER_RATIO = 1.5  # measured / fitted beyond this factor (either way) is called out on the chart


def machine_line(bench: dict[str, Any]) -> str:
    """'Intel Xeon ..., 2 threads, float32, torch 2.13.0': what every measured chart names."""
    device, settings = bench.get("device", {}), bench.get("settings", {})
    name = device.get("name") or device.get("type") or "unknown device"
    threads = device.get("threads")
    parts = [str(name)]
    if threads is not None:
        parts.append(f"{threads} thread{'s' if threads != 1 else ''}")
    parts += [str(settings.get("dtype", "float32")), f"torch {device.get('torch_version', '?')}"]
    return ", ".join(parts)


def ridge_point(bench: dict[str, Any]) -> float:
    """Measured GEMM peak (GFLOP/s) over measured copy bandwidth (GB/s): FLOP per byte where the roofline turns."""
    device = bench["device"]
    return float(device["peak_gflops"]) / float(device["bandwidth_gb_per_s"])


def _measured_note(bench: dict[str, Any]) -> str:
    device = bench["device"]
    return (f"Measured by archcost's bench harness on {machine_line(bench)}; GEMM peak {device['peak_gflops']:,.1f} "
            f"GFLOP/s, copy bandwidth {device['bandwidth_gb_per_s']:,.1f} GB/s, ridge point "
            f"{ridge_point(bench):,.1f} FLOP/byte.")


def accuracy_latency_chart(latency: dict[str, Any]) -> ChartData:
    """Top-1 accuracy against measured latency per image at batch 1 (the ``plot accuracy --x latency`` chart)."""
    from archcost.plots.chart_data import accuracy_chart

    chart = accuracy_chart(x="latency", bench=latency)
    chart.title = "ImageNet: top-1 accuracy against measured latency, batch 1"  # the machine: caption's first line
    chart.meta["x_label"] = "measured latency per image at batch 1 (ms, log scale)"
    chart.caption = [_measured_note(latency), *chart.caption]
    return chart


def accuracy_throughput_chart(throughput: dict[str, Any]) -> ChartData:
    """Top-1 accuracy against measured images per second at the throughput batch; the Pareto front is the networks
    no other one beats on both (faster and at least as accurate)."""
    from archcost.plots.chart_data import accuracy_chart

    chart = accuracy_chart(x="latency", bench=throughput)
    batches = sorted({r["bench_batch"] for r in chart.rows})
    for row in chart.rows:
        row["images_per_s"] = 1e3 / row["latency_ms_per_image"]
        row["x"] = row["images_per_s"]
    best = float("-inf")
    for row in sorted(chart.rows, key=lambda r: (-r["x"], -r["top1_percent"])):
        row["pareto"] = row["top1_percent"] > best
        best = max(best, row["top1_percent"])
    batch_text = ",".join(map(str, batches))
    chart.title = f"ImageNet: top-1 accuracy against measured throughput, batch {batch_text}"
    chart.meta.update(x_axis="throughput", x_label=f"measured images per second at batch {batch_text} (log scale)")
    chart.caption = [_measured_note(throughput), *chart.caption]
    return chart


def macs_latency_chart(latency: dict[str, Any]) -> ChartData:
    """MACs against measured batch-1 latency with the least-squares line in log space and each network's deviation."""
    results = sorted((r for r in latency["results"] if r["median_ms"] > 0 and r["macs"] > 0),
                     key=lambda r: r["macs"])
    if len(results) < 2:
        from archcost.errors import UsageError

        raise UsageError("a fit of latency on MACs needs at least two timed networks")
    xs = [math.log10(r["macs"]) for r in results]
    ys = [math.log10(r["median_ms"]) for r in results]
    slope, intercept = statistics.linear_regression(xs, ys)
    ridge = ridge_point(latency)
    rows = []
    for result, x in zip(results, xs, strict=True):
        fitted_ms = 10 ** (intercept + slope * x)
        ratio = result["median_ms"] / fitted_ms
        intensity = result.get("intensity_flops_per_byte")
        bound = None if intensity is None else ("memory" if intensity < ridge else "compute")
        rows.append({"arch": result["arch"], "macs": result["macs"], "median_ms": result["median_ms"],
                     "fitted_ms": fitted_ms, "deviation_ratio": ratio, "intensity_flops_per_byte": intensity,
                     "bound": bound, "outlier": ratio > OUTLIER_RATIO or ratio < 1 / OUTLIER_RATIO,
                     "explanation": _explain(ratio, intensity, ridge)})
    outliers = [r for r in rows if r["outlier"]]
    caption = [_measured_note(latency),
               f"Line: least squares of log10(latency) on log10(MACs): latency = {10 ** intercept:.3g} ms x "
               f"(MACs)^{slope:.3f}. {CONVENTION_NOTE}.",
               f"Networks more than {OUTLIER_RATIO:g}x off the line: "
               + ("; ".join(f"{r['arch']} {r['explanation']}" for r in outliers) if outliers else "none") + "."]
    return ChartData(
        kind="macs-latency", title=f"MACs against measured latency, batch 1 ({machine_line(latency)})",
        rows=rows, columns=("arch", "macs", "median_ms", "fitted_ms", "deviation_ratio", "intensity_flops_per_byte",
                            "bound", "outlier", "explanation"),
        caption=caption,
        meta={"fit": {"slope": slope, "intercept_log10_ms": intercept, "space": "log10(ms) on log10(MACs)"},
              "ridge_flops_per_byte": ridge, "outlier_ratio": OUTLIER_RATIO, "machine": machine_line(latency)})


def _explain(ratio: float, intensity: float | None, ridge: float) -> str:
    where = "slower" if ratio >= 1 else "faster"
    factor = ratio if ratio >= 1 else 1 / ratio
    if intensity is None:
        return f"{factor:.2f}x {where} than the line (no intensity recorded)"
    side = "below" if intensity < ridge else "above"
    kind = "memory-bound" if intensity < ridge else "compute-bound"
    return (f"{factor:.2f}x {where} than the line; intensity {intensity:.1f} FLOP/byte {side} the ridge "
            f"{ridge:.1f}: {kind}")


def _leaves(names: list[str]) -> set[str]:
    return {n for n in names if not any(other.startswith(f"{n}.") for other in names if other != n) and n}


def layer_roofline_chart(layers: dict[str, Any]) -> ChartData:
    """One point per leaf layer with MACs of the per-layer profile: intensity against achieved GFLOP/s."""
    result = layers["results"][0]
    points = result["layers"]
    leaves = _leaves([p["name"] for p in points])
    rows = [{"name": p["name"], "type": p["type"], "macs": p["macs"], "measured_ms": p["measured_ms"],
             "intensity_flops_per_byte": p["intensity_flops_per_byte"], "achieved_gflops": p["achieved_gflops"],
             "attainable_gflops": p["attainable_gflops"], "bound": p["bound"]}
            for p in points if p["name"] in leaves and p["macs"] > 0 and p["achieved_gflops"] > 0]
    left_out = len(leaves) - len(rows)
    device = layers["device"]
    memory = sum(r["bound"] == "memory" for r in rows)
    caption = [_measured_note(layers),
               f"{result['arch']} at batch {result['batch']}: {len(rows)} layers with MACs, {memory} of them "
               f"memory-bound (intensity below the ridge point); {left_out} leaf layers without MACs or with no "
               f"measurable time (activations, normalisation, pooling) are not placed. Layer times come from "
               f"forward hooks; achieved GFLOP/s = 2 x MACs / layer time."]
    return ChartData(
        kind="layer-roofline", title=f"Roofline of {result['arch']}, per layer ({machine_line(layers)})",
        rows=rows, columns=("name", "type", "macs", "measured_ms", "intensity_flops_per_byte", "achieved_gflops",
                            "attainable_gflops", "bound"),
        caption=caption,
        meta={"arch": result["arch"], "peak_gflops": device["peak_gflops"],
              "bandwidth_gb_per_s": device["bandwidth_gb_per_s"], "ridge_flops_per_byte": ridge_point(layers),
              "left_out": left_out, "machine": machine_line(layers)})


def batch_scaling_chart(scaling: dict[str, Any]) -> ChartData:
    from archcost.plots.bench_data import batch_chart

    chart = batch_chart(bench=scaling)
    chart.title = "Time per image against batch size, measured"
    chart.caption = [_measured_note(scaling), *chart.caption]
    return chart


def measured_charts(measured: dict[str, Any]) -> dict[str, ChartData]:
    """Every measured chart the documents allow, by file stem; a part that was not measured gives no chart."""
    charts: dict[str, ChartData] = {}
    latency, throughput = measured.get("latency"), measured.get("throughput")
    if latency and latency["results"]:
        charts["accuracy-latency"] = accuracy_latency_chart(latency)
        if len(latency["results"]) >= 2:
            charts["macs-latency"] = macs_latency_chart(latency)
    if throughput and throughput["results"]:
        charts["accuracy-throughput"] = accuracy_throughput_chart(throughput)
    if measured.get("scaling") and measured["scaling"]["results"]:
        charts["batch-scaling"] = batch_scaling_chart(measured["scaling"])
    layers = measured.get("layers")
    if layers and layers["results"] and layers["results"][0].get("layers"):
        charts[f"roofline-{layers['results'][0]['arch']}"] = layer_roofline_chart(layers)
    return charts
