"""Data of the timing charts, read from an ``archcost bench`` JSON file (schema ``archcost.bench/1``): time per image
against batch size, and the roofline. No matplotlib here.

Fields read from each result: arch, batch, dtype, channels_last, compiled, median_ms, p10_ms, p90_ms, achieved_gflops,
peak_fraction. The device's compute roof is what the bench measured: achieved_gflops / peak_fraction of any result
(that is the GEMM peak each fraction was taken of); its memory roof is the first ``bandwidth_gb_per_s`` found in the
``device`` object. Arithmetic intensity is archcost's own: 2 x MACs over the bytes every op reads and writes,
computed on the meta device for the same network, batch and dtype.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from archcost.errors import Option, UsageError, literal
from archcost.plots.chart_data import CONVENTION, CONVENTION_NOTE, ChartData, cost

BENCH_SCHEMA = "archcost.bench/1"
_NEEDED = ("arch", "batch", "median_ms")


def load_bench(path: Path) -> dict[str, Any]:
    """The bench document at ``path``, checked: its schema, and the fields every chart needs in every result."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"bench file {literal(str(path))} does not exist (write one with 'archcost bench ... $format "
                         "$out')", Option("format", "json"), Option("out", str(path))) from None
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read bench file {path}: {error}") from None
    except json.JSONDecodeError as error:
        raise UsageError(f"bench file {path} is not JSON: {error.msg} at line {error.lineno}") from None
    if not isinstance(document, dict) or document.get("schema") != BENCH_SCHEMA:
        found = document.get("schema") if isinstance(document, dict) else type(document).__name__
        raise UsageError(f"bench file {path} has schema {found!r}; expected {BENCH_SCHEMA!r}")
    results = document.get("results")
    if not isinstance(results, list) or not results:
        raise UsageError(f"bench file {path} holds no results")
    for index, result in enumerate(results):
        missing = [k for k in _NEEDED if k not in result]
        if missing:
            raise UsageError(f"bench file {path}: result {index} lacks {', '.join(missing)}")
    document.setdefault("device", {})
    return document


def _config(result: dict[str, Any]) -> str:
    parts = [str(result.get("dtype", "float32"))]
    if result.get("channels_last"):
        parts.append("channels-last")
    if result.get("compiled"):
        parts.append("compiled")
    return ", ".join(parts)


def _device_name(bench: dict[str, Any]) -> str:
    device = bench["device"]
    return str(device.get("name") or device.get("type") or "unknown device")


def batch_chart(*, bench: dict[str, Any]) -> ChartData:
    """Time per image (median, with the p10-p90 band) against batch size, one line per network and setting."""
    rows = []
    for result in bench["results"]:
        batch = result["batch"]
        rows.append({
            "arch": result["arch"], "config": _config(result), "batch": batch, "median_ms": result["median_ms"],
            "ms_per_image": result["median_ms"] / batch,
            "p10_ms_per_image": result["p10_ms"] / batch if result.get("p10_ms") is not None else None,
            "p90_ms_per_image": result["p90_ms"] / batch if result.get("p90_ms") is not None else None,
            "images_per_s": result.get("images_per_s"), "cov": result.get("cov"),
        })
    rows.sort(key=lambda r: (r["arch"], r["config"], r["batch"]))
    noise, under_load = noise_note(rows), load_note(bench)
    return ChartData(
        kind="batch", title=f"Time per image against batch size ({_device_name(bench)})",
        rows=rows, columns=("arch", "config", "batch", "median_ms", "ms_per_image", "p10_ms_per_image",
                            "p90_ms_per_image", "images_per_s", "cov"),
        caption=["Median time of one forward pass divided by the batch size; the band spans p10 to p90. "
                 f"Measured by 'archcost bench' on {_device_name(bench)}.", noise,
                 *([under_load] if under_load else [])],
        meta={"device": bench["device"], "noise": noise, "under_load": under_load},
    )


