"""The explanation search: when a printed figure disagrees with the computed one (or is the computed one cut, not
rounded), try the readings and variants that could have produced it, compute each, and report those that fit at the
printed precision. Torch-free.

Nothing here is a text constant for a known number: every explanation names a value that was computed and checked.
Each fact is said once: the printed and computed values and their difference are columns of the row, so an
explanation does not restate them, and two readings that give the same text are one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from archcost.reproduction.figures import Figure
from archcost.reproduction.status import BASES, FITTING, TRUNCATED, at_printed_precision, status


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
    """Why ``computed`` does not give ``figure`` as printed: for a cut figure what rounding would have printed, then
    the first ``limit`` computed readings that do give it, or the relative difference when none does."""
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
    found = list(dict.fromkeys(found))[:limit]  # two variants of one layer can give one reading: say it once
    if status(figure, computed, base=base) == TRUNCATED:
        found.insert(0, f"rounded, it would read {at_printed_precision(figure, computed, base=base)}")
    if found:
        return "; ".join(found)
    published = float(figure.digits * figure.scale_for(base))
    if not published:
        return "no explanation found"
    return f"no explanation found ({100 * (computed - published) / published:+.1f}% of the printed figure)"
