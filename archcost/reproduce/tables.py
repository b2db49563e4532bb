"""A reproduction as text: Markdown and CSV for files and the report, rich tables for the terminal. Pure: returns
text or renderables, never prints."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from archcost.render import Column, to_csv, to_markdown, to_rich
from archcost.reproduce.core import Reproduction
from archcost.reproduce.status import STATUSES


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


COLUMNS = (
    Column("row", "row", "left"),
    Column("quantity", "quantity", "left"),
    Column("published_text", "printed"),
    Column("published", "published", show=number),
    Column("computed", "computed", show=number),
    Column("difference", "difference", show=difference),
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


def notes(reproduction: Reproduction) -> list[str]:
    return [
        f"Source: {'; '.join(reproduction.sources)}.",
        f"Status: {summary(reproduction)}. 'matches': exactly the printed figure; 'rounding': equal once rounded to "
        "the printed precision; 'truncated': equal once cut (not rounded) there; 'disagrees': neither. "
        "Papers' FLOPs/ops/multiply-adds are MACs "
        "(multiply-accumulates); MACs are counted on the meta device in the 'paper' convention.",
    ]


def markdown(reproduction: Reproduction, *, heading: str = "##") -> str:
    lines = [f"{heading} {reproduction.title} (`{reproduction.target}`)", ""]
    table = to_markdown([asdict(r) for r in reproduction.rows], COLUMNS).rstrip("\n")
    lines += [table, ""]
    if reproduction.claims:
        lines += ["Claims:", "", to_markdown([asdict(c) for c in reproduction.claims], COLUMNS).rstrip("\n"), ""]
    lines += [*notes(reproduction), ""]
    return "\n".join(lines)


def csv(reproduction: Reproduction) -> str:
    return to_csv(_records(reproduction), CSV_COLUMNS)


def csv_many(reproductions: list[Reproduction]) -> str:
    records = [{"target": r.target, **x} for r in reproductions for x in _records(r)]
    return to_csv(records, (Column("target", "target"), *CSV_COLUMNS))


def rich(reproduction: Reproduction) -> Any:
    rows = [*reproduction.rows, *({**asdict(c), "row": f"claim: {c.row}"} for c in reproduction.claims)]
    shown = [asdict(r) if not isinstance(r, dict) else r for r in rows]
    return to_rich(shown, COLUMNS, title=f"{reproduction.title} ({reproduction.target})",
                   caption="\n".join(notes(reproduction)))
