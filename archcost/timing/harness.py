"""The benchmark harness: build each network on the real device, measure every batch size, and assemble the
``archcost.bench/1`` document. Failures of one measurement (out of memory, a dtype a kernel lacks, a forward error)
become records and the run goes on with the next one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence

import torch

from archcost import __version__
from archcost.timing.clock import measure
from archcost.timing.device import (MemoryTracker, check_device, check_dtype, describe,
                                   is_out_of_memory, is_unsupported_dtype, release_memory)
from archcost.timing.failures import failure
from archcost.timing.load import Load, assess, read_load
from archcost.timing.settings import BenchDevice, BenchSettings
from archcost.timing.stats import summarize
from archcost.errors import ArchcostError, Option, UsageError, first_line
from archcost.prepare import DTYPES
from archcost.result import Analysis

SCHEMA = "archcost.bench/1"
# (event, payload): "start", "progress" (phase "warmup"/"measure", runs, fraction), "result" or "failure"
Observer = Callable[[str, dict[str, Any]], None]


@dataclass
class BenchReport:
    device: dict[str, Any]
    peak: dict[str, Any] | None
    settings: BenchSettings
    results: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    load: Load | None = None  # the machine's load before the run and the stability of its measurements

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "archcost_version": __version__,
            "device": {**self.device, **(self.peak or {})},
            "settings": self.settings.to_dict(),
            "unit": "MAC (one multiply-accumulate); achieved_gflops = 2 * macs / median time",
            "method": _method(self.settings),
            "results": self.results,
            "failures": self.failures,
            "load": self.load.to_dict() if self.load else None,
        }


def _method(settings: BenchSettings) -> str:
    cuda = settings.device is BenchDevice.CUDA
    timer = "CUDA events + synchronize per call" if cuda else "time.perf_counter_ns"
    autotune = ", cuDNN autotuner on (cudnn.benchmark)" if cuda else ""

    def calls(n: int) -> str:
        return f"{n} call{'s' if n != 1 else ''}"

    return (f"random weights, eval mode, torch.inference_mode{autotune}; warm-up: at least {calls(settings.warmup)}, "
            f"then windows of {calls(settings.window)} until two consecutive window medians agree within "
            f"{100 * settings.stability:g}% (at most {settings.warmup_budget_s:g} s); then single calls timed with "
            f"{timer} for at least {settings.min_time_s:g} s and {calls(settings.min_runs)}, garbage collector paused")


# c10's allocator prefixes its message with the failed assertion ("[enforce fail at alloc_cpu.cpp:127] err == 0. ").
_ENFORCE_PREFIX = re.compile(r"^\[enforce fail at [^\]]*\]\s*(err == 0\.\s*)?")


def _quoted(error: BaseException, limit: int = 200) -> str:
    """The error's first line, without c10's assertion prefix, cut at ``limit`` characters."""
    line = _ENFORCE_PREFIX.sub("", first_line(error))
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _classify(arch: str, batch: int, settings: BenchSettings, error: BaseException) -> dict[str, Any]:
    if is_out_of_memory(error):
        return failure(arch, batch, "out_of_memory", f"{arch} batch {batch}: out of memory on "
                       f"{settings.device.value} ({_quoted(error)}); skipped")
    if is_unsupported_dtype(error):
        return failure(arch, batch, "unsupported_dtype", f"{arch} batch {batch}: {settings.device.value} cannot run "
                       f"it in {settings.dtype.value} ({_quoted(error)}); skipped")
    if isinstance(error, ArchcostError):
        return failure(arch, batch, type(error).__name__, f"{arch} batch {batch}: {error}")
    return failure(arch, batch, "forward_error", f"{arch} batch {batch}: {type(error).__name__}: "
                   f"{_quoted(error)}")


def _prepare(model: torch.nn.Module, settings: BenchSettings) -> tuple[torch.nn.Module, Any]:
    model = model.to(device=settings.device.value, dtype=DTYPES[settings.dtype]).eval()
    if settings.channels_last:
        model = model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]  # real, not in the stubs
    forward: Any = torch.compile(model) if settings.compile else model
    return model, forward


def _example(shape: tuple[int, ...], settings: BenchSettings) -> torch.Tensor:
    generator = torch.Generator(device=settings.device.value).manual_seed(0)
    example = torch.randn(shape, generator=generator, device=settings.device.value,
                          dtype=DTYPES[settings.dtype])
    if settings.channels_last and example.dim() == 4:
        example = example.contiguous(memory_format=torch.channels_last)
    return example


def measure_arch(arch: str | torch.nn.Module, batches: Sequence[int], settings: BenchSettings, *,
                 overrides: dict[str, Any] | None = None,
                 observer: Observer | None = None) -> Iterator[dict[str, Any]]:
    """Yield one result record (or one failure record, with an ``error`` key) per batch size of one network.

    Peak fractions are not filled in here (a worker process does not measure the peak; :func:`run` does)."""
    from archcost.analysis import analyze
    from archcost.zoo.resolve import build, resolve

    overrides = overrides or {}
    name = resolve(arch).name if isinstance(arch, str) else type(arch).__name__
    notify = observer or (lambda _event, _payload: None)
    model = forward = None
    try:
        built = build(arch, device=settings.device.value, **overrides) if isinstance(arch, str) else arch
        model, forward = _prepare(built, settings)
    except Exception as error:  # noqa: BLE001  (reported per batch below, then the next network)
        records = [_classify(name, batch, settings, error) for batch in batches]
        del error
        release_memory(settings.device, collect=True)
        for record in records:
            notify("start", {"arch": name, "batch": record["batch"]})
            yield record
        return
    shape = settings.input_shape or (_native_shape(arch) if isinstance(arch, str) else None)
    for batch in batches:
        notify("start", {"arch": name, "batch": batch})
        try:
            # The count runs on meta stand-ins of the model as measured (its dtype, so activation bytes and
            # intensity are those of the benchmark); the instance is untouched.
            analysis = analyze(model, shape, batch=batch, device="meta", dtype=settings.dtype.value)
            def progress(phase: str, runs: int, fraction: float, batch: int = batch) -> None:
                notify("progress", {"arch": name, "batch": batch, "phase": phase, "runs": runs, "fraction": fraction})

            record = _measure_one(name, analysis, model, forward, batch, settings, progress)
        except Exception as error:  # noqa: BLE001
            record = _classify(name, batch, settings, error)
            del error
            release_memory(settings.device, collect=True)
        else:
            release_memory(settings.device)
        yield record
    del model, forward
    release_memory(settings.device)


def _native_shape(arch: str) -> str | None:
    from archcost.zoo.resolve import resolve

    native = resolve(arch).input_shape
    return None if native is None else "x".join(map(str, native))


def _measure_one(name: str, analysis: Analysis, model: torch.nn.Module, forward: Any, batch: int,
                 settings: BenchSettings, progress: Any) -> dict[str, Any]:
    tracker = MemoryTracker(settings.device)
    example = _example(analysis.input_shape, settings)
    tracker.start()
    with torch.inference_mode():
        measurement = measure(
            lambda: forward(example), device=settings.device.value, warmup=settings.warmup, window=settings.window,
            stability=settings.stability, warmup_budget_s=settings.warmup_budget_s, min_time_s=settings.min_time_s,
            min_runs=settings.min_runs, max_runs=settings.max_runs, progress=progress)
    peak_memory = tracker.peak_bytes()
    stats = summarize(measurement.samples_ms)
    macs = int(analysis.totals["macs"])
    seconds = stats.median_ms / 1e3
    record: dict[str, Any] = {
        "arch": name,
        "batch": batch,
        "dtype": settings.dtype.value,
        "channels_last": settings.channels_last,
        "compiled": settings.compile,
        "median_ms": stats.median_ms,
        "p10_ms": stats.p10_ms,
        "p90_ms": stats.p90_ms,
        "iqr_ms": stats.iqr_ms,
        "cov": stats.cov,
        "runs": stats.runs,
        "images_per_s": batch / seconds if seconds > 0 else None,
        "macs": macs,
        "achieved_gflops": 2 * macs / seconds / 1e9 if seconds > 0 else None,
        "peak_fraction": None,  # filled by run() from the device peak
        "peak_memory_bytes": peak_memory,
        # Beyond the fields: what `plot batch` and `plot roofline` need, and how the figure was obtained.
        "peak_memory_kind": tracker.kind,
        "ms_per_image": stats.median_ms / batch,
        "mean_ms": stats.mean_ms,
        "min_ms": stats.min_ms,
        "max_ms": stats.max_ms,
        "input_shape": list(analysis.input_shape),
        "params": int(analysis.totals["params"]),
        "memory_bytes": int(analysis.totals["memory_bytes"]),
        "intensity_flops_per_byte": 2 * macs / analysis.totals["memory_bytes"] if analysis.totals["memory_bytes"]
        else None,
        "warmup_runs": measurement.warmup.runs,
        "warmup_stable": measurement.warmup.stable,
        "warmup_s": measurement.warmup.seconds,
    }
    if settings.layers:
        from archcost.timing.layers import layer_profile
        from archcost.timing.roofline_data import profile_overhead

        profile = layer_profile(model, example, runs=max(3, min(settings.min_runs, 20)), warmup=1)
        record["layer_overhead"] = profile_overhead(profile)
        record["layer_ms"] = profile.times_ms
        record["analysis_rows"] = analysis.rows  # turned into roofline points once the peak is known
    return record


def _finish(record: dict[str, Any], peak: Any) -> dict[str, Any]:
    if "error" in record:
        return record
    if record["achieved_gflops"] is not None and peak is not None:
        record["peak_fraction"] = record["achieved_gflops"] / peak.peak_gflops
    rows = record.pop("analysis_rows", None)
    times = record.pop("layer_ms", None)
    if rows is not None and times is not None and peak is not None:
        from archcost.timing.roofline_data import roofline_rows

        record["layers"] = roofline_rows(rows, times, peak=peak)
    return record


def apply_process_settings(settings: BenchSettings) -> None:
    """Process-wide switches of a benchmark (also applied by an isolated worker): CPU threads, and cuDNN's autotuner,
    which picks the fastest convolution algorithm for each fixed shape during warm-up, as deployments do."""
    if settings.threads is not None:
        torch.set_num_threads(settings.threads)
    if settings.device is BenchDevice.CUDA:
        torch.backends.cudnn.benchmark = True


def run(archs: Sequence[str | torch.nn.Module], *, batches: Sequence[int] = (1,),
        settings: BenchSettings | None = None, overrides: dict[str, Any] | None = None,
        observer: Observer | None = None) -> BenchReport:
    """Benchmark every network in ``archs`` at every batch size; see :class:`BenchSettings` for the method.

    A measurement that fails (out of memory, unsupported dtype, forward error) is reported through ``observer`` and
    in ``BenchReport.failures``, and the run goes on. Bad requests (unknown architecture, no CUDA, a dtype the device
    cannot run at all) raise before anything is measured."""
    from archcost.timing.peak import device_peak
    from archcost.zoo.resolve import resolve

    settings = settings or BenchSettings()
    if not archs:
        raise UsageError("name at least one architecture to benchmark")
    if not batches or any(int(b) < 1 for b in batches):
        raise UsageError("batch sizes must be at least 1")
    for arch in archs:
        if isinstance(arch, str):
            resolve(arch)  # an unknown name fails here, before anything is measured
    if settings.isolate and any(not isinstance(a, str) for a in archs):
        raise UsageError("$isolate runs each network in a fresh process, so it takes registry names or import "
                         "paths, not model instances", Option("isolate"))
    check_device(settings.device)
    load_1min, cores = read_load()  # before anything of ours runs, so the load is the other work's
    saved_threads, saved_autotune = torch.get_num_threads(), torch.backends.cudnn.benchmark
    apply_process_settings(settings)
    try:
        check_dtype(settings.device, settings.dtype)
        peak = device_peak(settings.device, settings.dtype)
        report = BenchReport(device=describe(settings.device), peak=peak.to_dict(), settings=settings)
        for arch in archs:
            if settings.isolate and isinstance(arch, str):  # instances were refused above
                from archcost.timing.isolate import measure_isolated

                records = measure_isolated(arch, batches, settings, overrides=overrides, observer=observer)
            else:
                records = measure_arch(arch, batches, settings, overrides=overrides, observer=observer)
            for record in records:
                record = _finish(record, peak)
                if "error" in record:
                    report.failures.append(record)
                    if observer:
                        observer("failure", record)
                else:
                    report.results.append(record)
                    if observer:
                        observer("result", record)
        threads = torch.get_num_threads() if settings.device is BenchDevice.CPU else 1
        report.load = assess(load_1min, cores, threads, report.results, warmup=settings.warmup,
                             window=settings.window)
    finally:
        torch.set_num_threads(saved_threads)
        torch.backends.cudnn.benchmark = saved_autotune
    return report
