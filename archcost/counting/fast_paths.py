"""Turn torch's fused attention and recurrent fast paths off for a trace, so CPU and CUDA run the ops that meta runs.

Meta never takes a fast path: nn.MultiheadAttention's and nn.TransformerEncoderLayer's (``_native_multi_head_attention``,
``_transformer_encoder_layer_fwd``, nested tensors) support only real devices, and scaled_dot_product_attention on
meta picks its math backend. On CPU and CUDA torch would pick a fused kernel, and the same network would show other
ops and other activation sizes. Within :func:`unfused` both choices are pinned to the unfused path, and the trace
records what it turned off (``Analysis.provenance["fast_paths"]``).

Recurrent layers likewise: on meta LSTM, GRU and RNN run torch's unfused cells (one addmm, gate and state ops per
step), on CPU oneDNN's ``mkldnn_rnn_layer`` and on CUDA cuDNN's ``_cudnn_rnn``, whose outputs include workspaces and
whose inputs skip the per-step matmuls: the bytes and the peak would depend on the device. The honest figure is the
unfused path's, as for the MACs, so while an ``nn.RNNBase`` module's forward runs oneDNN and cuDNN are switched off
(only there: a convolution elsewhere in the model keeps its fast CPU kernel), and torch's Python decompositions of
``aten.lstm``/``gru``/``rnn_*`` run in place of the C++ composite, whose CPU path differs from its meta path (it
projects the whole input sequence in one matmul on CPU only); the decomposition does that on every device, as cuDNN
and oneDNN do. A fused kernel reached anyway (called
directly) is counted by the rules of counting/fused_rules.py, which give the same terms.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import torch

from archcost import torch_compat

MHA_FAST_PATH = "torch.backends.mha fast path (MultiheadAttention, TransformerEncoderLayer)"
SDPA_FUSED = "scaled_dot_product_attention fused backends (flash, memory-efficient, cuDNN): math backend only"
RNN_FUSED = "oneDNN and cuDNN recurrent kernels (LSTM, GRU, RNN): unfused cells only"
_ATTENTION_MODULES = (torch.nn.MultiheadAttention, torch.nn.TransformerEncoderLayer, torch.nn.TransformerDecoderLayer)

@contextmanager
def unfused(record: list[str]) -> Iterator[None]:
    """Run the body with the fast paths off; append to ``record`` what was on and is now off. Restored on exit,
    also when the body raises."""
    mha_was = torch.backends.mha.get_fastpath_enabled()
    restore = [(setter, getter()) for getter, setter in torch_compat.sdpa_switches()]
    math_was = torch_compat.math_sdpa_enabled()
    try:
        if mha_was:
            torch.backends.mha.set_fastpath_enabled(False)
            record.append(MHA_FAST_PATH)
        if any(was for _, was in restore):
            record.append(SDPA_FUSED)
        for setter, _ in restore:
            setter(False)
        torch_compat.set_math_sdpa(True)
        with _unfused_recurrent(record):
            yield
    finally:
        torch.backends.mha.set_fastpath_enabled(mha_was)
        for setter, was in restore:
            setter(was)
        torch_compat.set_math_sdpa(math_was)


@contextmanager
def _unfused_recurrent(record: list[str]) -> Iterator[None]:
    """oneDNN and cuDNN off while a recurrent module's forward runs; each switch restored as it was on exit."""
    from torch.nn.modules.module import register_module_forward_hook, register_module_forward_pre_hook

    was = torch_compat.fused_recurrent_kernels()

    dispatchers: list[Any] = []

    def off(module: torch.nn.Module, inputs: Any) -> None:
        if isinstance(module, torch.nn.RNNBase):
            if any(was) and RNN_FUSED not in record:
                record.append(RNN_FUSED)
            torch_compat.set_fused_recurrent_kernels(False, False)
            dispatchers.append(torch_compat.python_dispatcher())
            dispatchers[-1].__enter__()

    def back(module: torch.nn.Module, inputs: Any, output: Any) -> None:
        if isinstance(module, torch.nn.RNNBase):
            dispatchers.pop().__exit__(None, None, None)
            torch_compat.set_fused_recurrent_kernels(*was)

    handles = (register_module_forward_pre_hook(off), register_module_forward_hook(back))
    try:
        yield
    finally:
        while dispatchers:  # a forward that raised never reached its post-hook
            dispatchers.pop().__exit__(None, None, None)
        for handle in handles:
            handle.remove()
        torch_compat.set_fused_recurrent_kernels(*was)


def ran_attention(ops: Iterable[str], modules: Iterable[torch.nn.Module]) -> bool:
    """Whether the trace ran attention: a module whose fast path was turned off (MultiheadAttention with its weights
    asked for runs bmm and softmax, no attention op), math SDPA's ``_safe_softmax``, or a fused kernel called
    directly."""
    if any(isinstance(m, _ATTENTION_MODULES) for m in modules):
        return True
    return any(op == "_safe_softmax" or "attention" in op or "sdp" in op for op in ops)


def record_provenance(provenance: dict[str, Any], turned_off: list[str], devices: set[str],
                      ops: Iterable[str], modules: Iterable[torch.nn.Module]) -> None:
    """Say in ``provenance`` what the trace turned off, where it mattered: on meta nothing would have been fused,
    and a network without attention or recurrent layers (a detector, a CNN) would have run the same ops either way.
    The recurrent switch is recorded only when a recurrent module ran."""
    attention = ran_attention(ops, modules)
    mattered = [path for path in turned_off if path == RNN_FUSED or attention]
    if not mattered or devices <= {"meta"}:
        return
    provenance["fast_paths"] = mattered
    kinds = " and ".join(kind for kind, on in (("attention", attention), ("recurrent", RNN_FUSED in mattered)) if on)
    provenance.setdefault("notes", []).append(
        f"Torch's fused {kinds} fast paths were turned off for the trace, so this device ran the same unfused ops "
        "as meta (the figures do not depend on the device)."
    )
