"""The device peak: measured once per process, with the GEMM size and copy size it states."""

from __future__ import annotations

from archcost.timing.peak import COPY_BYTES, GEMM_SIDE_MAX, GEMM_SIDE_MIN, device_peak
from archcost.timing.settings import BenchDevice
from archcost.dtypes import Dtype


def test_cpu_peak_is_measured_once_and_describes_itself() -> None:
    peak = device_peak(BenchDevice.CPU, Dtype.FLOAT32)
    assert device_peak(BenchDevice.CPU, Dtype.FLOAT32) is peak  # cached for the process
    assert peak.peak_gflops > 0 and peak.bandwidth_gb_per_s > 0
    assert GEMM_SIDE_MIN <= peak.gemm_side <= GEMM_SIDE_MAX[BenchDevice.CPU]
    assert peak.gemm_side & (peak.gemm_side - 1) == 0  # doubled from 256
    assert peak.gemm_runs >= 3 and peak.copy_runs >= 3
    assert peak.copy_bytes == COPY_BYTES[BenchDevice.CPU] == 64 * 2**20
    assert (peak.peak_dtype, peak.tf32) == ("float32", False)
    assert peak.ridge_flops_per_byte == peak.peak_gflops / peak.bandwidth_gb_per_s
