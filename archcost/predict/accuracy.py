"""How good a latency prediction is, over many networks: the figures issue 24's criteria are stated in. Pure."""

from __future__ import annotations

import math
from statistics import median
from typing import Sequence


def relative_errors(predicted: Sequence[float], measured: Sequence[float]) -> list[float]:
    return [p / m - 1 for p, m in zip(predicted, measured, strict=True)]


def ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks, ties sharing their average rank."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    out = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            out[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return out


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float:
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    return sxy / math.sqrt(sxx * syy) if sxx and syy else float("nan")


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float:
    return pearson(ranks(xs), ranks(ys))


def summary(predicted: Sequence[float], measured: Sequence[float]) -> dict[str, float]:
    """Median absolute relative error, shares within ±10 % and ±20 %, Spearman rank correlation."""
    errors = [abs(e) for e in relative_errors(predicted, measured)]
    return {"count": len(errors), "median_abs_error": median(errors),
            "within_10": sum(e <= 0.10 for e in errors) / len(errors),
            "within_20": sum(e <= 0.20 for e in errors) / len(errors),
            "spearman": spearman(predicted, measured)}


def power_law(macs: Sequence[float], measured: Sequence[float]) -> tuple[float, float]:
    """The least-squares line of log(ms) on log(MACs): (a, b) with ms = exp(a) * MACs**b."""
    xs, ys = [math.log(m) for m in macs], [math.log(t) for t in measured]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    return my - b * mx, b


def power_law_ms(fit: tuple[float, float], macs: float) -> float:
    return math.exp(fit[0]) * macs ** fit[1]
