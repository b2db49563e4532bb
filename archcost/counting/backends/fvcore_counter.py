"""fvcore's FlopCountAnalysis as a cross-check. It jit-traces real tensors (never meta) and counts one fused
multiply-add as one "flop", so its figures are MACs plus its norm and pooling handles."""

from __future__ import annotations

import torch

from archcost.errors import Option, UsageError


def count(model: torch.nn.Module, example: torch.Tensor, names: list[str]) -> dict[str, int]:
    try:
        from fvcore.nn import FlopCountAnalysis
    except ImportError:
        raise UsageError("$backend needs fvcore: pip install 'archcost[fvcore]'", Option("backend", "fvcore")) from None
    training = {m: m.training for m in model.modules()}
    try:
        model.eval()
        with torch.no_grad():
            analysis = FlopCountAnalysis(model, example)
            analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False).tracer_warnings("none")
            per_module = analysis.by_module()
    finally:
        for m, flag in training.items():
            m.training = flag
    return {n: int(per_module.get(n, 0)) for n in names}
