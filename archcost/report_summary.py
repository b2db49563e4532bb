"""The report's opening: what GoogLeNet's Table 1 says and how archcost's count compares, and why the lecture's naive
inception module costs three times the bottleneck one. A student reads it in a minute before the tables.

Every number is taken from the reproductions the report writes below it (computed by archcost, or printed in a
source and compared against); nothing here is a figure of its own. Torch-free."""

from __future__ import annotations

from archcost.reproduction.core import Reproduction, Row
from archcost.reproduction.status import DISAGREES, MATCHES, ROUNDING, TRUNCATED
from archcost.reproduction.tables import number


def summary_lines(googlenet: Reproduction, inception: Reproduction) -> list[str]:
    """The "In one minute" section, as Markdown lines."""
    return ["## In one minute", "", *_table1(googlenet), "", *_inception(inception), ""]


def _count(rows: list[Row], *statuses: str) -> int:
    return sum(r.status in statuses for r in rows)


def _table1(googlenet: Reproduction) -> list[str]:
    rows = googlenet.rows
    agree = _count(rows, MATCHES, ROUNDING, TRUNCATED)
    ops = next(c for c in googlenet.claims if c.unit == "MACs")
    params = next(c for c in googlenet.claims if c.unit == "params")
    worst = max((r for r in rows if r.status == DISAGREES and r.published),
                key=lambda r: abs(float(r.difference or 0)) / float(r.published or 1))
    return [
        f"- **GoogLeNet's Table 1** prints, for each of its layers, its parameters and its operations. archcost "
        f"builds the network and counts both on PyTorch's meta device: of the table's {len(rows)} figures, "
        f"{agree} agree with the count once it is rounded (or cut) to the printed precision and "
        f"{_count(rows, DISAGREES)} do not. The largest gap is {worst.row}'s {worst.quantity}: printed "
        f"{worst.published_text}, counted {number(worst.computed)}; the printed figure fits this reading: "
        f"{_reasons(worst.explanation)[0]}. Each disagreement and its explanation is listed below.",
        f"- The whole network: the paper's \"{ops.published_text}\" multiply-adds against "
        f"{number(ops.computed)} counted ({'; '.join(_reasons(ops.explanation))}); the lecture's "
        f"\"{params.published_text}\" parameters against {number(params.computed)} counted.",
    ]


def _inception(inception: Reproduction) -> list[str]:
    totals = {r.row.split(":")[0]: r for r in inception.rows if r.row.endswith(": total")}
    naive, bottleneck = totals["naive"], totals["bottleneck"]
    ratio = float(naive.computed) / float(bottleneck.computed)
    terms = [r for r in inception.rows if r.row.startswith("bottleneck: [")]
    term_status = (f"all {len(terms)} of the slide's term-by-term figures match the count; only the sum is off"
                   if all(r.status == MATCHES for r in terms) else
                   f"{_count(terms, MATCHES)} of the slide's {len(terms)} term-by-term figures match the count")
    return [
        f"- **The inception module** of the lecture (a 28x28x256 input): the naive module runs its 3x3 and 5x5 "
        f"convolutions on all 256 input channels and costs {number(naive.computed)} MACs (the lecture prints "
        f"{naive.published_text}). The bottleneck module first reduces the channels with 1x1 convolutions "
        f"before its 3x3 and 5x5 convolutions and after its pooling, and costs {number(bottleneck.computed)} MACs: "
        f"{ratio:.2f} times fewer.",
        f"- The lecture prints {bottleneck.published_text} for the bottleneck module. archcost finds where that "
        f"comes from: {bottleneck.explanation}. {term_status[0].upper()}{term_status[1:]}.",
    ]


def _reasons(explanation: str) -> list[str]:
    """The reasons of an explanation (they are "; "-separated), without the column's K convention."""
    parts = [p for p in explanation.split("; ") if p and not p.startswith("K read as")]
    return parts or ["no explanation found"]
