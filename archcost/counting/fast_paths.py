"""Turn torch's fused attention fast paths off for a trace, so CPU and CUDA run the ops that meta runs.

Meta never takes a fast path: nn.MultiheadAttention's and nn.TransformerEncoderLayer's (``_native_multi_head_attention``,
``_transformer_encoder_layer_fwd``, nested tensors) support only real devices, and scaled_dot_product_attention on
meta picks its math backend. On CPU and CUDA torch would pick a fused kernel, and the same network would show other
ops and other activation sizes. Within :func:`unfused` both choices are pinned to the unfused path, and the trace
records what it turned off (``Analysis.provenance["fast_paths"]``). A fused kernel reached anyway (called directly,
cuDNN's RNN, oneDNN's LSTM) is counted by the rules of counting/fused_rules.py, which give the same terms.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import torch

MHA_FAST_PATH = "torch.backends.mha fast path (MultiheadAttention, TransformerEncoderLayer)"
SDPA_FUSED = "scaled_dot_product_attention fused backends (flash, memory-efficient, cuDNN): math backend only"

# The SDPA backend switches: (getter, setter) pairs on torch._C, as torch.nn.attention.sdpa_kernel flips them.
_SDPA_FLAGS = ("flash", "mem_efficient", "cudnn", "fa3", "overrideable")


def _sdpa_switches() -> list[tuple[Any, Any]]:
    switches = []
    for name in _SDPA_FLAGS:
        getter = getattr(torch._C, f"_get_{name}_sdp_enabled", None)
        setter = getattr(torch._C, f"_set_sdp_use_{name}", None)
        if getter is not None and setter is not None:
            switches.append((getter, setter))
    return switches


@contextmanager
def unfused(record: list[str]) -> Iterator[None]:
    """Run the body with the fast paths off; append to ``record`` what was on and is now off. Restored on exit,
    also when the body raises."""
    mha_was = torch.backends.mha.get_fastpath_enabled()
    restore = [(setter, getter()) for getter, setter in _sdpa_switches()]
    math_was = torch._C._get_math_sdp_enabled()
    try:
        if mha_was:
            torch.backends.mha.set_fastpath_enabled(False)
            record.append(MHA_FAST_PATH)
        if any(was for _, was in restore):
            record.append(SDPA_FUSED)
        for setter, _ in restore:
            setter(False)
        torch._C._set_sdp_use_math(True)
        yield
    finally:
        torch.backends.mha.set_fastpath_enabled(mha_was)
        for setter, was in restore:
            setter(was)
        torch._C._set_sdp_use_math(math_was)


def record_provenance(provenance: dict[str, Any], turned_off: list[str], devices: set[str]) -> None:
    """Say in ``provenance`` what the trace turned off, where it mattered: on meta nothing would have been fused."""
    if not turned_off or devices <= {"meta"}:
        return
    provenance["fast_paths"] = list(turned_off)
    provenance.setdefault("notes", []).append(
        "Torch's fused attention fast paths were turned off for the trace, so this device ran the same unfused ops "
        "as meta (the figures do not depend on the device)."
    )
