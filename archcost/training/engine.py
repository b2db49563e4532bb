"""``analyze(..., mode="train")``: one training step per layer, as an :class:`archcost.result.Analysis`.

The standard columns are the forward's (model in train mode, so batch norm computes its statistics); the training
columns are added beside them: ``grad_input_macs``, ``grad_weight_macs``, ``backward_other_ops``, ``optimizer_ops``
and ``input_grad`` ("skipped" for a layer with parameters whose input needs no gradient, e.g. the first conv).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import torch

from archcost.columns import Mode, Totals, counted, layer_columns
from archcost.counting.aggregate import aggregate, expected_macs, parents, roll_up
from archcost.counting.isolation import model_guard
from archcost.counting.opclass import Backend, Convention, Device, OpClass
from archcost.errors import ArchcostError, ForwardError, Option, UsageError, UserForwardError, first_line, literal
from archcost.inputs import make
from archcost.prepare import Prepared
from archcost.result import Analysis
from archcost.training.memory_totals import memory_of
from archcost.training.memory_trace import SavedTrace
from archcost.training.optimizers import Optimizer
from archcost.training.step import Phase, TrainTrace, trace_step
from archcost.zoo import user_code

_TRAIN_COLUMNS = counted(Mode.TRAIN)  # grad-input, grad-weight, backward other, optimizer (columns.py)
_COLUMNS = layer_columns(Mode.TRAIN)


def check_train(optimizer: str, device: Device) -> Optimizer:
    """The optimizer of a train-mode request, checked with its device before anything is built."""
    try:
        chosen = Optimizer(optimizer)
    except ValueError:
        raise UsageError(f"unknown optimizer {optimizer!r}; choose one of "
                         f"{', '.join(o.value for o in Optimizer)}") from None
    if device not in (Device.META, Device.AUTO):
        raise UsageError("$mode traces the step on meta; drop $device (or use $meta)", Option("mode", "train"),
                         Option("device"), Option("device", "meta", key="meta"))
    return chosen


def train_analysis(prepared: Prepared, *, dtype: str, convention: Convention, optimizer: Optimizer,
                   memory_options: dict[str, Any] | None = None) -> Analysis:
    """Trace one training step of the prepared model on meta; the model is left as it was (mode, grads, hooks).
    A stochastic-depth block runs on meta whatever its survival probability (blocks/resnet.py): the step is counted
    with every block, and the expected cost weighs each declared block by its p (``expected_training_step_macs``)."""
    model, modules, name = prepared.model, prepared.modules, prepared.name
    if not any(p.requires_grad for p in model.parameters()):
        raise UsageError(f"$mode: {literal(name)} has no trainable parameters (all frozen or none)",
                         Option("mode", "train"))
    args, kwargs = make(prepared.examples, device="meta")
    was_training = [m.training for m in modules]
    try:
        with model_guard(modules, device="meta", owned=prepared.learned.owned):
            model.train()
            step = trace_step(model, modules, tuple(args), kwargs, optimizer)
            # Inside the guard: a checkpointed step's memory trace sees the same full step; otherwise the memory
            # is what this step's trace saw.
            memory = memory_of(model, prepared.examples, optimizer=optimizer, dtype=dtype,
                               saved=_saved(step, prepared.names), **(memory_options or {}))
    except ArchcostError:
        raise
    except Exception as error:  # noqa: BLE001  (any failure of the step is one line naming the model)
        raise _step_failed(error, name) from None
    finally:
        for m, flag in zip(modules, was_training):
            m.__dict__["training"] = flag
    analysis = _analysis(prepared, step, dtype, convention, optimizer, memory)
    prepared.learned.record(analysis.provenance)
    return analysis


def _saved(step: TrainTrace, names: list[str]) -> SavedTrace:
    found = step.saved
    return SavedTrace(saved=dict(found.bytes_by_storage), owner={k: names[i] for k, i in found.owner.items()},
                      backward_transient_bytes=found.largest_backward_output_bytes)


def _analysis(prepared: Prepared, step: TrainTrace, dtype: str, convention: Convention, optimizer: Optimizer,
              memory: dict[str, Any]) -> Analysis:
    names, modules, stochastic = prepared.names, prepared.modules, prepared.learned.stochastic
    forward = replace(step.trace, records=[r for r, p in zip(step.trace.records, step.phases)
                                           if p is Phase.FORWARD])
    columns, totals = aggregate(names, modules, forward, convention, stochastic)
    own = _own_training_columns(len(modules), step)
    for key, inclusive in roll_up(own, parents(names)).items():
        columns[key] = inclusive
        columns[f"own_{key}"] = own[key]
    columns["input_grad"] = [_input_grad(m, flag) for m, flag in zip(modules, step.input_needs_grad)]
    columns = {spec.key: columns[spec.key] for spec in _COLUMNS}  # in the declared order
    _training_totals(totals, own, step)
    if stochastic:
        c = columns
        step_macs = [f + gi + gw for f, gi, gw in zip(c["macs"], c["grad_input_macs"], c["grad_weight_macs"])]
        totals["expected_training_step_macs"] = expected_macs(stochastic, step_macs)
    provenance: dict[str, Any] = {
        "inputs": [e.describe() for e in prepared.examples], "mode": "train", "optimizer": optimizer.value,
        "replay": False,  # kept for readers of provenance: no block is copied any more
        "loss": step.loss, "memory": memory,
        "notes": [(f"Training step: forward (train mode), loss = {step.loss}, backward, {optimizer.value} step "
                   "(torch.optim defaults, foreach off; optimizer ops of a steady-state step, its state made).")],
    }
    uncounted = dict(sorted(step.trace.uncounted.items()))
    return Analysis(model=prepared.name, input_shape=prepared.examples[0].shape, dtype=dtype, device="meta",
                    convention=convention, backend=Backend.NATIVE, columns=columns, totals=totals,
                    uncounted_ops=uncounted, records=step.trace.records, torch_version=torch.__version__,
                    provenance=provenance)


def _training_totals(totals: Totals, own: dict[str, list[int]], step: TrainTrace) -> None:
    """The step's totals beside the forward's: its backward split, loss and optimizer ops."""
    backward_macs = sum(own["grad_input_macs"]) + sum(own["grad_weight_macs"])
    loss_ops = sum(t.count for r, p in zip(step.trace.records, step.phases) if p is Phase.LOSS
                   for t in r.terms or () if t.op_class is not OpClass.NONE)
    totals.update({
        "forward_macs": totals["macs"], "backward_macs": backward_macs,
        "grad_input_macs": sum(own["grad_input_macs"]), "grad_weight_macs": sum(own["grad_weight_macs"]),
        "backward_other_ops": sum(own["backward_other_ops"]), "loss_ops": loss_ops,
        "optimizer_ops": sum(own["optimizer_ops"]), "training_step_macs": totals["macs"] + backward_macs,
        "backward_forward_ratio": backward_macs / totals["macs"] if totals["macs"] else None,
        "peak_activation_bytes": step.trace.peak_live_bytes,
    })


def _own_training_columns(count: int, step: TrainTrace) -> dict[str, list[int]]:
    own = {key: [0] * count for key in _TRAIN_COLUMNS}
    for i, (record, phase) in enumerate(zip(step.trace.records, step.phases)):
        m = record.module
        if phase is Phase.OPTIMIZER:
            own["optimizer_ops"][m] += sum(t.count for t in record.terms or () if t.op_class is not OpClass.NONE)
            continue
        if phase is not Phase.BACKWARD:
            continue
        split = step.split_terms.get(i)
        parts = split if split is not None else (((), record.terms or ()) if step.weight_grad[i]
                                                  else (record.terms or (), ()))
        for key, terms in zip(("grad_input_macs", "grad_weight_macs"), parts):
            for t in terms:
                if t.op_class is OpClass.MACS:
                    own[key][m] += t.count
                elif t.op_class is not OpClass.NONE:
                    own["backward_other_ops"][m] += t.count
    return own


def _input_grad(module: torch.nn.Module, needed: bool | None) -> str:
    if needed is None or not any(p.requires_grad for p in module.parameters(recurse=False)):
        return ""
    return "computed" if needed else "skipped"


def _step_failed(error: Exception, name: str) -> ArchcostError:
    """A failed step, worded as inference words a failed forward (analysis.py): the user's own raise is theirs (exit
    1, their file, line and function); a torch error under their code says where they called it (exit 1); any other
    is one line naming the model (exit 2). A meta tensor's missing data is no one's bug, as there."""
    message = first_line(error)
    frame = user_code.user_frame(error) if "meta" not in message.lower() else None
    if frame is not None and user_code.raised_by_user(error):
        return UserForwardError(f"{user_code.where(frame)}: {type(error).__name__}: {message}")
    failed = f"$mode: the training step of {literal(name)} failed: {type(error).__name__}: {literal(message)}"
    if frame is not None:
        return ForwardError(f"{failed} (from {literal(user_code.where(frame))})", Option("mode", "train"))
    return UsageError(failed, Option("mode", "train"))
