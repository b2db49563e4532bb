"""Rows of records -> rich table / CSV / JSON / Markdown. Pure: returns text or renderables, never prints.

Every command shares these four formats; a command hands over its rows as a list of dicts and column specs.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Callable, Sequence


class Format(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"
    MARKDOWN = "markdown"


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    align: str = "right"  # "left" for names and types
    show: Callable[[Any], str] | None = None  # how a value reads in a table; CSV and JSON keep the raw value


def integer(value: Any) -> str:
    return "" if value is None else f"{value:,}"


def percent(value: Any) -> str:
    return "" if value is None else f"{value:.1f}%"


def decimal(value: Any, digits: int = 2) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


def _cell(column: Column, row: dict[str, Any]) -> str:
    value = row.get(column.key)
    if column.show is not None:
        return column.show(value)
    return "" if value is None else str(value)


def _raw(value: Any) -> Any:
    if isinstance(value, tuple):
        return "x".join(map(str, value))
    return value


def to_csv(rows: Sequence[dict[str, Any]], columns: Sequence[Column]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([c.key for c in columns])
    for row in rows:
        writer.writerow([_raw(row.get(c.key)) for c in columns])
    return buffer.getvalue()


def to_markdown(rows: Sequence[dict[str, Any]], columns: Sequence[Column], *, title: str | None = None,
                notes: Sequence[str] = ()) -> str:
    lines = [f"### {title}", ""] if title else []
    lines.append("| " + " | ".join(c.header for c in columns) + " |")
    lines.append("|" + "|".join("---:" if c.align == "right" else ":---" for c in columns) + "|")
    for row in rows:
        lines.append("| " + " | ".join(_cell(c, row).replace("|", "\\|") for c in columns) + " |")
    if notes:
        lines.append("")
        lines.extend(notes)
    return "\n".join(lines) + "\n"


def to_rich(rows: Sequence[dict[str, Any]], columns: Sequence[Column], *, title: str | None = None,
            caption: str | None = None, footer: dict[str, Any] | None = None) -> Any:
    from rich import box
    from rich.table import Table

    table = Table(title=title, caption=caption, box=box.SIMPLE_HEAD, show_footer=footer is not None,
                  caption_justify="left", title_justify="left")
    for c in columns:
        table.add_column(c.header, justify="right" if c.align == "right" else "left",
                         footer=_cell(c, footer) if footer is not None else "", overflow="fold")
    for row in rows:
        table.add_row(*(_cell(c, row) for c in columns))
    return table


def to_json(document: Any) -> str:
    return json.dumps(document, indent=2, default=_raw) + "\n"


def rich_to_text(renderable: Any, *, width: int = 200) -> str:
    """Render a rich object to plain text (for --out FILE with --format table, and for golden tests)."""
    from rich.console import Console

    console = Console(file=io.StringIO(), width=width, color_system=None, force_terminal=False)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]
