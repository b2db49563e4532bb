"""What the tracer writes per aten op: its own module, so that the aggregator and the result read it without
importing the tracer."""

from __future__ import annotations

from dataclasses import dataclass

from archcost.counting.formulas import Term


@dataclass(slots=True)
class OpRecord:
    """One aten op call: whose it was, what it cost, and how many bytes it touched."""

    module: int  # index into the traced module list
    op: str  # aten overload packet name
    terms: tuple[Term, ...] | None  # None: no rule, reported in uncounted_ops
    bytes_in: int
    bytes_out: int
    shapes: tuple[tuple[int, ...], ...]  # tensor argument shapes, for --explain
