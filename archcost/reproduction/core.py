"""Rows of a reproduction: a printed figure, the computed value, the status at the figure's precision and the
explanation search's result. Torch-free; the JSON document is ``archcost.reproduce/1``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

from archcost.reproduction.explain import Candidate, explain
from archcost.reproduction.figures import Published
from archcost.reproduction.status import COMPUTED_ONLY, DISAGREES, MATCHES, TRUNCATED, infer_base, status

SCHEMA = "archcost.reproduce/1"


@dataclass(frozen=True)
class Row:
    row: str
    quantity: str
    published_text: str
    published: float | int | str | None
    computed: float | int | str
    unit: str
    difference: float | int | None
    status: str
    explanation: str


@dataclass(frozen=True)
class Check:
    """What a target hands to :func:`judge`: one printed figure (or none) and the computed value beside it."""

    published: Published | None
    computed: float | int | str  # a string only for shapes ("14x14x64"), compared as text
    row: str = ""  # used when ``published`` is None
    quantity: str = ""
    unit: str = ""
    alternatives: Sequence[Candidate] = ()
    terms: Sequence[Candidate] = ()
    note: str = ""  # a computed remark shown whatever the status (for example the per-block saving)


@dataclass
class Reproduction:
    target: str
    title: str
    rows: list[Row]
    claims: list[Row] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "target": self.target, "source": "; ".join(self.sources),
                "rows": [asdict(r) for r in self.rows], "claims": [asdict(c) for c in self.claims]}

    def counts(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for r in (*self.rows, *self.claims):
            found[r.status] = found.get(r.status, 0) + 1
        return found

    def flagged(self) -> list[str]:
        """The rows and claims whose printed figure disagrees with the computed one: a target's golden set."""
        return [f"{r.row} / {r.quantity}" for r in (*self.rows, *self.claims) if r.status == DISAGREES]

    def truncated(self) -> list[str]:
        """The rows and claims whose printed figure is the computed value cut, not rounded."""
        return [f"{r.row} / {r.quantity}" for r in (*self.rows, *self.claims) if r.status == TRUNCATED]


def _number(value: float | int | str) -> float | int:
    """A computed figure of a column of numbers (a string is a shape, and a column of shapes is judged as text)."""
    if isinstance(value, str):
        raise TypeError(f"a shape {value!r} among figures")
    return value


def _clean(value: float | int) -> float | int:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return round(value, 6) if isinstance(value, float) else value


def judge(checks: Sequence[Check]) -> list[Row]:
    """Rows for one column of figures: the column's K is inferred from all of them, then each row is judged."""
    shapes = [c for c in checks if c.published is not None and c.published.unit == "shape"]
    if shapes:
        return [_shape_row(c) for c in checks]
    printed = [(c.published.figure, _number(c.computed)) for c in checks if c.published is not None]
    base, fits_1000, fits_1024 = infer_base(printed)
    rows = []
    for check in checks:
        p, computed = check.published, _number(check.computed)
        if p is None:
            rows.append(Row(check.row, check.quantity, "", None, _clean(computed), check.unit, None,
                            COMPUTED_ONLY, check.note))
            continue
        figure = p.figure
        row_base = base if figure.binary_power else 1000
        published = _clean(figure.value(base=row_base))
        verdict = status(figure, computed, base=row_base)
        notes = []
        if row_base == 1024:
            notes.append(f"K read as 1024 for this column ({fits_1024} of {len(printed)} figures fit with 1024, "
                         f"{fits_1000} with 1000)")
        if verdict in (DISAGREES, TRUNCATED):
            notes.append(explain(figure, computed, base=row_base, alternatives=check.alternatives,
                                 terms=check.terms))
        if check.note:
            notes.append(check.note)
        rows.append(Row(p.row, p.quantity, p.published_text, published, _clean(computed), p.unit,
                        _clean(computed - published), verdict, "; ".join(notes)))
    return rows


def _shape_row(check: Check) -> Row:
    """A printed shape such as Keras' "(None, 14, 14, 64)" against the computed one, both written H x W x C."""
    p = check.published
    assert p is not None
    dims = [d.strip() for d in p.published_text.strip("()").split(",")]
    published = "x".join(d for d in dims if d != "None")
    verdict = MATCHES if published == check.computed else DISAGREES
    return Row(p.row, p.quantity, p.published_text, published, check.computed, p.unit, None, verdict, check.note)


def sources(*groups: Sequence[Published]) -> list[str]:
    """The distinct sources of the published figures used, one per document with its tables, in order of first use."""
    tables: dict[str, list[str]] = {}
    for group in groups:
        for p in group:
            arxiv = f", arXiv:{p.source.arxiv}" if p.source.arxiv not in ("", "n/a") else ""
            places = tables.setdefault(f"{p.source.title}{arxiv}", [])
            if p.source.table not in places:
                places.append(p.source.table)
    return [f"{document} ({'; '.join(places)})" for document, places in tables.items()]
