"""Summary statistics against hand computations (type-7 linear percentiles, sample standard deviation)."""

from __future__ import annotations

import math

import pytest

from archcost.timing.stats import percentile, relative_change, summarize


def test_one_to_ten() -> None:
    s = summarize([float(v) for v in (7, 3, 10, 1, 5, 9, 2, 8, 4, 6)])  # order must not matter
    # Sorted 1..10: the q-quantile sits at position 9q. median 4.5 -> 5 + 0.5 = 5.5; p10 at 0.9 -> 1.9;
    # p90 at 8.1 -> 9.1; p25 at 2.25 -> 3.25; p75 at 6.75 -> 7.75, so IQR = 4.5.
    assert s.median_ms == pytest.approx(5.5)
    assert s.p10_ms == pytest.approx(1.9)
    assert s.p90_ms == pytest.approx(9.1)
    assert s.iqr_ms == pytest.approx(4.5)
    assert (s.mean_ms, s.min_ms, s.max_ms, s.runs) == (5.5, 1.0, 10.0, 10)
    # Sum of squared deviations from 5.5 = 2 * (0.25 + 2.25 + 6.25 + 12.25 + 20.25) = 82.5; / (n - 1) = 9.1667.
    assert s.cov == pytest.approx(math.sqrt(82.5 / 9) / 5.5)


def test_odd_count_median_is_the_middle_sample() -> None:
    s = summarize([2.0, 100.0, 4.0])
    assert s.median_ms == 4.0
    assert s.p10_ms == pytest.approx(2.0 + 0.2 * 2.0)  # position 0.2 between 2 and 4
    assert s.p90_ms == pytest.approx(4.0 + 0.8 * 96.0)  # position 1.8 between 4 and 100


def test_single_sample() -> None:
    s = summarize([3.0])
    assert (s.median_ms, s.p10_ms, s.p90_ms, s.iqr_ms, s.cov, s.runs) == (3.0, 3.0, 3.0, 0.0, 0.0, 1)


def test_constant_samples_have_no_spread() -> None:
    s = summarize([1.25] * 8)
    assert (s.iqr_ms, s.cov, s.p10_ms, s.p90_ms) == (0.0, 0.0, 1.25, 1.25)


def test_percentile_bounds_and_errors() -> None:
    assert percentile([5.0, 1.0], 0.0) == 1.0
    assert percentile([5.0, 1.0], 1.0) == 5.0
    with pytest.raises(ValueError):
        percentile([], 0.5)
    with pytest.raises(ValueError):
        percentile([1.0], 1.5)
    with pytest.raises(ValueError):
        summarize([])


def test_relative_change() -> None:
    assert relative_change(105.0, 100.0) == pytest.approx(0.05)
    assert relative_change(95.0, 100.0) == pytest.approx(0.05)
    assert relative_change(0.0, 0.0) == 0.0
    assert relative_change(1.0, 0.0) == math.inf
