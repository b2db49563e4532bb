"""``archcost compare A B ...``: totals side by side and a block-by-block diff. Pure: returns rows; the CLI renders.

Blocks are matched by module name, at the level that makes the comparison meaningful: per branch for single
inception modules (naive vs bottleneck), per stage when a ResNeXt is involved (ResNet vs ResNeXt), per block for the
other residual families (residual vs highway, post- vs pre-activation), per top-level module otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence

from archcost.errors import UsageError
from archcost.render import Column, integer

if TYPE_CHECKING:
    from archcost.analysis import Analysis

SCHEMA = "archcost.compare/1"
LEVELS = ("auto", "branch", "stage", "block", "top")
TOTALS = (("params", "params"), ("macs", "MACs"), ("adds", "adds"), ("muls", "muls"), ("cmps", "cmps"),
          ("exps", "exps"), ("norm", "norm ops"), ("activations", "activations"),
          ("peak_activation_bytes", "peak activation bytes"))
_BRANCH_LABELS = {"branch1": "1x1 branch", "branch2": "3x3 branch", "branch3": "5x5 branch", "branch4": "pool branch"}


@dataclass
class Comparison:
    models: list[str]
    level: str
    totals: list[dict[str, Any]]
    blocks: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "models": self.models, "level": self.level, "unit": "MAC (multiply-accumulate)",
                "totals": self.totals, "blocks": self.blocks}


def _family(name: str) -> str:
    from archcost.zoo.registry import list_architectures, get

    return get(name).family if name in list_architectures() else ""


def _names(analysis: Analysis) -> list[str]:
    return [r["name"] for r in analysis.rows]


def choose_level(names: Sequence[str], analyses: Sequence[Analysis]) -> str:
    if all("inception" in _names(a) for a in analyses):
        return "branch"
    if all("layer1.0" in _names(a) for a in analyses):
        return "stage" if any(_family(n) == "resnext" for n in names) else "block"
    return "top"


def _blocks_of(analysis: Analysis, level: str) -> list[str]:
    rows = analysis.rows
    if level == "branch":
        return [r["name"] for r in rows if r["depth"] >= 1 and r["name"].count(".") == 1
                and r["name"].split(".")[-1].startswith("branch")]
    top = [r["name"] for r in rows if r["depth"] == 1]
    if level == "block":
        # Stages are opened into their blocks; the stem, the final norm and the classifier stay whole.
        return [r["name"] for r in rows if (r["depth"] == 1 and not r["name"].startswith("layer"))
                or (r["depth"] == 2 and r["name"].startswith("layer"))]
    return top


def _label(name: str) -> str:
    leaf = name.rsplit(".", 1)[-1]
    return f"{name} ({_BRANCH_LABELS[leaf]})" if leaf in _BRANCH_LABELS else name


def compare(names: Sequence[str], *, level: str = "auto", input_shape: str | tuple[str, ...] | None = None,
            analyzer: Callable[..., Analysis] | None = None) -> Comparison:
    """Totals and per-block parameters and MACs of several networks (registry names or import paths).
    ``analyzer(name, input_shape)`` replaces :func:`archcost.analyze` (the report passes a cached one)."""
    from archcost.analysis import analyze

    analyzer = analyzer or analyze

    if len(names) < 2:
        raise UsageError("compare needs at least two architectures")
    if level not in LEVELS:
        raise UsageError(f"unknown level {level!r}; choose one of {', '.join(LEVELS)}")
    models = list(names)
    analyses = [analyzer(n, input_shape) for n in models]
    chosen = choose_level(models, analyses) if level == "auto" else level
    keys = [f"m{i}" for i in range(len(models))]  # column keys: the names may repeat or hold odd characters
    totals = []
    for key, label in TOTALS:
        values = [dict(a.totals)[key] for a in analyses]  # a TypedDict read by a key of TOTALS
        totals.append({"quantity": label, **dict(zip(keys, values)), **_diff(values)})
    order: list[str] = []
    for a in analyses:
        for block in _blocks_of(a, chosen):
            if block not in order:
                order.append(block)
    blocks = []
    for block in order:
        found = [_find(a, block) for a in analyses]
        for quantity in ("params", "macs"):
            values = [row[quantity] if row is not None else None for row in found]
            present = [v for v in values if v is not None]
            blocks.append({"block": _label(block), "quantity": "MACs" if quantity == "macs" else "params",
                           "type": " / ".join(dict.fromkeys(row["type"] for row in found if row is not None)),
                           **dict(zip(keys, values)), **(_diff(values) if len(present) == len(values) else {})})
    return Comparison(models, chosen, totals, blocks)


def _find(analysis: Analysis, name: str) -> dict[str, Any] | None:
    for row in analysis.rows:
        if row["name"] == name:
            return row
    return None


def _diff(values: Sequence[Any]) -> dict[str, Any]:
    """The last network against the first: difference and ratio."""
    first, last = values[0], values[-1]
    return {"difference": last - first, "ratio": (last / first) if first else None}


def columns(comparison: Comparison, *, blocks: bool) -> list[Column]:
    """Render specs for :mod:`archcost.render`: the labels (block, quantity), one column per network, then
    difference and ratio. ``drop``: a narrow terminal leaves out the difference first (the widest figures), then
    the ratio, then the block's type; the networks' own figures are essential."""
    first, last = comparison.models[0], comparison.models[-1]
    quantity = Column("quantity", "quantity", "left", label=True)
    head = [Column("block", comparison.level, "left", label=True), Column("type", "type", "left", drop=1),
            quantity] if blocks else [quantity]
    return [*head, *(Column(f"m{i}", name, show=integer) for i, name in enumerate(comparison.models)),
            Column("difference", f"{last} - {first}", show=integer, drop=3),
            Column("ratio", f"{last} / {first}", show=lambda v: "" if v is None else f"{v:.3f}", drop=2)]


def to_markdown_text(comparison: Comparison) -> str:
    from archcost.render import to_markdown

    title = " vs ".join(comparison.models)
    return (to_markdown(comparison.totals, columns(comparison, blocks=False), title=f"{title}: totals")
            + "\n" + to_markdown(comparison.blocks, columns(comparison, blocks=True),
                                 title=f"{title}: per {comparison.level}"))


def csv_rows(comparison: Comparison) -> tuple[list[dict[str, Any]], list[Column]]:
    """One CSV: the totals (section "totals") then the blocks; one column per network, headed by its name."""
    names = {f"m{i}": name for i, name in enumerate(comparison.models)}
    keys = ["section", "block", "type", "quantity", *names.values(), "difference", "ratio"]
    rows = [{"section": section, **{names.get(k, k): v for k, v in row.items()}}
            for section, group in (("totals", comparison.totals), (comparison.level, comparison.blocks))
            for row in group]
    return rows, [Column(k, k) for k in keys]


def to_csv_text(comparison: Comparison) -> str:
    from archcost.render import to_csv

    return to_csv(*csv_rows(comparison))
