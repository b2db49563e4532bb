"""What ``archcost.analyze`` returns: per-layer figures as columns, totals, and the op records behind them.

Torch-free, so a result read back from the disk cache (``archcost/cache.py``) renders without importing torch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from archcost import __version__, argtypes
from archcost.columns import LAYER_COLUMNS, SHAPE_COLUMNS, Totals
from archcost.counting.conventions import DESCRIPTIONS, counts_in
from archcost.counting.opclass import Backend, Convention
from archcost.errors import UsageError
from archcost.shapes import format_shape

if TYPE_CHECKING:
    import pandas as pd

    from archcost.counting.tracer import OpRecord

SCHEMA = "archcost.analysis/1"


def rows_from_columns(columns: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """One dict per module, zipped from the columns (no Python loop over the keys)."""
    keys = tuple(columns)
    return [dict(zip(keys, values)) for values in zip(*columns.values())]


@dataclass
class Analysis:
    """Per-layer cost of one forward pass. ``layers`` rows are modules in definition order; figures are inclusive of
    children, ``own_*`` columns are not (so every ``own_*`` column sums to its total)."""

    model: str
    input_shape: tuple[int, ...]
    dtype: str
    device: str
    convention: Convention
    backend: Backend
    columns: dict[str, list[Any]] = field(repr=False)  # one list per declared column (columns.py), modules in order
    totals: Totals
    uncounted_ops: dict[str, int]
    records: list[OpRecord] | None = field(repr=False)  # None: loaded from the result cache, which keeps no ops
    cross_check: dict[str, Any] | None = None
    torch_version: str = ""
    # How the figures were obtained, beyond the request: build path, published configuration, where the input came
    # from, a device fallback. JSON-able; its "notes" list holds one sentence each for the human-readable outputs.
    provenance: dict[str, Any] = field(default_factory=dict)
    _rows: list[dict[str, Any]] | None = field(default=None, repr=False, compare=False)

    @property
    def rows(self) -> list[dict[str, Any]]:
        """One dict per module. Made from ``columns`` on first use: a caller that reads only the totals (a zoo-wide
        comparison, a chart) never pays for thousands of dicts."""
        if self._rows is None:
            self._rows = rows_from_columns(self.columns)
        return self._rows

    def add_columns(self, **columns: list[Any]) -> None:
        """Add per-layer columns after the present ones (what an analysis learns later: ``predict/attach.py``), one
        value per row in row order. The rows made before are dropped, so ``rows``, ``layer`` and ``to_dict`` show
        the new columns. Refuses, before adding any, a column that is not declared in ``archcost/columns.py``, is
        already there, or has not one value per row."""
        count = len(self.columns["name"])
        declared = {c.key for c in LAYER_COLUMNS}
        for key, values in columns.items():
            if key not in declared:
                raise UsageError(f"{key!r} is not a declared layer column (archcost/columns.py)")
            if key in self.columns:
                raise UsageError(f"{self.model} already has a {key!r} column")
            if len(values) != count:
                raise UsageError(f"column {key!r} has {len(values)} values for {count} layers of {self.model}")
        self.columns.update({key: list(values) for key, values in columns.items()})
        self._rows = None

    @property
    def layers(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.rows)

    def layer(self, name: str) -> dict[str, Any]:
        argtypes.text(name, "name", accepts="a layer's name, a string such as 'layer1.0.conv1' ('' for the model)")
        for row in self.rows:
            if row["name"] == name:
                return row
        from difflib import get_close_matches

        close = get_close_matches(name, [r["name"] for r in self.rows], n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UsageError(f"{self.model} has no layer {name!r}{hint}")

    def explain(self, name: str) -> list[dict[str, Any]]:
        """Every op of layer ``name`` (and its children) with its formula and the real dimensions substituted."""
        if self.records is None:
            raise UsageError("this analysis was read from the result cache, which keeps no op records; "
                             "analyse again to explain a layer")
        row = self.layer(name)
        prefix = row["name"] + "."
        owners = {i for i, r in enumerate(self.rows) if r["name"] == row["name"] or r["name"].startswith(prefix)
                  or row["name"] == ""}
        ops = []
        for record in self.records:
            if record.module not in owners:
                continue
            terms = record.terms
            ops.append({
                "module": self.rows[record.module]["name"] or self.model,
                "op": f"aten.{record.op}",
                "shapes": [format_shape(s) for s in record.shapes],
                "terms": None if terms is None else [
                    {"class": t.op_class.value, "count": t.count, "explanation": t.explain(),
                     "in_convention": counts_in(self.convention, record.op, t)} for t in terms
                ],
            })
        return ops

    def copy(self) -> Analysis:
        """An independent copy: rows and totals can be changed without touching the original (op records, which
        nothing changes, are shared)."""
        rows = None if self._rows is None else [dict(r) for r in self._rows]
        return replace(self, columns={k: list(v) for k, v in self.columns.items()}, _rows=rows,
                       totals=self.totals.copy(),
                       uncounted_ops=dict(self.uncounted_ops),
                       cross_check=None if self.cross_check is None else dict(self.cross_check),
                       provenance=json.loads(json.dumps(self.provenance)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "archcost_version": __version__,
            "torch_version": self.torch_version,
            "model": self.model,
            "input_shape": list(self.input_shape),
            "dtype": self.dtype,
            "device": self.device,
            "convention": self.convention.value,
            "convention_description": DESCRIPTIONS[self.convention],
            "unit": "MAC (one multiply-accumulate); flops = 2 * macs",
            "backend": self.backend.value,
            "totals": self.totals,
            "uncounted_ops": self.uncounted_ops,
            "cross_check": self.cross_check,
            "provenance": self.provenance,
            **({"memory": self.provenance["memory"]} if "memory" in self.provenance else {}),  # --mode train
            "layers": [{**r, **{k: _listed(r[k]) for k in SHAPE_COLUMNS}} for r in self.rows],
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, document: dict[str, Any]) -> Analysis:
        """The analysis a ``to_dict()`` document describes, without its op records (``explain`` needs a new run)."""
        if document.get("schema") != SCHEMA:
            raise ValueError(f"not an {SCHEMA} document")
        layers = document["layers"]
        keys = tuple(layers[0]) if layers else ()
        columns = {k: [_tupled(r[k]) if k in SHAPE_COLUMNS else r[k] for r in layers] for k in keys}
        return cls(model=document["model"], input_shape=tuple(document["input_shape"]), dtype=document["dtype"],
                   device=document["device"], convention=Convention(document["convention"]),
                   backend=Backend(document["backend"]), columns=columns, totals=document["totals"],
                   uncounted_ops=document["uncounted_ops"], records=None, cross_check=document["cross_check"],
                   torch_version=document["torch_version"], provenance=document.get("provenance", {}))


def _listed(shape: tuple[int, ...] | None) -> list[int] | None:
    return None if shape is None else list(shape)


def _tupled(shape: list[int] | None) -> tuple[int, ...] | None:
    return None if shape is None else tuple(shape)
