"""``archcost table ARCH --mode train``: one training step per layer (forward, backward split, optimizer ops).

The figures come from :func:`archcost.analyze` with ``mode="train"``; this file only lays them out. Torch is
imported when the command runs, never for ``--help``.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from archcost.cli.options import Dtype
from archcost.cli.output import write
from archcost.render import Column, Format, Output, View, integer
from archcost.training.optimizers import Optimizer


class Mode(StrEnum):
    INFERENCE = "inference"
    TRAIN = "train"


# The train-mode options of ``archcost table``, defined once.
ModeOption = Annotated[Mode, typer.Option(help="inference: one forward pass; train: one training step (forward, "
                                          "loss, backward, optimizer step) on meta.")]
OptimizerOption = Annotated[Optimizer, typer.Option(help="The optimizer step of --mode train.")]
MasterDtypeOption = Annotated[Optional[Dtype], typer.Option(help="--mode train, mixed precision: float32 master "
                                                            "weights and optimizer state beside --dtype weights.",
                                                            case_sensitive=False)]
CheckpointOption = Annotated[Optional[list[str]], typer.Option(help="--mode train: recompute this block (a module "
                                                               "name, e.g. layer1) in the backward instead of "
                                                               "keeping its activations; repeatable.")]


# drop: left out of a narrow terminal in this order (other backward ops first, then the type), never the layer
# name or the counts.
_COLUMNS = [
    Column("layer", "layer", "left", label=True),
    Column("type", "type", "left", drop=2),
    Column("params", "params", show=integer),
    Column("macs", "forward MACs", show=integer),
    Column("grad_input_macs", "grad-input MACs", show=integer),
    Column("grad_weight_macs", "grad-weight MACs", show=integer),
    Column("input_grad", "input grad", "left", drop=3),
    Column("backward_other_ops", "backward other", show=integer, drop=1),
    Column("optimizer_ops", "optimizer ops", show=integer),
]


def train_table(arch: str, inputs: Any, *, batch: int | None, optimizer: str, convention: str, dtype: str,
                depth: int | None, format: Format, out: Path | None, overrides: dict[str, Any],
                master_dtype: str | None = None, checkpoint: list[str] | None = None) -> None:
    from archcost.analysis import analyze

    analysis = analyze(arch, inputs, batch=batch, convention=convention, dtype=dtype, mode="train",
                       optimizer=optimizer, master_dtype=master_dtype, checkpoint=tuple(checkpoint or ()),
                       **overrides)
    write(_output(analysis, depth, format), format, out)


def _output(analysis: Any, depth: int | None, format: Format) -> Output:
    """Depth 2 by default in a terminal and in Markdown; every layer in CSV; the whole document in JSON."""
    document = analysis.to_dict()
    if depth is not None:
        document["layers"] = [r for r in document["layers"] if r["depth"] <= depth]
    shown_depth = depth if depth is not None else (2 if format in (Format.TABLE, Format.MARKDOWN) else None)
    rows = [dict(r, layer="  " * r["depth"] + (r["name"].rpartition(".")[2] if r["name"] else analysis.model))
            for r in analysis.rows if shown_depth is None or r["depth"] <= shown_depth]
    title = (f"{analysis.model} — one training step, input {'x'.join(map(str, analysis.input_shape))}, "
             f"{analysis.dtype}, optimizer {analysis.provenance['optimizer']}")
    t = analysis.totals
    footer = {"layer": "total", "params": t["params"], "macs": t["forward_macs"],
              "grad_input_macs": t["grad_input_macs"], "grad_weight_macs": t["grad_weight_macs"],
              "backward_other_ops": t["backward_other_ops"], "optimizer_ops": t["optimizer_ops"]}
    view = View(rows, _COLUMNS, title=title, notes=train_notes(analysis), footer=footer)
    csv = View(rows, [Column(k, k) for k in rows[0] if k != "layer"])
    return Output([view], document=document, csv=csv)


def train_notes(analysis: Any) -> list[str]:
    t = analysis.totals
    memory = analysis.provenance["memory"]
    ratio = t["backward_forward_ratio"]
    notes = [
        (f"Forward {t['forward_macs']:,} MACs; backward {t['backward_macs']:,} MACs (grad-input "
        f"{t['grad_input_macs']:,}, grad-weight {t['grad_weight_macs']:,}); backward/forward "
        f"{'n/a' if ratio is None else f'{ratio:.3f}'}; training step {t['training_step_macs']:,} MACs "
        f"(FLOPs = 2 x MACs)."),
        (f"Optimizer {analysis.provenance['optimizer']}: {t['optimizer_ops']:,} ops; loss {t['loss_ops']:,} ops; "
        f"backward non-MAC ops {t['backward_other_ops']:,}. 'skipped': the layer's input needs no gradient, so "
        f"its grad-input is not computed."),
        "Memory: " + ", ".join(f"{k} {_bytes(v)}" for k, v in memory.items()
                               if k.endswith("_bytes") and not isinstance(v, dict)) + ".",
        *_memory_detail(memory),
    ]
    notes.extend(analysis.provenance.get("notes", []))
    uncounted = analysis.uncounted_ops
    notes.append("Uncounted ops: " + (", ".join(f"aten.{k} x{v}" for k, v in uncounted.items()) if uncounted
                                      else "none (every op has a rule)."))
    return notes


def _memory_detail(memory: dict[str, Any]) -> list[str]:
    """The layers holding the most saved activations, and what each checkpointed block keeps and recomputes."""
    largest = ", ".join(f"{name or '(loss)'} {nbytes:,}" for name, nbytes in memory["largest_saved_by_layer"].items())
    lines = [f"Saved for the backward, largest layers (bytes): {largest or 'none'}."]
    precision = memory["dtype"] + (f" with {memory['master_dtype']} master weights" if memory["master_dtype"] else "")
    lines.append(f"Memory dtype: {precision}.")
    kept, recomputed = memory["checkpoint_kept_bytes"], memory["recomputed_macs"]
    for block in sorted(set(kept) | set(recomputed)):
        lines.append(f"Checkpointed {block}: keeps {kept.get(block, 0):,} bytes of inputs of its own (inputs saved "
                     f"elsewhere are not counted twice), recomputes {recomputed.get(block, 0):,} forward MACs in "
                     "the backward.")
    return lines


def _bytes(value: int | None) -> str:
    return "n/a (not computed here)" if value is None else f"{value:,}"
