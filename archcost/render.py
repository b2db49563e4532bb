"""Rows of records -> rich table / CSV / JSON / Markdown. Pure: returns text or renderables, never prints.

Every command shares these four formats. A command builds an :class:`Output` (its tables as :class:`View`s, its JSON
document, its CSV rows) and :func:`render` turns it into the format asked for; ``cli.output.write`` writes it. This
is the one place the format ladder is written.

Width: a table that fits the terminal is drawn as it is; one that does not follows the layout rule of
archcost/layout.py (labels kept, numbers whole, names never split mid-word, the least important columns left out
first with a note naming them, and one block of lines per row when even the essential columns do not fit). Files
(``--out``) and pipes without COLUMNS render at 200 columns, so their bytes do not depend on the terminal.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Callable, Literal, Sequence

from archcost.layout import cell


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
    drop: int = 0  # importance: > 0 may be left out of a narrow terminal table, highest first; 0 is essential
    # A text column: "fold" wraps at token boundaries, "ellipsis" keeps one line.
    overflow: Literal["fold", "crop", "ellipsis", "ignore"] = "fold"
    max_width: int | None = None  # a terminal table's widest cell (an "ellipsis" column is shortened there)
    label: bool = False  # names its row: never left out (none declared: the first column is the label)


@dataclass(frozen=True)
class View:
    """One table: its rows, columns, title and notes (printed under it), and an optional totals footer."""

    rows: Sequence[dict[str, Any]]
    columns: Sequence[Column]
    title: str | None = None
    notes: Sequence[str] = ()
    footer: dict[str, Any] | None = None
    markdown_title: str | None = None  # when Markdown's title differs from the terminal's (None: the same)
    plain_head: bool = False  # title and notes as plain lines around the table instead of title/caption


@dataclass(frozen=True)
class Output:
    """What a command returns: its tables, its JSON document, and (when a CSV is not the first table) its CSV."""

    views: Sequence[View]
    document: Any = None  # the JSON document (None: the first view's rows)
    csv: View | None = None  # one CSV per output: its rows and columns (None: the first view)
    markdown: str | None = None  # Markdown assembled by a domain module (reproduce), when it is more than tables


def render(output: Output, format: Format) -> Any:
    """``output`` in ``format``: text for csv/json/markdown, a rich renderable for the terminal table."""
    if format is Format.JSON:
        return to_json(output.document if output.document is not None else list(output.views[0].rows))
    if format is Format.CSV:
        view = output.csv or output.views[0]
        return to_csv(view.rows, view.columns)
    if format is Format.MARKDOWN:
        if output.markdown is not None:
            return output.markdown
        return "\n".join(to_markdown(v.rows, v.columns, title=v.markdown_title or v.title, notes=v.notes)
                         for v in output.views)
    from rich.console import Group

    parts = [_terminal(v) for v in output.views]
    return parts[0] if len(parts) == 1 else Group(*parts)


def _terminal(view: View) -> Any:
    if not view.plain_head:
        return Fitted(view)
    from rich.console import Group
    from rich.text import Text

    # Plain lines around the table: a caption would wrap at the width of a narrow table.
    return Group(*([Text(view.title)] if view.title else []), Fitted(View(view.rows, view.columns)),
                 *(Text(n) for n in view.notes))


class Fitted:
    """A rich table that fits the console under archcost/layout.py's rule: drawn as it is when it fits; else the
    least important columns left out and names shortened, never a label dropped or a figure cut; else one block of
    lines per row."""

    def __init__(self, view: View) -> None:
        self.view = view

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from archcost import layout

        view, width = self.view, options.max_width
        natural = layout.table_width([layout.measure(c, view).natural for c in view.columns])
        if natural <= width:
            table = to_rich(view.rows, view.columns, title=view.title, footer=view.footer)
            table.caption = "\n".join(layout.hanging(n, natural) for n in view.notes) or None
            yield table
            return
        chosen = layout.plan(view, width)
        notes = [layout.hanging(n, width) for n in view.notes]
        if chosen is None:
            yield from _blocks(view, width, notes)
            return
        if chosen.dropped:
            notes.append(f"Left out at {width} columns: {', '.join(c.header for c in chosen.dropped)} (a wider "
                         "terminal, --format csv or --format json shows every column).")
        yield from _fitted_table(view, chosen, notes)


def _fitted_table(view: View, chosen: Any, notes: list[str]) -> Any:
    """The planned table; its title and notes as plain lines, wrapped at the terminal's width, not the table's."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from archcost import layout

    if view.title:
        yield Text(view.title)
    table = Table(box=box.SIMPLE_HEAD, show_footer=view.footer is not None)
    shown = list(zip(chosen.columns, chosen.widths, chosen.indent_budgets))
    for c, w, budget in shown:
        footer = layout.fitted_cell(c, cell(c, view.footer), w, budget) if view.footer else ""
        table.add_column(Text(layout.header(c, w)), footer=Text(footer), width=w, no_wrap=True,
                         justify="right" if layout.is_number_column(c) else "left", overflow="crop")
    for row in view.rows:
        table.add_row(*(Text(layout.fitted_cell(c, cell(c, row), w, budget)) for c, w, budget in shown))
    yield table
    yield from (Text(n) for n in notes)


def _blocks(view: View, width: int, notes: list[str]) -> Any:
    """Too narrow for the essential columns: one block of lines per row, every field named."""
    from rich.text import Text

    from archcost import layout

    lines = [view.title, ""] if view.title else []
    for row in [*view.rows, *([view.footer] if view.footer else [])]:
        lines += [*layout.labelled_fields(view, row, width), ""]
    yield Text("\n".join([*lines, *notes]).rstrip("\n"))


def integer(value: Any) -> str:
    return "" if value is None else f"{value:,}"


def percent(value: Any) -> str:
    return "" if value is None else f"{value:.1f}%"


def decimal(value: Any, digits: int = 2) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


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
        lines.append("| " + " | ".join(cell(c, row).replace("|", "\\|") for c in columns) + " |")
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
        number = c.align == "right"  # a figure: never split across lines
        table.add_column(c.header, justify="right" if number else "left", no_wrap=number or c.overflow != "fold",
                         footer=cell(c, footer) if footer is not None else "",
                         overflow="ellipsis" if number else c.overflow, max_width=c.max_width)
    for row in rows:
        table.add_row(*(_capped(c, cell(c, row)) for c in columns))
    return table


def _capped(column: Column, text: str) -> str:
    """A one-line text cell over its column's max_width, cut after a whole word (rich would cut inside one)."""
    if column.max_width is None or column.overflow == "fold" or column.align == "right":
        return text
    from archcost.layout import one_line

    return one_line(text, column.max_width)


def to_json(document: Any) -> str:
    return json.dumps(document, indent=2, default=_raw) + "\n"


def rich_to_text(renderable: Any, *, width: int = 200) -> str:
    """Render a rich object to plain text (for --out FILE with --format table, and for golden tests)."""
    from rich.console import Console

    console = Console(file=io.StringIO(), width=width, color_system=None, force_terminal=False)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]
