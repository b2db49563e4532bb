"""A train-mode analysis reads its training memory off its own trace of the step (training/step.py notes every tensor
autograd saves): on every registry network that memory equals :func:`training_memory`'s, which traces the step apart
(training/memory_trace.py, itself checked against a real CPU step in test_memory_saved.py)."""

from __future__ import annotations

import pytest
import torch
from test_flop_counter_train import SLOW

import archcost
from archcost.training.memory import training_memory
from archcost.zoo.registry import get

FIELDS = ("parameter_bytes", "gradient_bytes", "optimizer_state_bytes", "saved_activation_bytes",
          "backward_transient_bytes", "peak_train_bytes")


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n
                                  for n in archcost.list_architectures()])
def test_memory_of_the_analysis_trace_equals_a_separate_trace(name: str) -> None:
    shape = (1, *(getattr(archcost.build(name), "native_input", None) or get(name).input_shape))
    memory = archcost.analyze(name, shape, mode="train", optimizer="adam").provenance["memory"]
    model = archcost.build(name)
    for m in model.modules():  # the analysis counts every stochastic-depth block: so does the reference
        m.__dict__.pop("survival_probability", None)
    reference = training_memory(model, torch.empty(shape, device="meta"), optimizer="adam")
    assert reference.saved_activation_bytes > 0
    assert {f: memory[f] for f in FIELDS} == {f: getattr(reference, f) for f in FIELDS}
    top = list(reference.saved_by_layer.items())[:len(memory["largest_saved_by_layer"])]
    assert list(memory["largest_saved_by_layer"].items()) == top
