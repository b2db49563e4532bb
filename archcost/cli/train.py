"""``archcost table ARCH --mode train``: its options, its column set and its notes (forward, backward split,
optimizer ops). The figures come from :func:`archcost.analyze` with ``mode="train"``; cli/table.py lays them out
in the one per-layer view. Torch is imported when the command runs, never for ``--help``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from archcost.cli.options import Dtype
from archcost.render import Column, integer
from archcost.training.optimizers import Optimizer

if TYPE_CHECKING:
    from archcost.result import Analysis


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
TRAIN_COLUMNS = [
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


def train_notes(analysis: Analysis) -> list[str]:
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