def noise_note(rows: list[dict[str, Any]]) -> str:
    """How noisy the timings are, from the coefficient of variation (CoV) of each measurement's timed calls: a
    difference between two points smaller than this is not a finding."""
    covs = [(r["cov"], r) for r in rows if r.get("cov") is not None]
    if not covs:
        return "Measurement noise: the file records no CoV of the timed calls, so the spread is unknown."
    ordered = sorted(c for c, _ in covs)
    worst, row = max(covs, key=lambda pair: pair[0])
    return (f"Measurement noise: the timed calls' CoV (standard deviation / mean) is {ordered[len(ordered) // 2]:.1%} "
            f"at the median of {len(covs)} measurements, at most {worst:.1%} ({row['arch']} batch {row['batch']}).")


def load_note(bench: dict[str, Any]) -> str | None:
    """The warning of a run taken on a busy machine (archcost.timing.load's verdict, kept in the file); None if not."""
    load = bench.get("load") or {}
    if not load.get("busy"):
        return None
    return f"TAKEN UNDER LOAD: {load.get('reason')}; these times are slower and noisier than this machine's own."


def _find(document: Any, key: str) -> Any:
    """The first value under ``key`` anywhere in a nested JSON object (the device block's layout may nest)."""
    if isinstance(document, dict):
        if key in document:
            return document[key]
        for value in document.values():
            found = _find(value, key)
            if found is not None:
                return found
    return None


def roofline_chart(*, bench: dict[str, Any]) -> ChartData:
    """Achieved GFLOP/s of each network and batch against its arithmetic intensity, under the measured roofs."""
    rows: list[dict[str, Any]] = []
    peaks: dict[str, float] = {}
    for result in bench["results"]:
        achieved, fraction = result.get("achieved_gflops"), result.get("peak_fraction")
        if not achieved:
            continue
        dtype = str(result.get("dtype", "float32"))
        entry_totals = _totals(result, dtype)
        intensity = 2 * entry_totals["macs"] / entry_totals["memory_bytes"] if entry_totals["memory_bytes"] else 0.0
        if fraction:
            peaks.setdefault(dtype, achieved / fraction)
        rows.append({"arch": result["arch"], "config": _config(result), "batch": result["batch"], "dtype": dtype,
                     "macs": entry_totals["macs"], "memory_bytes": entry_totals["memory_bytes"],
                     "intensity_flops_per_byte": intensity, "achieved_gflops": achieved, "peak_fraction": fraction})
    if not rows:
        raise UsageError("the bench file has no achieved_gflops to place on a roofline")
    bandwidth = _find(bench["device"], "bandwidth_gb_per_s")
    roofs = {"peak_gflops": peaks, "bandwidth_gb_per_s": bandwidth}
    caption = [f"Points: achieved GFLOP/s measured by 'archcost bench' on {_device_name(bench)}, against arithmetic "
               f"intensity = 2 x MACs / bytes read and written by every op, computed by archcost on the meta device "
               f"({CONVENTION_NOTE}).",
               "Roofs: the GEMM peak the bench measured (achieved / peak_fraction)"
               + (f" and its copy bandwidth {bandwidth:,.1f} GB/s." if bandwidth else "; no bandwidth in the file.")]
    return ChartData(
        kind="roofline", title=f"Roofline ({_device_name(bench)})",
        rows=rows, columns=("arch", "config", "batch", "dtype", "macs", "memory_bytes", "intensity_flops_per_byte",
                            "achieved_gflops", "peak_fraction"),
        caption=caption, meta={"device": bench["device"], "roofs": roofs, "convention": CONVENTION},
    )


def _totals(result: dict[str, Any], dtype: str) -> dict[str, Any]:
    from archcost.zoo.resolve import resolve

    shape = result.get("input_shape") or resolve(result["arch"]).input_shape
    if not shape:
        raise UsageError(f"the bench result for {result['arch']} has no input_shape and the network has no native one")
    channels, height, width = list(shape)[-3:]  # a recorded NxCxHxW or the native CxHxW
    return cost(result["arch"], f"{channels}x{height}x{width}", result["batch"], dtype)
