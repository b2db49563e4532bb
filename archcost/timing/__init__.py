"""Real-device timing: the only package in archcost that runs and times models on a CPU or a GPU.

``archcost.bench(...)`` (this package's :func:`bench`, bound in ``archcost/__init__.py``) measures whole networks (``archcost bench``);
:func:`layer_times` measures each module (``archcost table --timed``); :func:`roofline` places layers against the
device's measured peak; :func:`write_report_tables` writes the timing tables of ``archcost report``.
Importing this package is torch-free; torch is imported when a function that needs it is called.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archcost.timing.settings import (
    BenchDevice,
    BenchSettings,
    parse_batches,
)
from archcost.timing.stats import Summary, percentile, summarize
from archcost.dtypes import Dtype

if TYPE_CHECKING:
    import torch

    from archcost.timing.harness import BenchReport, Observer

__all__ = [
    "BenchDevice",
    "Dtype",
    "BenchSettings",
    "Summary",
    "bench",
    "device_peak",
    "layer_profile",
    "layer_times",
    "parse_batches",
    "percentile",
    "roofline",
    "roofline_rows",
    "summarize",
    "write_report_tables",
]


def bench(archs: str | torch.nn.Module | Sequence[str | torch.nn.Module], *, batches: Sequence[int] = (1,),
          device: str = "cpu", dtype: str = "float32", channels_last: bool = False, compile: bool = False,
          warmup: int = 3, max_warmup_s: float | None = None, min_time_s: float = 1.0, min_runs: int = 5,
          isolate: bool = False, threads: int | None = None, layers: bool = False, input_shape: str | None = None,
          overrides: dict[str, Any] | None = None, observer: Observer | None = None) -> BenchReport:
    """Time inference of one or more networks at each batch size; ``.to_dict()`` is the ``archcost.bench/1`` JSON."""
    from archcost.timing.harness import run

    settings = BenchSettings(device=BenchDevice(device), dtype=Dtype(dtype), channels_last=channels_last,
                             compile=compile, warmup=warmup, max_warmup_s=max_warmup_s, min_time_s=min_time_s,
                             min_runs=min_runs, isolate=isolate, threads=threads, layers=layers,
                             input_shape=input_shape)
    listed = [archs] if isinstance(archs, str) or not isinstance(archs, Sequence) else list(archs)
    return run(listed, batches=batches, settings=settings, overrides=overrides, observer=observer)


def layer_times(model: torch.nn.Module, example: torch.Tensor, *, runs: int = 10, warmup: int = 2) -> dict[str, float]:
    from archcost.timing.layers import layer_times as measure_layers

    return measure_layers(model, example, runs=runs, warmup=warmup)


layer_times.__doc__ = "See :func:`archcost.timing.layers.layer_times`."


def __getattr__(name: str) -> Any:
    if name == "BenchDtype":
        from archcost.timing.settings import deprecated_dtype

        return deprecated_dtype()
    if name == "layer_profile":
        from archcost.timing.layers import layer_profile

        return layer_profile
    if name in ("roofline", "roofline_rows"):
        from archcost.timing import roofline_data as module

        return getattr(module, name)
    if name == "device_peak":
        from archcost.timing.peak import device_peak

        return device_peak
    raise AttributeError(f"module 'archcost.timing' has no attribute {name!r}")


def write_report_tables(folder: Path, measured: dict[str, Any]) -> list[Path]:
    """Write the timing tables of ``archcost report`` (from :func:`archcost.timing.report.measure_report`) under
    ``folder``; see :mod:`archcost.timing.report`."""
    from archcost.timing.report import write_report_tables as write

    return write(folder, measured)
