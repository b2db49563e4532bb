"""``archcost table ARCH --explain LAYER --predict P``: each op of the layer with its prediction terms. Torch-free."""

from __future__ import annotations

from typing import Any

from archcost.predict.kinds import allocates, classify, macs_of, work_of
from archcost.predict.model import predict_op


def op_terms(analysis: Any, layer: str, model: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per op of ``layer`` (and its children): kind, the features its efficiency is read at, MACs, bytes,
    and the overhead, compute and memory terms in microseconds with the bound that decides the op."""
    row = analysis.layer(layer)
    prefix = row["name"] + "."
    names = analysis.columns["name"]
    rows = []
    for record in analysis.records or ():
        owner = names[record.module]
        if row["name"] and owner != row["name"] and not owner.startswith(prefix):
            continue
        kind = classify(record.op, record.shapes, record.terms, int(model.get("threads") or 1))
        macs, nbytes = macs_of(record.terms), record.bytes_in + record.bytes_out
        op = predict_op(kind, work_of(kind, record.terms), nbytes, model, record.bytes_out if allocates(record.op, kind) else 0)
        rows.append({"module": owner or analysis.model, "op": f"aten.{record.op}", "kind": kind.kind,
                     "channels": kind.channels or None, "positions": kind.positions or None, "macs": macs,
                     "bytes": nbytes, "overhead_us": 1e6 * op.overhead_s, "compute_us": 1e6 * op.compute_s,
                     "memory_us": 1e6 * op.memory_s, "allocation_us": 1e6 * op.allocation_s, "predicted_us": 1e6 * op.seconds, "bound": op.bound})
    return rows
