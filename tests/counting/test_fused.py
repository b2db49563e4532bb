"""Fused kernels: the same network gives the same figures on meta and CPU in every op class, and each fused
kernel's rule gives exactly the terms of the unfused path that meta runs (also for the CUDA kernels this machine
cannot run: their rules are called with the arguments torch would pass)."""

from __future__ import annotations

from collections import Counter
from math import prod

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import archcost
from archcost.counting import fused
from archcost.counting.fast_paths import MHA_FAST_PATH, SDPA_FUSED
from archcost.counting.opclass import ARITHMETIC_CLASSES
from archcost.counting.rules import RULES

CLASSES = tuple(c.value for c in ARITHMETIC_CLASSES)


def per_class(a: archcost.Analysis) -> dict[str, int]:
    return {c: a.totals[c] for c in CLASSES}


def terms_per_class(terms) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for t in terms:
        counts[t.op_class.value] += t.count
    return {c: counts[c] for c in CLASSES}


class SelfAttention(nn.Module):
    def __init__(self, *, batch_first: bool, mask: bool = False, need_weights: bool = True, length: int = 5) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(16, 4, batch_first=batch_first)
        self.need_weights = need_weights
        self.register_buffer("mask", torch.zeros(2, length, dtype=torch.bool) if mask else None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.attn(x, x, x, key_padding_mask=self.mask, need_weights=self.need_weights)[0]


class Attention(nn.Module):
    """F.scaled_dot_product_attention of the input with key/value buffers."""

    def __init__(self, key: tuple[int, ...], value: tuple[int, ...], *, mask: tuple[int, ...] | None = None,
                 bool_mask: bool = False, causal: bool = False, gqa: bool = False) -> None:
        super().__init__()
        self.register_buffer("k", torch.zeros(key))
        self.register_buffer("v", torch.zeros(value))
        dtype = torch.bool if bool_mask else torch.float32
        self.register_buffer("m", torch.ones(mask, dtype=dtype) if mask else None)
        self.causal, self.gqa = causal, gqa

    def forward(self, q: torch.Tensor) -> torch.Tensor:
        return F.scaled_dot_product_attention(q, self.k, self.v, attn_mask=self.m, is_causal=self.causal,
                                              enable_gqa=self.gqa)


class Recurrent(nn.Module):
    def __init__(self, cls: type[nn.RNNBase], **settings) -> None:
        super().__init__()
        self.rnn = cls(16, 8, **settings)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.rnn(x)[0]


# (id, builder, input shape)
MODULES = [
    ("mha-batch-first", lambda: SelfAttention(batch_first=True), (2, 5, 16)),
    ("mha-batch-first-no-weights", lambda: SelfAttention(batch_first=True, need_weights=False), (2, 5, 16)),
    ("mha-batch-first-padding-mask", lambda: SelfAttention(batch_first=True, mask=True), (2, 5, 16)),
    ("mha-padding-mask-no-weights", lambda: SelfAttention(batch_first=True, mask=True, need_weights=False),
     (2, 5, 16)),
    ("mha-seq-first", lambda: SelfAttention(batch_first=False), (5, 2, 16)),
    ("mha-seq-first-padding-mask", lambda: SelfAttention(batch_first=False, mask=True), (5, 2, 16)),
    ("encoder-layer", lambda: nn.TransformerEncoderLayer(16, 4, 32, batch_first=True), (2, 5, 16)),
    ("encoder-layer-norm-first", lambda: nn.TransformerEncoderLayer(16, 4, 32, batch_first=True, norm_first=True),
     (2, 5, 16)),
    ("encoder-layer-gelu-seq-first", lambda: nn.TransformerEncoderLayer(16, 4, 32, activation="gelu"), (5, 2, 16)),
    ("encoder", lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 4, 32, batch_first=True), 2,
                                              enable_nested_tensor=False), (2, 5, 16)),
    ("encoder-norm-first", lambda: nn.TransformerEncoder(
        nn.TransformerEncoderLayer(16, 4, 32, batch_first=True, norm_first=True), 2, enable_nested_tensor=False),
     (2, 5, 16)),
    ("sdpa", lambda: Attention((2, 4, 7, 16), (2, 4, 7, 8)), (2, 4, 5, 16)),
    ("sdpa-causal", lambda: Attention((2, 4, 7, 16), (2, 4, 7, 8), causal=True), (2, 4, 5, 16)),
    ("sdpa-float-mask", lambda: Attention((2, 4, 7, 16), (2, 4, 7, 8), mask=(5, 7)), (2, 4, 5, 16)),
    ("sdpa-bool-mask", lambda: Attention((2, 4, 7, 16), (2, 4, 7, 8), mask=(2, 1, 5, 7), bool_mask=True),
     (2, 4, 5, 16)),
    ("sdpa-gqa", lambda: Attention((2, 2, 7, 16), (2, 2, 7, 8), gqa=True), (2, 4, 5, 16)),
    ("lstm", lambda: Recurrent(nn.LSTM), (5, 2, 16)),
    ("lstm-2-layers-bidirectional", lambda: Recurrent(nn.LSTM, num_layers=2, bidirectional=True), (5, 2, 16)),
    ("lstm-batch-first-no-bias", lambda: Recurrent(nn.LSTM, batch_first=True, bias=False), (2, 5, 16)),
    ("lstm-proj", lambda: Recurrent(nn.LSTM, num_layers=2, proj_size=4), (5, 2, 16)),
    ("gru-2-layers-bidirectional", lambda: Recurrent(nn.GRU, num_layers=2, bidirectional=True), (5, 2, 16)),
    ("gru-batch-first", lambda: Recurrent(nn.GRU, batch_first=True), (2, 5, 16)),
    ("rnn-tanh", lambda: Recurrent(nn.RNN, num_layers=2), (5, 2, 16)),
    ("rnn-relu-bidirectional", lambda: Recurrent(nn.RNN, nonlinearity="relu", bidirectional=True), (5, 2, 16)),
]


