"""The one layout rule of every terminal table (table, train table, compare, reproduce, plot tables, --explain, list,
bench, cache): which columns a width keeps, how wide each is, and how a cell shrinks. Pure: plans and strings.

The rule, in the order it is applied when a table's natural width does not fit:

1. Label columns are never left out. Every other column has an importance: ``Column.drop`` > 0 may be left out,
   highest first, and a note names what was left out; ``drop`` 0 is essential.
2. Numbers are never cut or wrapped: a number column is as wide as its widest figure; only its header wraps, at
   spaces.
3. Text wraps at token boundaries only (spaces, and after ``*`` and ``+`` in a formula), never inside a word. A
   word still wider than its column (a layer, type or network name) is shortened in the middle with ``…``, keeping
   its end, which is what tells ``layer4.2.conv3`` from ``layer4.2.conv2``; a figure inside text is never shortened.
   Tree indentation has its own budget: when a label column is short of room its indentation is halved first.
4. Columns are first left out while names still have a comfortable width (``COMFORTABLE`` characters), and only
   then are names shortened to ``TIGHT``; when even the essential columns do not fit, the view changes shape: one
   block of lines per row (``render.Fitted`` draws it), every field labelled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from rich.cells import cell_len

if TYPE_CHECKING:
    from archcost.render import Column, View

COMFORTABLE = 20  # a name this long is shown whole while less important columns can still be left out
TIGHT = 10  # the shortest a name is shortened to: 3 characters of its start, "…", 6 of its end
SENTENCE = 24  # a column of sentences is left this wide while less important columns can be left out
PHRASE = 8  # the shortest a one-line phrase (a paper's title in `list`) is cut to, after a whole word
ELLIPSIS = "…"
# A break is allowed at a space and after a product or sum of a formula; a figure (1,234 / 12.5% / -3) and a path
# (a/b/c) are one piece.
_PIECES = re.compile(r"\s+|[^\s*+]+[*+]?|[*+]")
# A figure, or a shape of figures (1x64x56x56): shown whole, never shortened.
_NUMBER = re.compile(r"^[-+(]?\d[\d,.]*(?:x\d[\d,.]*)*%?[,;.)]*$")
_EDGES = 1  # SIMPLE_HEAD: one edge character per column plus one, and one padding character each side of a cell


def table_width(widths: Sequence[int]) -> int:
    """The width of a SIMPLE_HEAD rich table whose cells are ``widths`` wide."""
    return sum(widths) + 3 * len(widths) + _EDGES


def shorten(word: str, width: int) -> str:
    """``word`` in at most ``width`` cells, shortened in the middle (its end is what tells names apart)."""
    if cell_len(word) <= width:
        return word
    if width <= 1:
        return ELLIPSIS[:width]
    head = (width - 1) // 3
    tail = width - 1 - head
    return word[:head] + ELLIPSIS + word[len(word) - tail:]


def is_number(text: str) -> bool:
    return bool(_NUMBER.match(text.strip()))


def pieces(text: str) -> list[str]:
    """``text`` split where a line may break: the pieces joined give ``text`` back."""
    return _PIECES.findall(text)


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" "))


def wrap(text: str, width: int, *, indent_budget: float = 1.0) -> list[str]:
    """``text`` as lines of at most ``width`` cells, broken at token boundaries only; a word wider than a line is
    shortened in the middle, a figure never (the plan makes every column as wide as its widest figure). Leading
    spaces (a tree's indentation) are kept on the first line, scaled by ``indent_budget``."""
    indent = " " * int(_indent(text) * indent_budget)
    lines: list[str] = []
    line = indent
    for piece in pieces(text.lstrip(" ")):
        if piece.isspace():
            line += " " if line.strip() else ""
            continue
        free = width - cell_len(line)
        if cell_len(piece) <= free:
            line += piece
        elif not line.strip():  # the line's first word: shortened in place (a figure stays whole)
            line += _fit_word(piece, free)
        else:
            lines.append(line.rstrip(" "))
            line = _fit_word(piece, width)
    lines.append(line.rstrip(" "))
    return lines


def _fit_word(word: str, width: int) -> str:
    return word if is_number(word) else shorten(word, max(width, 1))


def one_line(text: str, width: int) -> str:
    """``text`` on one line: a name shortened in the middle, a phrase cut after its last whole word."""
    if cell_len(text) <= width or is_number(text):
        return text
    if " " not in text.strip():
        return _indent_shorten(text, width)
    cut = text[: max(width - 1, 1)].rstrip()
    head = cut.rsplit(" ", 1)[0] if " " in cut.strip() else cut
    return head.rstrip(" ,;:") + ELLIPSIS


def hanging(note: str, width: int) -> str:
    """A note indented under the one before it (a claim's explanation): wrapped at ``width`` with every line at its
    indentation, rather than rich's wrap, which starts the continuation at the margin."""
    indent = _indent(note)
    if not indent or cell_len(note) <= width:
        return note
    return "\n".join(" " * indent + line for line in wrap(note.strip(), max(width - indent, 1)))


def _indent_shorten(text: str, width: int) -> str:
    indent = _indent(text)
    return " " * indent + shorten(text[indent:], max(width - indent, 1))


@dataclass(frozen=True)
class Measure:
    """One column's widths: ``natural`` (nothing shrunk), ``comfortable`` and ``tight`` (the least it may take at
    each step of the rule)."""

    natural: int
    comfortable: int
    tight: int


def cell(column: Column, row: dict[str, Any]) -> str:
    """A value as a table shows it: the column's ``show``, or its text ('' for None)."""
    value = row.get(column.key)
    if column.show is not None:
        return column.show(value)
    return "" if value is None else str(value)


def cells(column: Column, view: View) -> list[str]:
    rows = [*view.rows, *([view.footer] if view.footer else [])]
    return [cell(column, row) for row in rows]


def is_number_column(column: Column) -> bool:
    return column.align == "right"


def measure(column: Column, view: View) -> Measure:
    texts = cells(column, view)
    header_words = [p for p in pieces(column.header) if not p.isspace()]
    natural = max([cell_len(column.header), *map(cell_len, texts)])
    if column.max_width:
        natural = min(natural, max(column.max_width, cell_len(column.header)))
    if column.overflow != "fold" and any(" " in t.strip() for t in texts):  # a one-line phrase: cut after a word
        least = min(natural, max(PHRASE, *(cell_len(w) for w in header_words)))
        return Measure(natural, least, least)
    if is_number_column(column):
        figures = max([0, *map(cell_len, texts)])
        widest_word = max([1, *map(cell_len, header_words)])
        return Measure(natural, max(figures, widest_word), max(figures, min(widest_word, TIGHT)))
    comfortable = _text_least(texts, header_words, COMFORTABLE, 1.0, natural)
    if natural >= 2 * SENTENCE:  # sentences (a formula and its substitution): a line of a few words at least
        comfortable = max(comfortable, SENTENCE)
    if not is_label(column, view):  # only labels are shortened further (a status or a type stays readable)
        return Measure(natural, comfortable, comfortable)
    return Measure(natural, comfortable, _text_least(texts, header_words, TIGHT, 0.5, natural))


def _text_least(texts: list[str], header_words: list[str], name: int, indent_budget: float, natural: int) -> int:
    """The narrowest a text column may be: every figure whole, every word (after its indentation) down to
    ``name`` cells."""
    least = max([1, *(min(cell_len(w), name) for w in header_words)])
    for text in texts:
        indent = int(_indent(text) * indent_budget)
        words = [p for p in pieces(text.lstrip(" ")) if not p.isspace()]
        for i, word in enumerate(words):
            need = cell_len(word) if is_number(word) else min(cell_len(word), name)
            least = max(least, need + (indent if i == 0 else 0))
    return min(least, natural) if natural >= least else least


@dataclass(frozen=True)
class Plan:
    """What a width keeps: the columns shown, each one's width and tree-indent budget (1: as drawn, 0.5: halved, the
    same for every row of a column so the tree stays aligned), and the columns left out."""

    columns: list[Column]
    widths: list[int]
    dropped: list[Column]
    indent_budgets: list[float]


def plan(view: View, width: int) -> Plan | None:
    """The layout of ``view`` at ``width`` under the rule above; None when even its essential columns do not fit (the
    view then changes shape)."""
    measures = {id(c): measure(c, view) for c in view.columns}
    droppable = sorted((c for c in view.columns if c.drop and not is_label(c, view)), key=lambda c: -c.drop)
    for k in range(len(droppable) + 1):  # leave out the least important columns while names are comfortable
        shown = [c for c in view.columns if c not in droppable[:k]]
        if table_width([measures[id(c)].comfortable for c in shown]) <= width:
            return Plan(shown, _spread(shown, measures, "comfortable", width), droppable[:k], [1.0] * len(shown))
    shown = [c for c in view.columns if c not in droppable]  # then shorten names, the essential columns only
    if table_width([measures[id(c)].tight for c in shown]) <= width:
        widths = _spread(shown, measures, "tight", width)
        budgets = [0.5 if w < measures[id(c)].natural else 1.0 for c, w in zip(shown, widths)]
        return Plan(shown, widths, droppable, budgets)
    return None


def _spread(columns: list[Column], measures: dict[int, Measure], tier: str, width: int) -> list[int]:
    """The room left over goes to text columns first, the narrowest first (names whole again, evenly), then to
    one-line phrases (a paper's title), then to number headers (on one line)."""
    widths = [getattr(measures[id(c)], tier) for c in columns]
    natural = [measures[id(c)].natural for c in columns]
    slack = width - table_width(widths)
    for group in ("name", "phrase", "number"):
        while slack > 0:
            short = [i for i, c in enumerate(columns) if _group(c, measures[id(c)]) == group and widths[i] < natural[i]]
            if not short:
                break
            widths[min(short, key=lambda i: widths[i])] += 1
            slack -= 1
    return widths


def _group(column: Column, measure: Measure) -> str:
    if is_number_column(column):
        return "number"
    return "phrase" if column.overflow != "fold" and measure.comfortable == measure.tight else "name"


def is_label(column: Column, view: View) -> bool:
    """A label column names its row: declared with ``label=True``, or the first column when none is declared."""
    if any(c.label for c in view.columns):
        return column.label
    return column is view.columns[0]


def fitted_cell(column: Column, text: str, width: int, indent_budget: float) -> str:
    """A cell within ``width``: a figure as it is (the plan made room), text broken at token boundaries."""
    if is_number_column(column):
        return text
    if column.overflow != "fold":
        return one_line(text, width)
    return "\n".join(wrap(text, width, indent_budget=indent_budget))


def header(column: Column, width: int) -> str:
    return "\n".join(wrap(column.header, width))


def labelled_fields(view: View, row: dict[str, Any], width: int) -> list[str]:
    """One row as a block of lines, for a width too narrow for its essential columns: its labels on the first line
    (a tree's indentation kept, up to a quarter of the width), then ``header: value`` fields packed onto lines
    indented under it, never a figure cut."""
    labels = [c for c in view.columns if is_label(c, view)]
    texts = [cell(c, row) for c in labels if cell(c, row).strip()]
    indent = " " * min(_indent(texts[0]) if texts else 0, width // 4)
    lines = wrap(indent + " · ".join(t.strip() for t in texts), width) if texts else []
    pad = indent + "  "
    fields = [f"{c.header}: {cell(c, row)}" for c in view.columns if c not in labels and cell(c, row).strip()]
    line = ""
    for field in fields:
        if line and cell_len(pad + line) + 3 + cell_len(field) <= width:
            line += "   " + field
            continue
        if line:
            lines.append(_hang(pad, line, width))
        line = field
    if line:
        lines.append(_hang(pad, line, width))
    return lines


def _hang(pad: str, line: str, width: int) -> str:
    """A line of fields under its label; one wider than the terminal (a long text field) wrapped, its
    continuation indented further."""
    if cell_len(pad + line) <= width:
        return pad + line
    wrapped = wrap(line, max(width - len(pad) - 2, 1))
    return "\n".join([pad + wrapped[0], *(pad + "  " + w for w in wrapped[1:])])
