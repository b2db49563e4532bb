"""A computed value against a printed figure, at the figure's own precision. Torch-free.

- ``matches``: the computed value is exactly the printed figure (5,978,554 against "5,978,554");
- ``rounding``: it matches only once rounded (half up) to the printed precision (854,196,224 against "854M");
- ``truncated``: it matches only once cut (not rounded) at the printed precision: the printed figure drops digits
  that should have rounded it up (163,696 against "159K" with K = 1024: 159.86K cut to 159K, rounded 160K);
- ``disagrees``: it does not, even rounded or cut.
Which K a table uses (1000 or 1024) is inferred per column: the reading under which more of its rows fit.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Sequence

from archcost.reproduction.figures import Figure

MATCHES = "matches"
ROUNDING = "rounding"
TRUNCATED = "truncated"
DISAGREES = "disagrees"
COMPUTED_ONLY = "computed-only"  # a computed row with no printed figure beside it
STATUSES = (MATCHES, ROUNDING, TRUNCATED, DISAGREES, COMPUTED_ONLY)  # the order tables list and count them in
# What a column's K is inferred from: figures that fit as printed or rounded. A cut figure is not evidence for a K.
FITTING = (MATCHES, ROUNDING)
BASES = (1000, 1024)


def _exact(value: float | int) -> Decimal:
    # Floats (ratios, percentages) are compared at 12 significant digits so that 0.1 + 0.2 still equals 0.3.
    return Decimal(value) if isinstance(value, int) else Decimal(repr(round(value, 12)))


def _at_precision(figure: Figure, computed: float | int, base: int, rounding: str) -> Decimal:
    quantum = Decimal(1).scaleb(-figure.decimals)
    return (_exact(computed) / figure.scale_for(base)).quantize(quantum, rounding=rounding)


def status(figure: Figure, computed: float | int, *, base: int = 1000) -> str:
    if figure.bound:  # a direction ("above 1"): either the computed value lies on that side or it does not
        threshold = figure.digits * figure.scale_for(base)
        inside = _exact(computed) < threshold if figure.bound == "<" else _exact(computed) > threshold
        return MATCHES if inside else DISAGREES
    if _exact(computed) == figure.digits * figure.scale_for(base):
        return MATCHES
    if _at_precision(figure, computed, base, ROUND_HALF_UP) == figure.digits:
        return ROUNDING
    if truncates_to(figure, computed, base=base):
        return TRUNCATED
    return DISAGREES


def truncates_to(figure: Figure, computed: float | int, *, base: int = 1000) -> bool:
    """True when cutting (not rounding) the computed value at the printed precision gives the printed digits."""
    if figure.bound:
        return False
    return _at_precision(figure, computed, base, ROUND_DOWN) == figure.digits


def at_printed_precision(figure: Figure, computed: float | int, *, base: int = 1000) -> str:
    """The computed value written the way the figure is written ("114.7K"), for explanations."""
    return f"{_at_precision(figure, computed, base, ROUND_HALF_UP):,}{figure.tail}"


def infer_base(pairs: Sequence[tuple[Figure, float | int]]) -> tuple[int, int, int]:
    """The K of a column: 1024 only when strictly more rows fit with it. Returns (base, fits_1000, fits_1024)."""
    binary = [(f, c) for f, c in pairs if f.binary_power]
    fits = {b: sum(status(f, c, base=b) in FITTING for f, c in binary) for b in BASES}
    return (1024 if fits[1024] > fits[1000] else 1000), fits[1000], fits[1024]
