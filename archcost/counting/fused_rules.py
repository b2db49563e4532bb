"""Rules for torch's fused kernels: every scaled-dot-product-attention backend and every recurrent-layer kernel.

The trace turns the attention fast paths off (counting/fast_paths.py), so on CPU and CUDA a module runs the same
unfused ops as on meta. These rules cover a fused kernel that is reached anyway (called directly, CUDA's cuDNN RNN,
CPU's oneDNN LSTM) with the formulas of counting/fused.py, which give the unfused path's terms class by class.
Imported by counting/rules.py, into its table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from archcost.counting import fused
from archcost.counting.rule_table import Terms, _arg, _shape, rule


def _attention(q: Any, k: Any, v: Any, mask: Any, causal: Any) -> Terms:
    mask_shape = _shape(mask) if mask is not None else None
    mask_is_bool = mask is not None and not mask.dtype.is_floating_point
    return fused.attention(_shape(q), _shape(k), _shape(v), mask=mask_shape, mask_is_bool=mask_is_bool,
                           causal=bool(causal))


@rule("_scaled_dot_product_flash_attention_for_cpu")
def _flash_cpu(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    # (query, key, value, dropout_p, is_causal, *, attn_mask, scale), layout (B, H, L, E)
    return _attention(args[0], args[1], args[2], kwargs.get("attn_mask"), _arg(args, kwargs, 4, "is_causal", False))


@rule("_scaled_dot_product_flash_attention")
def _flash_cuda(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    # (query, key, value, dropout_p, is_causal, return_debug_mask, *, scale)
    return _attention(args[0], args[1], args[2], None, _arg(args, kwargs, 4, "is_causal", False))


@rule("_scaled_dot_product_efficient_attention", "_scaled_dot_product_cudnn_attention")
def _efficient(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    # (query, key, value, attn_bias, compute_log_sumexp, dropout_p, is_causal, ...)
    return _attention(args[0], args[1], args[2], _arg(args, kwargs, 3, "attn_bias"),
                      _arg(args, kwargs, 6, "is_causal", False))


@rule("_scaled_dot_product_fused_attention_overrideable", "_scaled_dot_product_attention_math_for_mps")
def _overrideable(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    # (query, key, value, attn_bias/attn_mask, dropout_p, is_causal, ...)
    return _attention(args[0], args[1], args[2], _arg(args, kwargs, 3, "attn_bias", kwargs.get("attn_mask")),
                      _arg(args, kwargs, 5, "is_causal", False))


def _heads_second(shape: tuple[int, ...]) -> tuple[int, ...]:
    """(B, L, H, E), the layout of the low-level flash/efficient kernels, as (B, H, L, E)."""
    return (shape[0], shape[2], shape[1], shape[3])


class _Shaped:
    """A stand-in carrying a transposed shape and the original dtype, for :func:`_attention`."""

    def __init__(self, tensor: Any) -> None:
        self.shape, self.dtype = _heads_second(tuple(tensor.shape)), tensor.dtype


def _varlen_refused(name: str) -> None:
    from archcost.errors import ForwardError

    raise ForwardError(f"aten.{name} with packed variable-length sequences (cum_seq) has no exact count")


@rule("_flash_attention_forward")
def _flash_forward(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    # (query, key, value, cum_seq_q, cum_seq_k, max_q, max_k, dropout_p, is_causal, ...), layout (B, L, H, E)
    if _arg(args, kwargs, 3, "cum_seq_q") is not None:
        _varlen_refused("_flash_attention_forward")
    q, k, v = (_Shaped(t) for t in args[:3])
    return _attention(q, k, v, None, _arg(args, kwargs, 8, "is_causal", False))


@rule("_efficient_attention_forward")
def _efficient_forward(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    # (query, key, value, bias, cu_seqlens_q, cu_seqlens_k, max_seqlen_q, max_seqlen_k, dropout_p,
    #  custom_mask_type, ...), layout (B, L, H, E); mask type 1 and 2 are causal (top-left, bottom-right)
    if _arg(args, kwargs, 4, "cu_seqlens_q") is not None:
        _varlen_refused("_efficient_attention_forward")
    q, k, v = (_Shaped(t) for t in args[:3])
    return _attention(q, k, v, _arg(args, kwargs, 3, "bias"), int(_arg(args, kwargs, 9, "custom_mask_type", 0)) > 0)


# --- recurrent layers -----------------------------------------------------------------------------------------------

# cuDNN, MIOpen and oneDNN number the modes alike: RNN_RELU, RNN_TANH, LSTM, GRU.
_MODES = {0: "rnn_relu", 1: "rnn_tanh", 2: "lstm", 3: "gru"}


def _tokens(x: Any, batch_sizes: Any) -> int:
    """Time steps x batch: a packed input is (sum of batch sizes, I), a padded one (T, B, I) or (B, T, I)."""
    return int(x.shape[0]) if batch_sizes is not None and len(batch_sizes) and x.dim() == 2 else x.numel() // x.shape[-1]


@rule("mkldnn_rnn_layer")
def _mkldnn_rnn_layer(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    # (input, w_ih, w_hh, b_ih, b_hh, hx, cx, reverse, batch_sizes, mode, hidden_size, num_layers, has_biases,
    #  bidirectional, batch_first, train): one layer, one direction
    x, w_ih = args[0], args[1]
    return fused.recurrent_layer(_MODES[int(args[9])], tokens=_tokens(x, args[8]), input_size=int(w_ih.shape[1]),
                                 hidden=int(args[10]), biases=bool(args[12]))


def _stack(x: Any, weights: Sequence[Any], stride: int, mode: str, hidden: int, proj: int, batch_sizes: Any) -> Terms:
    # Per (layer, direction): w_ih, w_hh, [b_ih, b_hh], [w_hr].
    biases = stride in (4, 5) if proj else stride == 4
    sizes = [int(weights[i].shape[1]) for i in range(0, len(weights), stride)]
    return fused.recurrent_stack(mode, tokens=_tokens(x, batch_sizes), input_sizes=sizes, hidden=hidden, proj=proj,
                                 biases=biases)


@rule("_cudnn_rnn")
def _cudnn_rnn(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    # (input, weight[], weight_stride0, weight_buf, hx, cx, mode, hidden_size, proj_size, num_layers, batch_first,
    #  dropout, train, bidirectional, batch_sizes, dropout_state)
    return _stack(args[0], args[1], int(args[2]), _MODES[int(args[6])], int(args[7]), int(args[8]), args[14])


@rule("miopen_rnn")
def _miopen_rnn(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    # (input, weight[], weight_stride0, hx, cx, mode, hidden_size, num_layers, batch_first, dropout, train,
    #  bidirectional, batch_sizes, dropout_state)
    return _stack(args[0], args[1], int(args[2]), _MODES[int(args[5])], int(args[6]), 0, args[12])


@rule("_thnn_fused_lstm_cell")
def _fused_lstm_cell(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    # (input_gates, hidden_gates, cx, input_bias, hidden_bias): the gates' MACs ran before, as mm
    cx = args[2]
    return fused.recurrent_cell("lstm", tokens=cx.numel() // cx.shape[-1], hidden=int(cx.shape[-1]),
                                biases=_arg(args, kwargs, 3, "input_bias") is not None)


@rule("_thnn_fused_gru_cell")
def _fused_gru_cell(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Terms:
    # (input_gates, hidden_gates, hx, input_bias, hidden_bias)
    hx = args[2]
    return fused.recurrent_cell("gru", tokens=hx.numel() // hx.shape[-1], hidden=int(hx.shape[-1]),
                                biases=_arg(args, kwargs, 3, "input_bias") is not None)
