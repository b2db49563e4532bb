"""``archcost table``'s other layouts of one analysis: ``--explain LAYER``, ``--style paper``, ``--style keras``.
Each returns a render.Output; table.py writes it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from archcost.render import Column, Output, View, integer

if TYPE_CHECKING:
    from archcost.result import Analysis


def explain(analysis: Analysis, layer: str) -> Output:
    """Every op of ``layer`` with its formula and the dimensions substituted, one row per op class term."""
    ops = analysis.explain(layer)
    rows = []
    for op in ops:
        terms = op["terms"]
        if terms is None:
            rows.append({**op, "shapes": ", ".join(op["shapes"]), "class": "UNCOUNTED", "explanation": "no rule"})
            continue
        for term in terms or [{"class": "none", "explanation": "moves data only", "count": 0, "in_convention": False}]:
            rows.append({"module": op["module"], "op": op["op"], "shapes": ", ".join(op["shapes"]),
                         "class": term["class"], "explanation": term["explanation"],
                         "counted": "yes" if term["in_convention"] else ""})
    # drop: a narrow terminal leaves out the shapes first (the formula substitutes them), then the class and
    # whether the convention counts it; the module, the op and the formula are the view.
    columns = [Column("module", "module", "left", label=True), Column("op", "aten op", "left", label=True),
               Column("shapes", "argument shapes", "left", drop=3), Column("class", "class", "left", drop=1),
               Column("explanation", "formula = dimensions = count", "left"),
               Column("counted", f"in '{analysis.convention.value}'", "left", drop=2)]
    document = {"schema": "archcost.explain/1", "model": analysis.model, "layer": layer,
                "convention": analysis.convention.value, "ops": ops}
    return Output([View(rows, columns, title=f"{analysis.model} — {layer or 'whole model'}: every op, by hand",
                        markdown_title=f"{analysis.model}: {layer}")], document=document)


KERAS_COLUMNS = (Column("layer", "Layer (type)", "left"), Column("output_shape", "Output Shape", "left"),
                 Column("params", "Param #", show=integer))


def keras(analysis: Analysis) -> Output:
    """Keras's ``model.summary()``: one row per Keras layer (archcost.reproduction.keras names them), then the totals
    with their float32 sizes as Keras prints them."""
    from archcost.reproduction.keras import readable_size, summary_rows, summary_totals

    rows = [{**r, "layer": f"{r['name']} ({r['type']})"} for r in summary_rows(analysis)]
    totals = summary_totals(analysis)
    lines = [f"{label}: {value:,} ({readable_size(value)})" for label, value in totals]
    figures = dict(zip(("total_params", "trainable_params", "non_trainable_params"), (v for _, v in totals), strict=True))
    document = {"schema": "archcost.keras/1", "model": analysis.model, **figures,
                "layers": [{k: r.get(k) for k in ("name", "type", "output_shape", "params", "module")} for r in rows]}
    csv_rows = [{"quantity": k, "value": v} for k, v in figures.items()]  # the CSV keeps its totals-only contract
    return Output([View(rows, KERAS_COLUMNS, title=f'Model: "{analysis.model}"', notes=lines)], document=document,
                  csv=View(csv_rows, [Column("quantity", "quantity"), Column("value", "value")]))


def paper(analysis: Analysis) -> Output:
    from archcost.errors import UsageError
    from archcost.reproduction.googlenet import PAPER_STYLE_COLUMNS, paper_style_rows

    if not any(r["type"] == "Inception" for r in analysis.rows):
        raise UsageError(f"--style paper lays out GoogLeNet-family networks as the paper's Table 1; "
                         f"{analysis.model} has no inception modules")
    rows = paper_style_rows(analysis)
    document = {"schema": "archcost.paper-table/1", "model": analysis.model, "convention": analysis.convention.value,
                "rows": [{k: v for k, v in r.items() if k != "modules"} for r in rows]}
    return Output([View(rows, PAPER_STYLE_COLUMNS, title=f"{analysis.model} as the paper's Table 1, every figure "
                        f"computed (ops: '{analysis.convention.value}' convention)",
                        markdown_title=f"{analysis.model} as Table 1 (computed)")], document=document)
