"""The device's own peak, measured once per process: a GEMM microbenchmark for arithmetic throughput and a copy
microbenchmark for memory bandwidth. Every benchmark result states its fraction of the GEMM peak.

Both figures are the best (shortest) of repeated timed calls after warm-up: a peak is what the device can reach,
so the fastest repetition is the right estimator (the median is for workloads, not for ceilings).
- GEMM: ``torch.mm`` of two n x n matrices at the benchmark's dtype, 2 n^3 FLOP per call. n doubles from 256 until
  one call takes at least 50 ms (or n reaches 2048 on CPU, 8192 on CUDA): large enough to reach the GEMM's steady
  state, small enough that a dtype the CPU only emulates (float16 on most CPUs) does not take minutes. On CUDA in
  float32 the GEMM uses TF32 exactly when cuDNN's convolutions may (``cudnn.allow_tf32``), so a network is compared
  with the math mode its convolutions actually use.
- Bandwidth: ``dst.copy_(src)`` of 64 MiB (CPU, beyond the last-level cache) or 1 GiB (CUDA) float32 buffers; each
  call reads and writes the buffer once, 2 x its size in bytes.
"""

from __future__ import annotations

import functools
import time
from dataclasses import asdict, dataclass
from typing import Any, Callable

import torch

from archcost.timing.settings import BenchDevice
from archcost.dtypes import Dtype
from archcost.prepare import DTYPES

GEMM_SIDE_MAX = {BenchDevice.CPU: 2048, BenchDevice.CUDA: 8192}
GEMM_SIDE_MIN = 256
GEMM_CALL_S = 0.05
COPY_BYTES = {BenchDevice.CPU: 64 * 2**20, BenchDevice.CUDA: 2**30}
MEASURE_S = 0.2  # time spent on each microbenchmark after warm-up


@dataclass(frozen=True)
class DevicePeak:
    peak_gflops: float  # GEMM, 1e9 FLOP per second (FLOP = 2 x MAC)
    peak_dtype: str
    gemm_side: int
    gemm_runs: int
    bandwidth_gb_per_s: float  # 1e9 bytes per second, read + write
    copy_bytes: int
    copy_runs: int
    tf32: bool

    @property
    def ridge_flops_per_byte(self) -> float:
        """Arithmetic intensity at which the roofline turns from memory-bound to compute-bound."""
        return self.peak_gflops / self.bandwidth_gb_per_s

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ridge_flops_per_byte": self.ridge_flops_per_byte,
                "peak_method": f"best of {self.gemm_runs} runs of torch.mm on {self.gemm_side}x{self.gemm_side} "
                               f"{self.peak_dtype} matrices (2n^3 FLOP)",
                "bandwidth_method": f"best of {self.copy_runs} runs of Tensor.copy_ on {self.copy_bytes} bytes "
                                    f"(read + write)"}


def _best_seconds(fn: Callable[[], Any], device: BenchDevice) -> tuple[float, int]:
    synchronize = torch.cuda.synchronize if device is BenchDevice.CUDA else (lambda: None)
    for _ in range(2):  # warm-up: library initialisation, page faults on first touch
        fn()
    synchronize()
    best, runs, began = float("inf"), 0, time.perf_counter()
    while runs < 3 or time.perf_counter() - began < MEASURE_S:
        start = time.perf_counter_ns()
        fn()
        synchronize()
        best = min(best, (time.perf_counter_ns() - start) / 1e9)
        runs += 1
    return best, runs


def _one_call_seconds(fn: Callable[[], Any], device: BenchDevice) -> float:
    synchronize = torch.cuda.synchronize if device is BenchDevice.CUDA else (lambda: None)
    fn()  # the first call of a size pays for library set-up
    synchronize()
    start = time.perf_counter_ns()
    fn()
    synchronize()
    return (time.perf_counter_ns() - start) / 1e9


def _gemm(side: int, device: BenchDevice, dtype: torch.dtype) -> Callable[[], Any]:
    generator = torch.Generator(device=device.value).manual_seed(0)
    a = torch.randn(side, side, device=device.value, dtype=dtype, generator=generator)
    b = torch.randn(side, side, device=device.value, dtype=dtype, generator=generator)
    out = torch.empty_like(a)
    return lambda: torch.mm(a, b, out=out)


def _gemm_best_seconds(device: BenchDevice, dtype: torch.dtype) -> tuple[int, float, int]:
    """Size the GEMM with single calls, then take the best of repeated calls at that size: (n, seconds, runs)."""
    side = GEMM_SIDE_MIN
    while side < GEMM_SIDE_MAX[device] and _one_call_seconds(_gemm(side, device, dtype), device) < GEMM_CALL_S:
        side *= 2
    seconds, runs = _best_seconds(_gemm(side, device, dtype), device)
    return side, seconds, runs


def _copy_best_seconds(device: BenchDevice) -> tuple[float, int]:
    src = torch.ones(COPY_BYTES[device] // 4, device=device.value)
    dst = torch.empty_like(src)
    return _best_seconds(lambda: dst.copy_(src), device)


@functools.cache
def device_peak(device: BenchDevice, dtype: Dtype) -> DevicePeak:
    """Measure (once per process and per device and dtype) the GEMM throughput and copy bandwidth of ``device``."""
    device, dtype = BenchDevice(device), Dtype(dtype)
    tf32 = device is BenchDevice.CUDA and dtype is Dtype.FLOAT32 and torch.backends.cudnn.allow_tf32
    saved = torch.backends.cuda.matmul.allow_tf32
    with torch.inference_mode():
        try:
            if device is BenchDevice.CUDA:
                torch.backends.cuda.matmul.allow_tf32 = bool(tf32)
            side, gemm_s, gemm_runs = _gemm_best_seconds(device, DTYPES[dtype])
        finally:
            torch.backends.cuda.matmul.allow_tf32 = saved
        copy_s, copy_runs = _copy_best_seconds(device)
    if device is BenchDevice.CUDA:
        torch.cuda.empty_cache()
    return DevicePeak(
        peak_gflops=2 * side**3 / gemm_s / 1e9, peak_dtype=dtype.value, gemm_side=side, gemm_runs=gemm_runs,
        bandwidth_gb_per_s=2 * COPY_BYTES[device] / copy_s / 1e9, copy_bytes=COPY_BYTES[device],
        copy_runs=copy_runs, tf32=bool(tf32),
    )
