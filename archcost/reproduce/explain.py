"""The explanation search: when a printed figure disagrees with the computed one, try the readings and variants that
could have produced it, compute each, and report those that fit at the printed precision. Torch-free.

Nothing here is a text constant for a known number: every explanation names a value that was computed and checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from archcost.reproduce.figures import Figure
from archcost.reproduce.status import BASES, FITTING, at_printed_precision, status, truncates_to


@dataclass(frozen=True)
class Candidate:
    """A computed alternative to the headline value: a variant of the layer, another counting choice, a term."""

    label: str
    value: float | int


def _number(value: float | int) -> str:
    if isinstance(value, int) or float(value).is_integer() or abs(value) >= 1000:
        return f"{round(value):,}"
    return f"{value:.4g}"


def _fits(figure: Figure, value: float | int, base: int) -> int | None:
    """The K under which ``value`` fits the figure, trying the column's own K first."""
    for b in (base, *(b for b in BASES if b != base and figure.binary_power)):
        if status(figure, value, base=b) in FITTING:
            return b
    return None


def _with_base(figure: Figure, value: float | int, used: int, base: int) -> str:
    written = at_printed_precision(figure, value, base=used)
    return f"{written} (K = {used})" if used != base else written


def explain(figure: Figure, computed: float | int, *, base: int, alternatives: Sequence[Candidate] = (),
            terms: Sequence[Candidate] = (), limit: int = 3) -> str:
    """Why ``computed`` does not give ``figure``: the first ``limit`` computed readings that do, or a plain statement
    of the difference when none does."""
    found: list[str] = []
    for b in (b for b in BASES if b != base and figure.binary_power):
        if status(figure, computed, base=b) in FITTING:
            found.append(f"fits with K = {b}: {_number(computed)} / {b}^{figure.binary_power} gives "
                         f"{at_printed_precision(figure, computed, base=b)}")
    for candidate in alternatives:
        used = _fits(figure, candidate.value, base)
        if used is not None:
            found.append(f"{candidate.label}: {_number(candidate.value)} gives "
                         f"{_with_base(figure, candidate.value, used, base)}")
    for term in terms:
        for verb, value in (("counted twice", computed + term.value), ("left out", computed - term.value)):
            used = _fits(figure, value, base)
            if used is not None:
                found.append(f"{term.label} ({_number(term.value)}) {verb}: {_number(value)} gives "
                             f"{_with_base(figure, value, used, base)}")
    if truncates_to(figure, computed, base=base):
        found.append(f"truncated, not rounded: {_number(computed)} rounds to "
                     f"{at_printed_precision(figure, computed, base=base)} but cuts to {figure.text.strip()}")
    if found:
        return "; ".join(found[:limit])
    published = float(figure.digits * figure.scale_for(base))
    difference = computed - published
    share = f" ({100 * difference / published:+.1f}%)" if published else ""
    return f"no explanation found: computed {_number(computed)}, printed {figure.text.strip()} ({_number(published)})" \
           f", difference {_number(round(difference, 6))}{share}"
