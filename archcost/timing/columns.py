"""How benchmark records read in a table: shared by ``archcost bench`` and the report's timing tables. Torch-free."""

from __future__ import annotations

from typing import Any

from archcost.render import Column, decimal, integer, percent


def _ms(value: Any) -> str:
    if value is None:
        return ""
    return f"{value:,.3f}" if value < 10 else f"{value:,.1f}"


def _percent(value: Any) -> str:
    """A fraction (0.132) as a percent (13.2%)."""
    return percent(None if value is None else 100 * value)


def _gmacs(value: Any) -> str:
    return "" if value is None else f"{value / 1e9:,.3f}"


def _mib(value: Any) -> str:
    return "" if value is None else f"{value / 2**20:,.1f}"


def _layout(value: Any) -> str:
    return "NHWC" if value else "NCHW"


# drop: a narrow terminal leaves out, first to last, the spread's ends (the IQR and CoV say it), runs, layout, dtype,
# memory, MACs, IQR, % of peak, GFLOP/s; the network, batch, median, CoV and images/s are the table.
RESULT_COLUMNS = (
    Column("arch", "network", "left", label=True),
    Column("batch", "batch", show=integer),
    Column("dtype", "dtype", "left", drop=7),
    Column("channels_last", "layout", "left", show=_layout, drop=8),
    Column("median_ms", "median ms", show=_ms),
    Column("p10_ms", "p10 ms", show=_ms, drop=11),
    Column("p90_ms", "p90 ms", show=_ms, drop=10),
    Column("iqr_ms", "IQR ms", show=_ms, drop=4),
    Column("cov", "CoV", show=_percent),
    Column("runs", "runs", show=integer, drop=9),
    Column("images_per_s", "images/s", show=lambda v: decimal(v, 1)),
    Column("macs", "GMACs", show=_gmacs, drop=5),
    Column("achieved_gflops", "GFLOP/s", show=lambda v: decimal(v, 1), drop=2),
    Column("peak_fraction", "% of peak", show=_percent, drop=3),
    Column("peak_memory_bytes", "peak mem MiB", show=_mib, drop=6),
)

BATCH_COLUMNS = (
    Column("arch", "network", "left", label=True),
    Column("batch", "batch", show=integer),
    Column("median_ms", "median ms / batch", show=_ms),
    Column("ms_per_image", "ms / image", show=_ms, drop=1),
    Column("images_per_s", "images/s", show=lambda v: decimal(v, 1)),
    Column("achieved_gflops", "GFLOP/s", show=lambda v: decimal(v, 1), drop=2),
    Column("peak_fraction", "% of peak", show=_percent, drop=3),
    Column("cov", "CoV", show=_percent),
)

LAYER_COLUMNS = (
    Column("layer", "layer", "left", label=True),
    Column("type", "type", "left", drop=1),
    Column("macs", "MACs", show=integer),
    Column("measured_ms", "ms", show=_ms),
    Column("achieved_gflops", "GFLOP/s", show=lambda v: decimal(v, 2)),
    Column("intensity_flops_per_byte", "FLOP/byte", show=lambda v: decimal(v, 1), drop=3),
    Column("attainable_gflops", "roof GFLOP/s", show=lambda v: decimal(v, 1), drop=4),
    Column("bound", "bound", "left", drop=2),
)

# The CSV of `archcost bench`: the fields first, then what else a record carries.
RESULT_KEYS = ("arch", "batch", "dtype", "channels_last", "compiled", "median_ms", "p10_ms", "p90_ms", "iqr_ms",
               "cov", "runs", "images_per_s", "macs", "achieved_gflops", "peak_fraction", "peak_memory_bytes",
               "peak_memory_kind", "ms_per_image", "mean_ms", "min_ms", "max_ms", "input_shape", "params",
               "memory_bytes", "intensity_flops_per_byte", "warmup_runs", "warmup_stable", "warmup_s")


def csv_rows(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records as CSV cells: shapes as ``NxCxHxW`` like the rest of archcost's CSV."""
    return [{**r, "input_shape": "x".join(map(str, r["input_shape"]))} if isinstance(r.get("input_shape"), list)
            else r for r in results]


def device_lines(document: dict[str, Any]) -> list[str]:
    """The device and method notes printed under every timing table."""
    d = document["device"]
    where = d.get("name", d["type"])
    threads = f", {d['threads']} thread{'s' if d['threads'] != 1 else ''}" if "threads" in d else ""
    lines = [
        f"Device: {d['type']} ({where}{threads}), torch {d['torch_version']}. Measured peak "
        f"{d['peak_gflops']:,.1f} GFLOP/s ({d['peak_method']}); bandwidth {d['bandwidth_gb_per_s']:,.1f} GB/s "
        f"({d['bandwidth_method']}).",
        f"Method: {document['method']}.",
        "GMACs: the engine's count of multiply-accumulates for the whole batch; GFLOP/s = 2 x MACs / median time. "
        "CoV: coefficient of variation (standard deviation / mean) of the per-call times.",
    ]
    unsettled = [f"{r['arch']} batch {r['batch']}" for r in document.get("results", []) if not r.get("warmup_stable")]
    if unsettled:
        lines.append("Warm-up did not settle within its budget (the times were still drifting; treat with care): "
                     + ", ".join(unsettled) + ".")
    load = document.get("load")
    if load and load["load_1min"] is not None:
        state = f"busy: {load['reason']}; {load['advice']}" if load["busy"] else "not busy"
        lines.append(f"Machine load before the run: {load['load_1min']:.2f} (1-minute average) on {load['cores']} "
                     f"usable cores, {load['threads']} thread{'s' if load['threads'] != 1 else ''} ({state}).")
    failures = document.get("failures") or []
    lines.extend(f"Failed: {f['error']}" for f in failures)
    return lines
