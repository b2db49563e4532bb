"""Pure formulas for torch's fused kernels: attention and recurrent layers. Torch-free, like formulas.py.

A fused kernel (flash attention, oneDNN's LSTM, cuDNN's RNN) does in one call what the unfused path does in many
ops, and which one runs depends on the device: meta always runs the unfused path. Each formula here gives, class by
class, exactly the terms the unfused path's ops would get from the rules, so a network costs the same on every
device. tests/counting/test_fused_formulas.py checks each against the unfused path traced on meta.
"""

from __future__ import annotations

from math import prod
from typing import Sequence

from archcost.counting.formulas import Shape, Term, broadcast_shape
from archcost.counting.opclass import OpClass


def _term(op_class: OpClass, count: int, formula: str, **values: int) -> Term:
    return Term(op_class, count, formula, tuple(values.items()))


def attention(query: Shape, key: Shape, value: Shape, *, mask: Shape | None = None, mask_is_bool: bool = False,
              causal: bool = False) -> tuple[Term, ...]:
    """Scaled dot-product attention as its math path computes it, shapes (..., L, E), (..., S, E), (..., S, Ev).

    q and k are each scaled by sqrt(scale) (one multiplication per element; grouped-query attention repeats k to
    q's heads first), scores = q @ k^T (L*S*E MACs per batch), a mask added (one addition per score; a boolean mask
    is first turned into 0/-inf by a select per mask element; ``causal`` builds an L x S mask the same way), a
    softmax (one transcendental per score, as the softmax rule counts), out = scores @ v (L*S*Ev MACs per batch).
    """
    *q_batch, length, embed = query
    source, embed_v = key[-2], value[-1]
    groups = query[-3] // key[-3] if len(query) >= 3 and len(key) >= 3 and query[-3] != key[-3] else 1
    k_batch = list(key[:-2])
    if groups > 1:
        k_batch[-1] *= groups
    batch = prod(broadcast_shape(q_batch, k_batch))
    scores_shape = (*broadcast_shape(q_batch, k_batch), length, source)
    scores = batch * length * source
    k_numel = prod(k_batch) * source * embed
    terms = [
        _term(OpClass.MULS, prod(query) + k_numel, "numel(q)+numel(k)", **{"numel(q)": prod(query),
                                                                         "numel(k)": k_numel}),
        _term(OpClass.MACS, scores * (embed + embed_v), "B*L*S*(E+Ev)", B=batch, L=length, S=source, E=embed,
              Ev=embed_v),
        _term(OpClass.EXPS, scores, "B*L*S", B=batch, L=length, S=source),
    ]
    if causal:
        mask, mask_is_bool = (length, source), True
    if mask is not None:
        masked = prod(broadcast_shape(scores_shape, mask))
        terms.append(_term(OpClass.ADDS, masked, "numel(scores)", **{"numel(scores)": masked}))
        if mask_is_bool:
            terms.append(_term(OpClass.CMPS, prod(mask), "numel(mask)", **{"numel(mask)": prod(mask)}))
    return tuple(terms)


# Per token (time step x batch element) and direction: the gates' MACs and the pointwise ops of one cell, as
# torch's unfused cells in aten/src/ATen/native/RNN.cpp compute them.
#   LSTM: gates = W_ih x + b_ih + W_hh h + b_hh (4H each); i, f, o = sigmoid, g = tanh; c' = f*c + i*g;
#         h' = o * tanh(c'); with proj_size P, h' = W_hr h' (P*H MACs).
#   GRU:  r, z = sigmoid(ih + hh); n = tanh(ih_n + r * hh_n); h' = (h - n) * z + n.
#   RNN:  h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (relu for nonlinearity="relu").
_GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}
_POINTWISE = {  # (adds, muls, exps, cmps) per hidden unit, biases excluded
    "lstm": (5, 3, 5, 0),
    "gru": (5, 2, 3, 0),
    "rnn_tanh": (1, 0, 1, 0),
    "rnn_relu": (1, 0, 0, 1),
}


def recurrent_cell(mode: str, *, tokens: int, hidden: int, biases: bool) -> tuple[Term, ...]:
    """The pointwise part of ``tokens`` steps of one recurrent cell (everything but the gates' MACs).

    Biases are two additions per gate unit (b_ih and b_hh, each added by its linear layer)."""
    gates = _GATES[mode] * hidden
    adds, muls, exps, cmps = (k * hidden for k in _POINTWISE[mode])
    if biases:
        adds += 2 * gates
    terms = []
    for op_class, per_token in ((OpClass.ADDS, adds), (OpClass.MULS, muls), (OpClass.EXPS, exps),
                                (OpClass.CMPS, cmps)):
        if per_token:
            terms.append(_term(op_class, tokens * per_token, "T*k", T=tokens, k=per_token))
    return tuple(terms)


def recurrent_layer(mode: str, *, tokens: int, input_size: int, hidden: int, proj: int = 0,
                    biases: bool = True) -> tuple[Term, ...]:
    """``tokens`` steps of one layer in one direction: gate MACs G*H*(I + H_out) (H_out = P with a projection, plus
    P*H for it), then the cell's pointwise ops (:func:`recurrent_cell`)."""
    state = proj or hidden
    per_token = _GATES[mode] * hidden * (input_size + state) + proj * hidden
    formula = "T*(G*H*(I+P)+P*H)" if proj else "T*G*H*(I+H)"
    values = dict(T=tokens, G=_GATES[mode], H=hidden, I=input_size, **({"P": proj} if proj else {}))
    macs = _term(OpClass.MACS, tokens * per_token, formula, **values)
    return (macs, *recurrent_cell(mode, tokens=tokens, hidden=hidden, biases=biases))


def recurrent_stack(mode: str, *, tokens: int, input_sizes: Sequence[int], hidden: int, proj: int = 0,
                    biases: bool = True) -> tuple[Term, ...]:
    """A whole multi-layer (and bidirectional) network: one :func:`recurrent_layer` per (layer, direction), with
    that layer's input size."""
    terms: list[Term] = []
    for size in input_sizes:
        terms.extend(recurrent_layer(mode, tokens=tokens, input_size=size, hidden=hidden, proj=proj, biases=biases))
    return tuple(terms)
