"""A reproduction as text: Markdown and CSV for files and the report, rich tables for the terminal. Pure: returns
text or renderables, never prints."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from archcost.render import Column, View, to_csv, to_markdown
from archcost.reproduction.core import Reproduction
from archcost.reproduction.status import STATUSES


def number(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}" if abs(value) >= 100 else f"{value:.4g}"


def difference(value: Any) -> str:
    if value is None:
        return ""
    return f"{'+' if value > 0 else ''}{number(value)}" if value else "0"


# drop: a narrow terminal leaves out the printed figure parsed (the printed text says it) first, then the difference.
COLUMNS = (
    Column("row", "row", "left", label=True),
    Column("quantity", "quantity", "left", label=True),
    Column("published_text", "printed"),
    Column("published", "published", show=number, drop=2),
    Column("computed", "computed", show=number),
    Column("difference", "difference", show=difference, drop=1),
    Column("status", "status", "left"),
    Column("explanation", "explanation (computed)", "left"),
)
CSV_COLUMNS = tuple(Column(k, k) for k in ("kind", "row", "quantity", "published_text", "published", "computed",
                                             "unit", "difference", "status", "explanation"))


def _records(reproduction: Reproduction) -> list[dict[str, Any]]:
    return [{"kind": "row", **asdict(r)} for r in reproduction.rows] + \
        [{"kind": "claim", **asdict(c)} for c in reproduction.claims]


def summary(reproduction: Reproduction) -> str:
    counts = reproduction.counts()
    return ", ".join(f"{counts[k]} {k}" for k in STATUSES if counts.get(k))


LEGEND = ("Status: 'matches': exactly the printed figure; 'rounding': equal once rounded to the printed precision; "
          "'truncated': equal once cut (not rounded) there; 'disagrees': neither. Papers' FLOPs/ops/multiply-adds "
          "are MACs (multiply-accumulates); MACs are counted on the meta device in the 'paper' convention.")


def notes(reproduction: Reproduction, *, legend: bool = True) -> list[str]:
    """The source and the status counts; ``legend=False`` leaves the status legend to the caller, which says it
    once after several targets."""
    counts = f"Status: {summary(reproduction)}."
    return [f"Source: {'; '.join(reproduction.sources)}.",
            counts + LEGEND.removeprefix("Status:") if legend else counts]


def markdown(reproduction: Reproduction, *, heading: str = "##", legend: bool = True) -> str:
    lines = [f"{heading} {reproduction.title} (`{reproduction.target}`)", ""]
    table = to_markdown([asdict(r) for r in reproduction.rows], COLUMNS).rstrip("\n")
    lines += [table, ""]
    if reproduction.claims:
        lines += ["Claims:", "", to_markdown([asdict(c) for c in reproduction.claims], COLUMNS).rstrip("\n"), ""]
    lines += [*notes(reproduction, legend=legend), ""]
    return "\n".join(lines)


def csv(reproduction: Reproduction) -> str:
    return to_csv(_records(reproduction), CSV_COLUMNS)


def csv_many(reproductions: list[Reproduction]) -> str:
    return to_csv(*csv_rows(reproductions))


def csv_rows(reproductions: list[Reproduction]) -> tuple[list[dict[str, Any]], tuple[Column, ...]]:
    records = [{"target": r.target, **x} for r in reproductions for x in _records(r)]
    return records, (Column("target", "target"), *CSV_COLUMNS)


def view(reproduction: Reproduction, *, legend: bool = True) -> View:
    """The terminal table. Each part of a row's explanation (the parts are separated by "; ") becomes a numbered
    reference, ``[1]``, with its text once in the notes under the table: a sentence many rows share (GoogLeNet's
    "K read as 1024") is said once. Claims follow the notes, one line each with the explanation indented below."""
    rows = [asdict(r) for r in reproduction.rows]
    numbers: dict[str, int] = {}
    for row in rows:
        parts = [p for p in (row.get("explanation") or "").split("; ") if p]
        row["explanation"] = "".join(f"[{numbers.setdefault(p, len(numbers) + 1)}]" for p in parts)
    explained = [f"[{n}] {text}" for text, n in numbers.items()]
    columns = tuple(Column(c.key, "note", "left") if c.key == "explanation" else c for c in COLUMNS)
    claims = [line for c in reproduction.claims for line in _claim_lines(c)]
    return View(rows, columns, title=f"{reproduction.title} ({reproduction.target})",
                notes=[*explained, *claims, *notes(reproduction, legend=legend)])


def _claim_lines(claim: Any) -> list[str]:
    # The claim's own words carry the printed figure; the line adds what was computed and the verdict.
    head = (f"Claim: {claim.row}: {claim.quantity} {number(claim.computed)} ({difference(claim.difference)}), "
            f"{claim.status}.")
    return [head, f"    {claim.explanation}"] if claim.explanation else [head]


def rich(reproduction: Reproduction) -> Any:
    from archcost.render import Fitted

    return Fitted(view(reproduction))
