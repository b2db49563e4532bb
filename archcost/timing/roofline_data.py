"""Roofline data: each layer placed by its arithmetic intensity (FLOP per byte moved, from the engine's count) against
the device's measured GEMM peak and copy bandwidth, with its measured throughput. The plot is drawn elsewhere
(``archcost plot roofline``); this module only computes the points.

For one layer: achieved GFLOP/s = 2 x MACs / measured time; attainable GFLOP/s = min(peak, bandwidth x intensity);
the layer is memory-bound when its intensity is below the ridge point peak / bandwidth.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from archcost.timing.peak import DevicePeak

# Analysis row fields a roofline point carries over unchanged.
_CARRIED = ("name", "type", "depth", "kernel", "output_shape", "params", "macs", "memory_bytes",
            "intensity_flops_per_byte")


def roofline_rows(rows: Sequence[Mapping[str, Any]], layer_ms: Mapping[str, float], *, peak: DevicePeak,
                  max_depth: int | None = None) -> list[dict[str, Any]]:
    """One point per Analysis row that was timed (and is no deeper than ``max_depth``)."""
    points = []
    for row in rows:
        name = row["name"]
        if name not in layer_ms or (max_depth is not None and row["depth"] > max_depth):
            continue
        ms = layer_ms[name]
        intensity = float(row["intensity_flops_per_byte"])
        attainable = min(peak.peak_gflops, peak.bandwidth_gb_per_s * intensity)
        achieved = 2 * row["macs"] / (ms * 1e6) if ms > 0 else 0.0
        point = {key: row.get(key) for key in _CARRIED}
        if isinstance(point["output_shape"], tuple):
            point["output_shape"] = list(point["output_shape"])
        point.update(
            measured_ms=ms,
            achieved_gflops=achieved,
            attainable_gflops=attainable,
            attainable_fraction=achieved / attainable if attainable > 0 else None,
            bound="memory" if intensity < peak.ridge_flops_per_byte else "compute",
        )
        points.append(point)
    return points


def roofline(name_or_model: Any, input_shape: str | tuple[int, ...] | None = None, *, batch: int | None = None,
             device: str = "cpu", dtype: str = "float32", runs: int = 10, max_depth: int | None = None,
             **overrides: Any) -> dict[str, Any]:
    """Time every layer of one network on ``device`` and return ``{"schema": "archcost.roofline/1", "device",
    "peak", "model", "input_shape", "dtype", "layers": [...]}`` (the points of :func:`roofline_rows`)."""
    import torch

    from archcost.analysis import analyze
    from archcost.timing.device import check_device, check_dtype, describe
    from archcost.prepare import DTYPES
    from archcost.timing.layers import layer_profile
    from archcost.timing.peak import device_peak
    from archcost.timing.settings import BenchDevice
    from archcost.dtypes import Dtype
    from archcost.zoo.resolve import build, resolve

    bench_device, bench_dtype = BenchDevice(device), Dtype(dtype)
    check_device(bench_device)
    check_dtype(bench_device, bench_dtype)
    if isinstance(name_or_model, str):
        resolved = resolve(name_or_model)
        name, native = resolved.name, resolved.input_shape
        model = build(name_or_model, device=device, **overrides)
    else:
        name, native, model = type(name_or_model).__name__, None, name_or_model
    model = model.to(device=device, dtype=DTYPES[bench_dtype]).eval()
    if input_shape is None and native is not None:
        input_shape = native
    # Counted on meta stand-ins of the converted model, so bytes (and intensity) are those of ``dtype``.
    analysis = analyze(model, input_shape, batch=batch, device="meta", dtype=dtype)
    example = torch.randn(analysis.input_shape, device=device, dtype=DTYPES[bench_dtype])
    profile = layer_profile(model, example, runs=runs)
    peak = device_peak(bench_device, bench_dtype)
    return {
        "schema": "archcost.roofline/1",
        "device": describe(bench_device),
        "peak": peak.to_dict(),
        "model": name,
        "input_shape": list(analysis.input_shape),
        "dtype": dtype,
        "unit": "MAC (one multiply-accumulate); flops = 2 * macs",
        "overhead": profile_overhead(profile),
        "layers": roofline_rows(analysis.rows, profile.times_ms, peak=peak, max_depth=max_depth),
    }


def profile_overhead(profile: Any) -> dict[str, Any]:
    return {"method": "forward pre/post hooks on every module", "runs": profile.runs,
            "hooked_forward_ms": profile.hooked_forward_ms, "plain_forward_ms": profile.plain_forward_ms,
            "overhead_fraction": profile.overhead_fraction,
            "overhead_us_per_module_call": profile.overhead_us_per_module_call}
