"""Summary statistics of timing samples. Pure and torch-free, so the tests can check them against hand computations.

Percentiles interpolate linearly between order statistics (numpy's default "linear" method, Hyndman & Fan type 7):
the q-quantile of n sorted samples sits at position (n - 1) * q.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence


@dataclass(frozen=True)
class Summary:
    """Robust statistics of per-call times, in milliseconds."""

    median_ms: float
    p10_ms: float
    p90_ms: float
    iqr_ms: float  # p75 - p25
    mean_ms: float
    min_ms: float
    max_ms: float
    cov: float  # coefficient of variation: sample standard deviation / mean (0 for a single sample)
    runs: int


def percentile(samples: Sequence[float], q: float) -> float:
    """The ``q``-quantile (0 <= q <= 1) of ``samples`` by linear interpolation between order statistics."""
    if not samples:
        raise ValueError("percentile of no samples")
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"quantile must lie in [0, 1], got {q}")
    ordered = sorted(samples)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarize(samples_ms: Sequence[float]) -> Summary:
    """Median, p10/p90, interquartile range, mean, extremes and coefficient of variation of ``samples_ms``."""
    if not samples_ms:
        raise ValueError("cannot summarize zero samples")
    runs = len(samples_ms)
    mean = math.fsum(samples_ms) / runs
    if runs > 1:
        variance = math.fsum((s - mean) ** 2 for s in samples_ms) / (runs - 1)
        cov = math.sqrt(variance) / mean if mean > 0 else 0.0
    else:
        cov = 0.0
    return Summary(
        median_ms=percentile(samples_ms, 0.5),
        p10_ms=percentile(samples_ms, 0.1),
        p90_ms=percentile(samples_ms, 0.9),
        iqr_ms=percentile(samples_ms, 0.75) - percentile(samples_ms, 0.25),
        mean_ms=mean,
        min_ms=min(samples_ms),
        max_ms=max(samples_ms),
        cov=cov,
        runs=runs,
    )


def relative_change(new: float, old: float) -> float:
    """|new - old| / old; infinite when ``old`` is zero and ``new`` is not (used by the warm-up stability test)."""
    if old == 0:
        return 0.0 if new == 0 else math.inf
    return abs(new - old) / old
