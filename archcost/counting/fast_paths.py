"""Turn torch's fused attention fast paths off for a trace, so CPU and CUDA run the ops that meta runs.

Meta never takes a fast path: nn.MultiheadAttention's and nn.TransformerEncoderLayer's (``_native_multi_head_attention``,
``_transformer_encoder_layer_fwd``, nested tensors) support only real devices, and scaled_dot_product_attention on
meta picks its math backend. On CPU and CUDA torch would pick a fused kernel, and the same network would show other
ops and other activation sizes. Within :func:`unfused` both choices are pinned to the unfused path, and the trace
records what it turned off (``Analysis.provenance["fast_paths"]``). A fused kernel reached anyway (called directly,
cuDNN's RNN, oneDNN's LSTM) is counted by the rules of counting/fused_rules.py, which give the same terms.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import torch

from archcost import torch_compat

MHA_FAST_PATH = "torch.backends.mha fast path (MultiheadAttention, TransformerEncoderLayer)"
SDPA_FUSED = "scaled_dot_product_attention fused backends (flash, memory-efficient, cuDNN): math backend only"
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
        yield
    finally:
        torch.backends.mha.set_fastpath_enabled(mha_was)
        for setter, was in restore:
            setter(was)
        torch_compat.set_math_sdpa(math_was)


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
    and a network without attention (a detector, a CNN) would have run the same ops either way."""
    if not turned_off or devices <= {"meta"} or not ran_attention(ops, modules):
        return
    provenance["fast_paths"] = list(turned_off)
    provenance.setdefault("notes", []).append(
        "Torch's fused attention fast paths were turned off for the trace, so this device ran the same unfused ops "
        "as meta (the figures do not depend on the device)."
    )