@pytest.mark.parametrize("build, shape", [m[1:] for m in MODULES], ids=[m[0] for m in MODULES])
def test_meta_and_cpu_agree_in_every_op_class(build, shape: tuple[int, ...]) -> None:
    with torch.device("meta"):
        on_meta_model = build()
    on_meta = archcost.analyze(on_meta_model, torch.zeros(shape), device="meta", convention="full")
    on_cpu = archcost.analyze(build(), torch.zeros(shape), device="cpu", convention="full")
    assert on_meta.uncounted_ops == {} and on_cpu.uncounted_ops == {}
    assert per_class(on_cpu) == per_class(on_meta)
    assert on_meta.totals["macs"] > 0
    # paper = FlopCounterMode / 2 (it has formulas for mm, bmm and every SDPA backend)
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        on_meta_model.eval()(torch.zeros(shape, device="meta"))
    assert on_meta.totals["macs"] == counter.get_total_flops() // 2


@pytest.mark.parametrize("cls, gates", [(nn.LSTM, 4), (nn.GRU, 3), (nn.RNN, 1)])
@pytest.mark.parametrize("layers, bidirectional", [(1, False), (2, False), (2, True)])
def test_recurrent_macs_equal_the_hand_formula_on_meta_and_cpu(cls, gates: int, layers: int,
                                                               bidirectional: bool) -> None:
    steps, batch, features, hidden = 5, 3, 16, 8
    directions = 2 if bidirectional else 1
    # per layer, direction and step: G*H*(I + H), with I = the layer's input size
    sizes = [features] + [hidden * directions] * (layers - 1)
    expected = sum(steps * batch * directions * gates * hidden * (size + hidden) for size in sizes)
    for device in ("meta", "cpu"):
        with torch.device(device):
            model = Recurrent(cls, num_layers=layers, bidirectional=bidirectional)
        a = archcost.analyze(model, torch.zeros(steps, batch, features), device=device)
        assert a.totals["macs"] == expected, device


def test_the_trace_records_the_fast_paths_it_turned_off_and_restores_them() -> None:
    before = torch.backends.mha.get_fastpath_enabled(), torch.backends.cuda.flash_sdp_enabled()
    a = archcost.analyze(SelfAttention(batch_first=True), (5, 16), batch=2, device="cpu")
    assert a.provenance["fast_paths"] == [MHA_FAST_PATH, SDPA_FUSED]
    assert any("fast paths were turned off" in n for n in a.provenance["notes"])
    assert (torch.backends.mha.get_fastpath_enabled(), torch.backends.cuda.flash_sdp_enabled()) == before
    with torch.device("meta"):
        model = SelfAttention(batch_first=True)
    assert "fast_paths" not in archcost.analyze(model, (5, 16), batch=2).provenance  # nothing is fused on meta


# --- each fused rule against the unfused path on meta ---------------------------------------------------------------

def _meta(*shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return torch.empty(shape, device="meta", dtype=dtype)


@st.composite
def attention_shapes(draw: st.DrawFn) -> dict:
    batch, kv_heads, groups = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.sampled_from([1, 1, 2, 3]))
    length, source = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    embed, embed_v = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    mask = draw(st.sampled_from(["none", "float", "bool", "causal"]))
    mask_shape = draw(st.sampled_from([(length, source), (batch, 1, length, source),
                                       (batch, kv_heads * groups, length, source)]))
    return dict(q=(batch, kv_heads * groups, length, embed), k=(batch, kv_heads, source, embed),
                v=(batch, kv_heads, source, embed_v), mask=mask, mask_shape=mask_shape, gqa=groups > 1)


def _math_path(s: dict) -> dict[str, int]:
    model = Attention(s["k"], s["v"], mask=s["mask_shape"] if s["mask"] in ("float", "bool") else None,
                      bool_mask=s["mask"] == "bool", causal=s["mask"] == "causal", gqa=s["gqa"]).to("meta")
    return per_class(archcost.analyze(model, torch.zeros(s["q"]), convention="full"))


