"""Hypothesis strategy for the calibration suite: small random networks that each run in milliseconds.

``networks()`` draws a spatial network (1-d, 2-d or 3-d: convolutions of every kind, norms, pools, activations,
upsampling, residual adds, concatenation, repeated, shared and aliased blocks, a linear head) or a sequence network
(linear, layer norm, ``nn.MultiheadAttention``, ``F.scaled_dot_product_attention``, a transformer encoder layer,
LSTM/GRU/RNN, residual adds, concatenation, shared and aliased blocks). Every candidate layer is run once on meta at
the current shape and kept only when torch accepts it and its output stays small, so torch itself decides what is
valid and each example stays tiny.

``exclude`` drops layer kinds (names in ``KINDS``) from what is drawn: the calibration tests use it to hold back the
kinds a property is known to fail on until the fix is merged (see ``test_calibration.PENDING``).
"""

from __future__ import annotations

import math
from typing import Any, Callable

import torch
from hypothesis import strategies as st

from netspec import ACTIVATIONS, Layer, NetSpec, build_layer

# Drawable kinds: a layer's kind, refined for convolutions, norms, pools, attention and recurrent cells, so that a
# property can be held back for exactly the kind that breaks it.
KINDS = frozenset({
    "conv", "conv-transposed", "conv-padded", "norm-batch", "norm-instance", "norm-group", "norm-layer",
    "pool-max", "pool-avg", "pool-adaptive_avg", "pool-adaptive_max", "upsample", "linear",
    "mha", "sdpa", "encoder", "rnn-lstm", "rnn-gru", "rnn-rnn", "residual", "concat", "repeat", "shared", "alias",
    "steered", *(f"act-{name}" for name in ACTIVATIONS),
})

_MAX_ELEMENTS = 2048  # per activation: every example runs in milliseconds on CPU
Shape = tuple[int, ...]


def _output_shape(layer: Layer, shape: Shape) -> Shape | None:
    """What ``layer`` returns for a meta input of ``shape``, or None when torch refuses it or it grows too big."""
    try:
        with torch.device("meta"):
            module = build_layer(layer)
        module.eval()
        with torch.no_grad():
            out = module(torch.zeros(shape, device="meta"))
    except (RuntimeError, ValueError, AssertionError, TypeError, IndexError, ZeroDivisionError):
        return None
    result = tuple(out.shape)
    if not result or min(result) < 1 or math.prod(result) > _MAX_ELEMENTS:
        return None
    return result


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def _allowed(layer: Layer, exclude: frozenset[str]) -> bool:
    if layer.refined_kind in exclude:
        return False
    return all(_allowed(row, exclude) for branch in layer.branches for row in branch)


