"""Published figures as data: parse a figure as printed ("2.7K", "1.8x10^9", "5,978,554", "22.81 MB", "~25%") and
load the data files of :mod:`archcost.published`. Torch-free.

A figure keeps the digits it prints: its precision (the place of its last printed digit) decides whether a computed
value matches it, and its K (1000 or 1024) is a reading, not a fact, so it is kept apart from the digits.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

PUBLISHED_DIR = Path(__file__).resolve().parent.parent / "published"

# Suffixes and words, with their decimal scale and whether a binary (1024-based) reading is plausible.
_SUFFIXES: dict[str, tuple[int, bool]] = {
    "": (1, False), "K": (10**3, True), "M": (10**6, True), "B": (10**9, True), "G": (10**9, True),
    "KB": (10**3, True), "MB": (10**6, True), "GB": (10**9, True),
    "thousand": (10**3, False), "million": (10**6, False), "billion": (10**9, False),
    "%": (1, False), "x": (1, False), "×": (1, False), "times": (1, False),
}
_BINARY_POWER = {"K": 1, "M": 2, "B": 3, "G": 3, "KB": 1, "MB": 2, "GB": 3}
_PATTERN = re.compile(
    r"^\s*(?P<approx>~|≈|about\s+)?(?P<number>\d[\d,]*(?:\.\d+)?)\s*"
    r"(?:(?:x|×)\s*10\^(?P<power>\d+))?\s*(?P<suffix>[A-Za-z%×]*)\s*$"
)


class FigureError(ValueError):
    """A published figure that cannot be read (a data-file error, caught by the tests)."""


@dataclass(frozen=True)
class Figure:
    """A number as printed: its digits, the decimal scale of its suffix, and whether K may mean 1024."""

    text: str
    digits: Decimal  # the printed number without its suffix ("2.7" of "2.7K")
    scale: int  # the decimal scale of the suffix and of any column-header multiplier
    binary_power: int  # k where a binary reading replaces 1000**k by 1024**k; 0 when no such reading exists
    approximate: bool  # printed with "~" or "about"
    tail: str = ""  # what follows the number as printed ("K", " MB", "x10^9"), to write other values the same way
    bound: str = ""  # "<" or ">" for a qualitative figure ("below 1", "above 1"): a direction, not a value

    def value(self, *, base: int = 1000) -> float:
        """The figure read with K = ``base`` (1000 or 1024)."""
        return float(self.digits * self.scale_for(base))

    def scale_for(self, base: int) -> Decimal:
        if base == 1000 or not self.binary_power:
            return Decimal(self.scale)
        return Decimal(self.scale) / Decimal(1000**self.binary_power) * Decimal(base**self.binary_power)

    @property
    def decimals(self) -> int:
        exponent = self.digits.as_tuple().exponent
        return -exponent if isinstance(exponent, int) and exponent < 0 else 0


_PRODUCT = re.compile(r"^\s*\d+(?:\s*x\s*\d+)+\s*$")
_BOUND = re.compile(r"^\s*(?P<side>below|above)\s+(?P<number>\d+(?:\.\d+)?)\s*$")


def parse_figure(text: str, *, multiplier: int = 1) -> Figure:
    """Read a printed figure; ``multiplier`` is a scale printed elsewhere (a column header's "in millions").

    A product of sizes ("28x28x128x1x1x256", a cost written as its formula) is read as its exact value; "below 1" and
    "above 1" are qualitative claims (a direction against a threshold)."""
    if _PRODUCT.match(text):
        product = 1
        for factor in text.split("x"):
            product *= int(factor)
        return Figure(text=text, digits=Decimal(product), scale=multiplier, binary_power=0, approximate=False)
    bound = _BOUND.match(text)
    if bound:
        return Figure(text=text, digits=Decimal(bound["number"]), scale=multiplier, binary_power=0,
                      approximate=False, bound="<" if bound["side"] == "below" else ">")
    match = _PATTERN.match(text)
    if match is None:
        raise FigureError(f"cannot read the published figure {text!r}")
    suffix = match["suffix"]
    if suffix not in _SUFFIXES:
        raise FigureError(f"unknown suffix {suffix!r} in {text!r}")
    scale, binary = _SUFFIXES[suffix]
    if match["power"]:
        scale *= 10 ** int(match["power"])
    return Figure(text=text, digits=Decimal(match["number"].replace(",", "")), scale=scale * multiplier,
                  binary_power=_BINARY_POWER.get(suffix, 0) if binary else 0, approximate=bool(match["approx"]),
                  tail=text[match.end("number"):].rstrip())


@dataclass(frozen=True)
class Source:
    title: str
    arxiv: str
    table: str

    def cite(self) -> str:
        arxiv = f", arXiv:{self.arxiv}" if self.arxiv and self.arxiv != "n/a" else ""
        return f"{self.title}{arxiv}, {self.table}"


@dataclass(frozen=True)
class Published:
    """One row of a data file: one printed figure and where it is printed."""

    target: str
    kind: str  # "row" (a table cell) or "claim" (a sentence of the text)
    row: str
    quantity: str
    published_text: str
    published: float  # the figure as parsed with K = 1000, stored in the file so a reader can check the parse
    unit: str
    multiplier: int
    source: Source

    @property
    def figure(self) -> Figure:
        return parse_figure(self.published_text, multiplier=self.multiplier)


_COLUMNS = ("kind", "row", "quantity", "published_text", "published", "unit", "multiplier", "title", "arxiv",
            "table")


@cache
def load(target: str) -> tuple[Published, ...]:
    """The published figures of ``target`` from ``archcost/published/<target>.csv``, in file order."""
    path = PUBLISHED_DIR / f"{target}.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(line for line in handle if not line.startswith("#"))
        if tuple(reader.fieldnames or ()) != _COLUMNS:
            raise FigureError(f"{path.name}: columns must be {', '.join(_COLUMNS)}")
        return tuple(
            Published(target=target, kind=r["kind"], row=r["row"], quantity=r["quantity"],
                      published_text=r["published_text"], published=float(r["published"]), unit=r["unit"],
                      multiplier=int(r["multiplier"] or 1), source=Source(r["title"], r["arxiv"], r["table"]))
            for r in reader
        )


def lookup(target: str, row: str, quantity: str) -> Published:
    for figure in load(target):
        if figure.row == row and figure.quantity == quantity:
            return figure
    raise KeyError(f"{target}: no published {quantity!r} for row {row!r}")
