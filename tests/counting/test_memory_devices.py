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


_ATTENTION_SCRIPT = """
import sys
import torch
from torch import nn
from torch.nn import functional as F
import archcost


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(32, 4, 64, batch_first=True)
        self.attention = nn.MultiheadAttention(32, 4, batch_first=True)
        self.project = nn.Linear(32, 32)

    def forward(self, x):
        x = self.layer(x)
        q = self.project(x).view(x.shape[0], -1, 4, 8).transpose(1, 2)
        causal = F.scaled_dot_product_attention(q, q, q, is_causal=True).transpose(1, 2).reshape(x.shape)
        return self.attention(x, x, x)[0] + causal


for device in sys.argv[1:]:
    totals = archcost.analyze(Attention(), (10, 32), device=device).totals
    print(device, totals["memory_bytes"], totals["peak_activation_bytes"])
"""


def _fresh_process(tmp_path, *devices: str) -> dict[str, tuple[int, int]]:
    """Each device's (memory_bytes, peak) from one new interpreter that analyses in the given order."""
    import os
    import subprocess
    import sys

    script = tmp_path / "attention.py"
    script.write_text(_ATTENTION_SCRIPT)
    env = {**os.environ, "ARCHCOST_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, str(script), *devices], capture_output=True, text=True, check=True,
                          cwd=tmp_path, env=env, timeout=600)
    rows = [line.split() for line in done.stdout.splitlines()]
    return {device: (int(memory), int(peak)) for device, memory, peak in rows}


def test_attention_peak_does_not_depend_on_what_ran_before(tmp_path):
    meta_first = _fresh_process(tmp_path, "meta", "cpu")
    cpu_first = _fresh_process(tmp_path, "cpu", "meta")
    assert meta_first == cpu_first
    assert meta_first["meta"] == meta_first["cpu"]


class _Embeddings(nn.Module):
    def __init__(self, mode: str) -> None:
        super().__init__()
        self.embedding = nn.Embedding(50, 8)
        self.bag = nn.EmbeddingBag(50, 8, mode=mode)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.embedding(tokens).sum(1) + self.bag(tokens)


@settings(max_examples=8, deadline=None)
@given(mode=st.sampled_from(["sum", "mean", "max"]), batch=st.integers(1, 3), length=st.integers(1, 5))
def test_embedding_memory_is_the_same_on_meta_and_cpu(mode, batch, length):
    tokens = torch.randint(0, 50, (batch, length))
    meta, cpu = (archcost.analyze(_Embeddings(mode), [tokens], device=d).totals for d in ("meta", "cpu"))
    assert (meta["memory_bytes"], meta["peak_activation_bytes"]) == (cpu["memory_bytes"], cpu["peak_activation_bytes"])


def test_a_cpu_recurrent_trace_says_what_it_turned_off_and_restores_it() -> None:
    from archcost.counting.fast_paths import RNN_FUSED

    before = torch._C._get_mkldnn_enabled(), torch._C._get_cudnn_enabled()
    analysis = archcost.analyze(_Recurrent("lstm", 1, False, True, 0), (3, 6), device="cpu")
    assert RNN_FUSED in analysis.provenance["fast_paths"]
    assert (torch._C._get_mkldnn_enabled(), torch._C._get_cudnn_enabled()) == before
    meta = archcost.analyze(_Recurrent("lstm", 1, False, True, 0), (3, 6))
    assert "fast_paths" not in meta.provenance  # nothing is fused on meta