@st.composite
def _conv(draw: Any, shape: Shape, *, same: bool = False) -> Layer:
    dim, c = len(shape) - 2, shape[1]
    k = draw(st.sampled_from([1, 3]) if same else st.integers(1, 3))
    groups = draw(st.sampled_from(_divisors(c)))
    depthwise = groups == c
    cout = c if same else groups * draw(st.integers(1, 3 if depthwise else max(1, 8 // groups)))
    transposed = not same and draw(st.integers(0, 2)) == 0
    s = 1 if same else draw(st.integers(1, 2))
    d = 1 if same else draw(st.integers(1, 2))
    p = (k - 1) // 2 if same else draw(st.integers(0, d * (k - 1) // 2 + (0 if transposed else 1)))
    args: dict[str, Any] = dict(dim=dim, cin=c, cout=cout, k=k, s=s, p=p, d=d, g=groups, bias=draw(st.booleans()))
    if transposed:
        args.update(transposed=True, op=draw(st.integers(0, max(s, d) - 1)))
    elif p and draw(st.integers(0, 3)) == 0:
        args["mode"] = draw(st.sampled_from(["reflect", "replicate", "circular"]))
    return Layer("conv", tuple(args.items()))


@st.composite
def _norm(draw: Any, shape: Shape) -> Layer:
    dim, c = len(shape) - 2, shape[1]
    kind = draw(st.sampled_from(["batch", "instance", "group", "layer"]))
    args: dict[str, Any] = dict(dim=dim, c=c, norm=kind, affine=draw(st.booleans()))
    if kind in ("batch", "instance"):
        args["track"] = draw(st.booleans())
    elif kind == "group":
        args["groups"] = draw(st.sampled_from(_divisors(c)))
    else:
        args.update(shape=tuple(shape[draw(st.integers(1, len(shape) - 1)):]), bias=draw(st.booleans()))
    return Layer("norm", tuple(args.items()))


@st.composite
def _pool(draw: Any, shape: Shape) -> Layer:
    dim = len(shape) - 2
    kind = draw(st.sampled_from(["max", "avg", "adaptive_avg", "adaptive_max"]))
    if kind.startswith("adaptive"):
        out = draw(st.integers(1, max(1, min(shape[2:]))))
        return Layer("pool", (("dim", dim), ("pool", kind), ("out", out)))
    k = draw(st.integers(1, 3))
    args: dict[str, Any] = dict(dim=dim, pool=kind, k=k, s=draw(st.integers(1, k)), p=draw(st.integers(0, k // 2)),
                                ceil=draw(st.booleans()))
    if kind == "avg":
        args["include_pad"] = draw(st.booleans())
    return Layer("pool", tuple(args.items()))


@st.composite
def _upsample(draw: Any, shape: Shape) -> Layer:
    dim = len(shape) - 2
    smooth = ("linear", "bilinear", "trilinear")[dim - 1]
    modes = ["nearest", "nearest-exact", smooth] + (["bicubic"] if dim == 2 else [])
    mode = draw(st.sampled_from(modes))
    align = draw(st.booleans()) if mode not in ("nearest", "nearest-exact") else None
    return Layer("upsample", (("scale", 2), ("mode", mode), ("align", align)))


def _act(draw: Any) -> Layer:
    return Layer("act", (("fn", draw(st.sampled_from(ACTIVATIONS))),))


@st.composite
def _spatial_simple(draw: Any, shape: Shape, same: bool = False) -> Layer:
    """One spatial layer; ``same``: one that keeps the shape (for residual, repeated and shared bodies)."""
    if same:
        choice = draw(st.sampled_from(["conv", "norm", "act"]))
    else:
        choice = draw(st.sampled_from(["conv", "conv", "conv", "norm", "pool", "act", "upsample"]))
    if choice == "conv":
        return draw(_conv(shape, same=same))
    if choice == "norm":
        return draw(_norm(shape))
    if choice == "pool":
        return draw(_pool(shape))
    if choice == "upsample":
        return draw(_upsample(shape))
    return _act(draw)


@st.composite
def _linear(draw: Any, shape: Shape, same: bool = False) -> Layer:
    fin = shape[-1]
    fout = fin if same else draw(st.sampled_from([2, 4, 6, 8]))
    return Layer("linear", (("fin", fin), ("fout", fout), ("bias", draw(st.booleans()))))


@st.composite
def _sequence_simple(draw: Any, shape: Shape, same: bool = False) -> Layer:
    e = shape[-1]
    heads = draw(st.sampled_from(_divisors(e)))
    choice = draw(st.sampled_from(["linear", "layernorm", "act", "mha", "sdpa", "encoder", "rnn"]))
    if choice == "linear":
        return draw(_linear(shape, same))
    if choice == "layernorm":
        return Layer("norm", (("dim", 1), ("c", e), ("norm", "layer"), ("affine", draw(st.booleans())),
                              ("shape", (e,)), ("bias", draw(st.booleans()))))
    if choice == "act":
        return _act(draw)
    if choice == "mha":
        return Layer("mha", (("e", e), ("heads", heads), ("bias", draw(st.booleans())),
                             ("batch_first", draw(st.booleans())), ("bias_kv", draw(st.booleans())),
                             ("need_weights", draw(st.booleans()))))
    if choice == "sdpa":
        return Layer("sdpa", (("e", e), ("heads", heads), ("causal", draw(st.booleans())),
                              ("project", draw(st.booleans()))))
    if choice == "encoder":
        return Layer("encoder", (("e", e), ("heads", heads), ("ff", draw(st.sampled_from([4, 8]))),
                                 ("norm_first", draw(st.booleans()))))
    bidirectional = draw(st.booleans())
    hidden = e // 2 if same and bidirectional and e % 2 == 0 else e if same else draw(st.integers(2, 6))
    if same and bidirectional and e % 2:
        bidirectional = False
    return Layer("rnn", (("cell", draw(st.sampled_from(["lstm", "gru", "rnn"]))), ("e", e), ("hidden", hidden),
                         ("layers", draw(st.integers(1, 2))), ("bias", draw(st.booleans())),
                         ("batch_first", draw(st.booleans())), ("bidirectional", bidirectional)))


@st.composite
def _body(draw: Any, shape: Shape, simple: Callable[..., Any], exclude: frozenset[str]) -> tuple[Layer, ...]:
    """One to three shape-keeping layers."""
    rows = []
    for _ in range(draw(st.integers(1, 3))):
        layer = draw(simple(shape, same=True))
        if _allowed(layer, exclude) and _output_shape(layer, shape) == shape:
            rows.append(layer)
    return tuple(rows)


@st.composite
def _composite(draw: Any, shape: Shape, simple: Callable[..., Any], exclude: frozenset[str]) -> Layer | None:
    kind = draw(st.sampled_from(["residual", "concat", "repeat", "shared", "alias", "steered"]))
    if kind == "concat":
        branches = tuple(draw(_body(shape, simple, exclude)) for _ in range(draw(st.integers(2, 3))))
        return Layer("concat", (("dim", 1 if simple is _spatial_simple else -1),), branches)
    body = draw(_body(shape, simple, exclude))
    if not body:
        return None
    if kind == "residual":
        return Layer("residual", (), (body,))
    if kind == "alias":
        return Layer("alias", (("both", draw(st.booleans())),), (body,))
    return Layer(kind, (("times", draw(st.integers(2, 3))),), (body,))


@st.composite
def networks(draw: Any, exclude: frozenset[str] = frozenset()) -> NetSpec:
    """A small random network and the input it takes (batch 1 or 2)."""
    n = draw(st.integers(1, 2))
    spatial = draw(st.integers(0, 2)) > 0  # convolutions come in the most kinds
    if spatial:
        dim = draw(st.integers(1, 3))
        size = draw(st.integers(3, (12, 8, 5)[dim - 1]))
        shape: Shape = (n, draw(st.integers(1, 6)), *[size] * dim)
        simple: Callable[..., Any] = _spatial_simple
    else:
        shape = (n, draw(st.integers(1, 5)), draw(st.sampled_from([2, 4, 6, 8])))
        simple = _sequence_simple
    input_shape, layers = shape, []
    for _ in range(draw(st.integers(1, 5))):
        layer = draw(_composite(shape, simple, exclude)) if draw(st.integers(0, 2)) == 0 else draw(simple(shape))
        if layer is None or not _allowed(layer, exclude):
            continue
        out = _output_shape(layer, shape)
        if out is not None:
            layers.append(layer)
            shape = out
    if spatial and draw(st.booleans()):  # a classifier head
        layers.append(Layer("flatten"))
        shape = (shape[0], math.prod(shape[1:]))
        head = draw(_linear(shape))
        if _allowed(head, exclude):
            layers.append(head)
    if not layers:
        layers.append(draw(_linear(shape)) if not spatial else Layer("flatten"))
    return NetSpec(input_shape, tuple(layers), eval_mode=draw(st.booleans()))