@settings(max_examples=40, deadline=None)
@given(attention_shapes())
def test_every_sdpa_backend_rule_gives_the_math_path_terms(s: dict) -> None:
    expected = _math_path(s)
    q, k, v = _meta(*s["q"]), _meta(*s["k"]), _meta(*s["v"])
    causal = s["mask"] == "causal"
    # Backends receive a float mask: scaled_dot_product_attention turns a boolean one into 0/-inf first (a select
    # per mask element, counted as its own op before the kernel).
    mask = _meta(*s["mask_shape"]) if s["mask"] in ("float", "bool") else None
    select = prod(s["mask_shape"]) if s["mask"] == "bool" else 0
    blhe = [t.transpose(1, 2) for t in (q, k, v)]
    calls = {
        "_scaled_dot_product_flash_attention_for_cpu": ((q, k, v, 0.0, causal), {"attn_mask": mask}),
        "_scaled_dot_product_efficient_attention": ((q, k, v, mask, False, 0.0, causal), {}),
        "_scaled_dot_product_cudnn_attention": ((q, k, v, mask, False, 0.0, causal, False), {}),
        "_scaled_dot_product_fused_attention_overrideable": ((q, k, v, mask, 0.0, causal, False), {}),
        "_efficient_attention_forward": ((*blhe, mask, None, None, None, None, 0.0, 1 if causal else 0), {}),
    }
    if mask is None:
        calls["_scaled_dot_product_flash_attention"] = ((q, k, v, 0.0, causal, False), {})
        calls["_flash_attention_forward"] = ((*blhe, None, None, 0, 0, 0.0, causal, False), {})
    for name, (args, kwargs) in calls.items():
        got = terms_per_class(RULES[name](args, kwargs, None))
        got["cmps"] += select
        assert got == expected, name
    # and the formula on its own: pure shapes
    direct = terms_per_class(fused.attention(s["q"], s["k"], s["v"], mask=s["mask_shape"] if mask is not None
                                             else None, mask_is_bool=s["mask"] == "bool", causal=causal))
    assert direct == expected


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(["lstm", "gru", "rnn_tanh", "rnn_relu"]), st.integers(1, 2), st.booleans(), st.booleans(),
       st.integers(1, 4), st.integers(1, 3), st.integers(1, 5), st.integers(1, 5), st.integers(0, 3))
def test_cudnn_and_miopen_rules_give_the_unfused_terms(mode: str, layers: int, bidirectional: bool, bias: bool,
                                                       steps: int, batch: int, features: int, hidden: int,
                                                       proj: int) -> None:
    proj = proj if mode == "lstm" and proj < hidden else 0
    cls = {"lstm": nn.LSTM, "gru": nn.GRU}.get(mode, nn.RNN)
    extra = {"nonlinearity": mode[4:]} if cls is nn.RNN else ({"proj_size": proj} if proj else {})
    with torch.device("meta"):
        model = Recurrent.__new__(Recurrent)
        nn.Module.__init__(model)
        model.rnn = cls(features, hidden, num_layers=layers, bidirectional=bidirectional, bias=bias, **extra)
    expected = per_class(archcost.analyze(model, torch.zeros(steps, batch, features), convention="full"))
    x, weights = _meta(steps, batch, features), list(model.rnn._flat_weights)
    stride = len(weights) // (layers * (2 if bidirectional else 1))
    code = {"rnn_relu": 0, "rnn_tanh": 1, "lstm": 2, "gru": 3}[mode]
    cudnn = (x, weights, stride, None, None, None, code, hidden, proj, layers, False, 0.0, False, bidirectional,
             [], None)
    assert terms_per_class(RULES["_cudnn_rnn"](cudnn, {}, None)) == expected
    if not proj:
        miopen = (x, weights, stride, None, None, code, hidden, layers, False, 0.0, False, bidirectional, [], None)
        assert terms_per_class(RULES["miopen_rnn"](miopen, {}, None)) == expected
    if layers == 1 and not bidirectional and not proj:
        # oneDNN runs one layer and direction per call
        w = weights + [None] * (4 - len(weights))
        layer = (x, *w[:4], None, None, False, [], code, hidden, 1, bias, False, False, False)
        assert terms_per_class(RULES["mkldnn_rnn_layer"](layer, {}, None)) == expected


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("mode", ["lstm", "gru"])
def test_fused_cells_plus_their_matmuls_give_the_unfused_terms(mode: str, bias: bool) -> None:
    """CUDA without cuDNN: gates = x @ W_ih^T and h @ W_hh^T as mm, then one fused pointwise cell per step."""
    features, hidden, batch = 6, 4, 3
    cls = nn.LSTM if mode == "lstm" else nn.GRU
    with torch.device("meta"):
        model = Recurrent.__new__(Recurrent)
        nn.Module.__init__(model)
        model.rnn = cls(features, hidden, bias=bias)
    expected = per_class(archcost.analyze(model, torch.zeros(1, batch, features), convention="full"))
    gates = (4 if mode == "lstm" else 3) * hidden
    state = _meta(batch, hidden)
    cell = (_meta(batch, gates), _meta(batch, gates), state, _meta(gates) if bias else None,
            _meta(gates) if bias else None)
    got = terms_per_class(RULES[f"_thnn_fused_{mode}_cell"](cell, {}, None))
    got["macs"] += batch * gates * (features + hidden)  # the two mm calls, counted by the mm rule
    assert got == expected
