"""The real device a benchmark runs on: availability and dtype checks, a description, and peak-memory tracking.

Peak memory: on CUDA the allocator's ``max_memory_allocated`` (reset before the first call, so it is the peak of
weights + input + activations + workspaces); on CPU the growth of the resident set size over the same span, read from
``/proc/self/status`` (VmHWM - VmRSS before the first call), after resetting the kernel's high-water mark through
``/proc/self/clear_refs`` and handing free heap back with ``malloc_trim``. Where those files do not exist (not Linux)
the CPU figure is None rather than a guess.
"""

from __future__ import annotations

import ctypes
import functools
import os
import platform
from pathlib import Path
from typing import Any

import torch

from archcost.timing.procfs import proc_field, proc_kib_bytes
from archcost.timing.settings import BenchDevice
from archcost.dtypes import Dtype
from archcost.errors import DeviceError, Option, first_line
from archcost.prepare import DTYPES

# Substrings of the RuntimeError torch raises when a kernel has no implementation for a dtype on a device.
UNSUPPORTED_DTYPE_MESSAGES = ("not implemented for", "unsupported dtype", "does not support", "not supported for")
OUT_OF_MEMORY_MESSAGES = ("out of memory", "can't allocate memory", "cannot allocate memory", "not enough memory")


def check_device(device: BenchDevice) -> None:
    if device is BenchDevice.CUDA and not torch.cuda.is_available():
        raise DeviceError(f"$device was asked for but CUDA is not available here (torch {torch.__version__})",
                          Option("device", "cuda"))


def is_out_of_memory(error: BaseException) -> bool:
    if isinstance(error, torch.OutOfMemoryError):
        return True
    return isinstance(error, (RuntimeError, MemoryError)) and any(
        m in str(error).lower() for m in OUT_OF_MEMORY_MESSAGES)


def is_unsupported_dtype(error: BaseException) -> bool:
    return isinstance(error, (RuntimeError, NotImplementedError, TypeError)) and any(
        m in str(error).lower() for m in UNSUPPORTED_DTYPE_MESSAGES)


def _probe_model() -> torch.nn.Module:
    """The ops every network in the zoo is made of: conv (plain and depthwise), BN, ReLU, SiLU, pools, linear."""
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.BatchNorm2d(8), torch.nn.ReLU(),
        torch.nn.Conv2d(8, 8, 3, padding=1, groups=8), torch.nn.SiLU(), torch.nn.MaxPool2d(2),
        torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(8, 4), torch.nn.Softmax(dim=1),
    )


@functools.cache
def check_dtype(device: BenchDevice, dtype: Dtype) -> None:
    """Fail with one line, before any model is built, when ``device`` cannot run ``dtype`` (cached per process)."""
    if device is BenchDevice.CUDA and dtype is Dtype.BFLOAT16 and not torch.cuda.is_bf16_supported():
        raise DeviceError(f"{torch.cuda.get_device_name()} cannot run bfloat16 (compute capability "
                          f"{'.'.join(map(str, torch.cuda.get_device_capability()))}); use float16 or float32")
    torch_dtype = DTYPES[dtype]
    try:
        with torch.inference_mode():
            model = _probe_model().to(device=device.value, dtype=torch_dtype).eval()
            model(torch.zeros(1, 3, 8, 8, device=device.value, dtype=torch_dtype))
    except Exception as error:  # noqa: BLE001  (any failure of the probe means the dtype cannot be used)
        raise DeviceError(f"{device.value} cannot run {dtype.value} convolutions with torch {torch.__version__}: "
                          f"{first_line(error)}") from None


def _cpu_name() -> str:
    return proc_field("/proc/cpuinfo", "model name") or platform.processor() or platform.machine()


def describe(device: BenchDevice) -> dict[str, Any]:
    """What the device is, and the math settings that change its speed."""
    info: dict[str, Any] = {"type": device.value, "torch_version": torch.__version__}
    if device is BenchDevice.CUDA:
        properties = torch.cuda.get_device_properties(torch.cuda.current_device())
        info.update(
            name=properties.name, capability=f"{properties.major}.{properties.minor}",
            memory_bytes=properties.total_memory, multiprocessors=properties.multi_processor_count,
            cuda_version=torch.version.cuda, cudnn_version=torch.backends.cudnn.version(),
            cudnn_benchmark=torch.backends.cudnn.benchmark,
            # cuDNN convolutions may use TF32 for float32 by default while matmuls may not: record both.
            cudnn_allow_tf32=torch.backends.cudnn.allow_tf32,
            matmul_allow_tf32=torch.backends.cuda.matmul.allow_tf32,
        )
    else:
        info.update(name=_cpu_name(), logical_cpus=os.cpu_count(), threads=torch.get_num_threads(),
                    mkldnn=torch.backends.mkldnn.is_available())
    return info


class MemoryTracker:
    """Peak memory over a span: CUDA max allocated, or CPU resident-set growth (see the module docstring)."""

    def __init__(self, device: BenchDevice) -> None:
        self.device = device
        self.kind = "cuda_max_allocated" if device is BenchDevice.CUDA else "cpu_rss_growth"
        self._baseline: int | None = None

    def start(self) -> None:
        if self.device is BenchDevice.CUDA:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            return
        _trim_heap()
        _reset_high_water_mark()
        self._baseline = _status_bytes("VmRSS")

    def peak_bytes(self) -> int | None:
        if self.device is BenchDevice.CUDA:
            torch.cuda.synchronize()
            return int(torch.cuda.max_memory_allocated())
        high = _status_bytes("VmHWM")
        if high is None or self._baseline is None:
            return None
        return max(0, high - self._baseline)


def _status_bytes(field: str) -> int | None:
    return proc_kib_bytes("/proc/self/status", field)


def _reset_high_water_mark() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # "5": reset the peak RSS (proc(5))
    except OSError:
        pass


def _trim_heap() -> None:
    # Without this, memory freed by a previous model stays in the process heap and hides the next model's growth.
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def release_memory(device: BenchDevice, *, collect: bool = False) -> None:
    """Hand cached device memory back. ``collect``: also break reference cycles (after an error, whose traceback
    keeps the failed call's tensors alive); a full collection walks every object torch holds, so not always."""
    import gc

    if collect:
        gc.collect()
    if device is BenchDevice.CUDA:
        torch.cuda.empty_cache()
