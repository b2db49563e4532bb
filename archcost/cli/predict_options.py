"""``archcost table --predict [PROFILE]``: the option, its checks, its two columns, its --explain view and its
warnings (issue 24). Kept apart from table.py so the table command changes by a few lines."""

from __future__ import annotations

import contextlib
import sys
import warnings
from typing import Annotated, Any, Iterator, Optional

import typer

from archcost.render import Column, Output, View, decimal, integer

def bare_predict(argv: list[str]) -> list[str]:
    """``--predict`` with no value (last, or before another option) means ``--predict cpu``: typer's parser has no
    option with an optional value, so the command line gets it here, before parsing."""
    out = []
    for i, arg in enumerate(argv):
        out.append(arg)
        if arg == "--":
            return out + argv[i + 1:]
        if arg == "--predict" and (i + 1 == len(argv) or argv[i + 1].startswith("-")):
            out.append("cpu")
    return out


PredictOption = Annotated[Optional[str], typer.Option(
    "--predict", metavar="[PROFILE]",
    help="Predict each layer's latency (inference): cpu (this machine's saved profile, measured first if none), "
         "h100, h200, a100, l4, t4 (datasheet figures, default efficiencies) or a profile file from archcost "
         "profile. Adds the 'predicted ms' and 'bound' columns.")]


def check_predict(predict: str | None, train: bool) -> None:
    from archcost.errors import UsageError

    if predict is not None and train:
        raise UsageError("--predict predicts inference latency only; drop --mode train")


def predicted_columns(columns: list[Column], predict: str | None) -> list[Column]:
    """``columns`` with 'predicted ms' and 'bound' after '% MACs' when predicting."""
    if predict is None:
        return columns
    at = next(i for i, c in enumerate(columns) if c.key == "macs_percent") + 1
    return [*columns[:at], Column("predicted_ms", "predicted ms", show=lambda v: decimal(v, 3)),
            Column("bound", "bound", "left"), *columns[at:]]


TERM_COLUMNS = [Column("module", "module", "left"), Column("op", "aten op", "left"), Column("kind", "kind", "left"),
                Column("macs", "MACs", show=integer), Column("bytes", "bytes", show=integer),
                Column("overhead_us", "overhead us", show=lambda v: decimal(v, 1)),
                Column("compute_us", "compute us", show=lambda v: decimal(v, 1)),
                Column("memory_us", "memory us", show=lambda v: decimal(v, 1)),
                Column("allocation_us", "new pages us", show=lambda v: decimal(v, 1)),
                Column("predicted_us", "predicted us", show=lambda v: decimal(v, 1)),
                Column("bound", "bound", "left")]


def with_prediction_terms(output: Output, analysis: Any, layer: str, predict: str | None) -> Output:
    """The --explain output plus, when predicting, a view of each op's prediction terms (and them in the JSON)."""
    if predict is None:
        return output
    from archcost.predict.attach import resolve
    from archcost.predict.explain import op_terms

    document, _, _ = resolve(predict, dtype=analysis.dtype, threads=analysis.provenance["device_profile"]["threads"])
    rows = op_terms(analysis, layer, document["model"])
    row = analysis.layer(layer)
    note = (f"Layer {layer or analysis.model}: {row['predicted_ms']:.4f} ms predicted = compute "
            f"{row['predicted_compute_ms']:.4f} + memory {row['predicted_memory_ms']:.4f} + overhead "
            f"{row['predicted_overhead_ms']:.4f} (module calls included); bound: {row['bound']}. Per op: overhead "
            "+ max(compute, memory) + new pages.")
    view = View(rows, TERM_COLUMNS, title=f"{analysis.model} — {layer or 'whole model'}: predicted latency terms",
                notes=[note, *[n for n in analysis.provenance.get("notes", []) if n.startswith("Predicted")]])
    document = dict(output.document or {}, prediction={"layer": {k: row[k] for k in (
        "predicted_ms", "predicted_compute_ms", "predicted_memory_ms", "predicted_overhead_ms", "bound")},
        "ops": rows, "device_profile": analysis.provenance["device_profile"]})
    return Output([*output.views, view], document=document, csv=output.csv)


@contextlib.contextmanager
def profile_warnings() -> Iterator[None]:
    """A profile measured otherwise than this run (archcost.predict.profile.ProfileWarning): one line on stderr."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for warning in caught:
        if type(warning.message).__name__ == "ProfileWarning":
            sys.stderr.write(f"archcost: warning: {warning.message}\n")
        else:
            warnings.showwarning(warning.message, warning.category, warning.filename, warning.lineno)
