"""Memory figures are a function of the ops and shapes, not of the device: meta and CPU agree on ``memory_bytes``
and ``peak_activation_bytes`` for every recurrent variant the MAC rules cover (counting/fast_paths.py runs torch's
unfused decomposition on both)."""

from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import archcost

_KINDS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn_tanh": nn.RNN, "rnn_relu": nn.RNN}


class _Recurrent(nn.Module):
    def __init__(self, kind: str, layers: int, bidirectional: bool, batch_first: bool, proj: int) -> None:
        super().__init__()
        extra = {"proj_size": proj} if kind == "lstm" and proj else {}
        if kind.startswith("rnn"):
            extra["nonlinearity"] = kind.split("_")[1]
        self.rnn = _KINDS[kind](6, 8, num_layers=layers, bidirectional=bidirectional, batch_first=batch_first,
                                **extra)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.rnn(x)[0]


def _memory(model: nn.Module, shape: tuple[int, ...], device: str) -> tuple[int, int]:
    totals = archcost.analyze(model, shape, device=device).totals
    return totals["memory_bytes"], totals["peak_activation_bytes"]


@settings(max_examples=12, deadline=None)
@given(kind=st.sampled_from(sorted(_KINDS)), layers=st.integers(1, 2), bidirectional=st.booleans(),
       batch_first=st.booleans(), proj=st.sampled_from([0, 3]), steps=st.integers(1, 4))
def test_recurrent_memory_is_the_same_on_meta_and_cpu(kind, layers, bidirectional, batch_first, proj, steps):
    model = _Recurrent(kind, layers, bidirectional, batch_first, proj)
    shape = (steps, 6)  # one sequence per batch element; the batch is archcost's
    meta, cpu = _memory(model, shape, "meta"), _memory(model, shape, "cpu")
    assert meta == cpu
    assert meta[0] > 0 and meta[1] > 0
