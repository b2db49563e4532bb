"""Cross-check backends: other tools' counts of the same forward pass, set beside archcost's own.

``torch``: ``torch.utils.flop_counter`` (counts 2 per MAC; halved here), compared with the ``paper`` convention.
``fvcore``: fvcore's jit-trace counter on real tensors, compared with the ``fvcore`` convention.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

from archcost.counting.conventions import counts_in
from archcost.counting.opclass import Backend, Convention
from archcost.errors import UsageError

if TYPE_CHECKING:
    from archcost.result import Analysis


def convention_total(analysis: Analysis, convention: Convention) -> dict[str, int]:
    """Per-module own ops under ``convention``, recomputed from the op records (independent of the chosen one)."""
    if analysis.records is None:
        raise UsageError("this analysis was read from the result cache, which keeps no op records; analyse again "
                         "to recount it under another convention")
    per_module: dict[str, int] = {}
    for record in analysis.records:
        if record.terms is None:
            continue
        value = sum(t.count for t in record.terms if counts_in(convention, record.op, t))
        if value:
            name = analysis.rows[record.module]["name"]
            per_module[name] = per_module.get(name, 0) + value
    return per_module


def _inclusive(own: dict[str, int], names: list[str]) -> dict[str, int]:
    return {n: sum(v for k, v in own.items() if n == "" or k == n or k.startswith(n + ".")) for n in names}


def cross_check(backend: Backend, model: torch.nn.Module, example: torch.Tensor, analysis: Analysis) -> dict[str, Any]:
    names = [r["name"] for r in analysis.rows]
    if backend is Backend.TORCH:
        from archcost.counting.backends.torch_counter import count

        compared = Convention.PAPER
    else:
        from archcost.counting.backends.fvcore_counter import count

        compared = Convention.FVCORE
    theirs = count(model, example, names)
    ours = _inclusive(convention_total(analysis, compared), names)
    return {
        "backend": backend.value,
        "compared_with_convention": compared.value,
        "total": theirs.get("", 0),
        "native_total": ours[""],
        "difference": theirs.get("", 0) - ours[""],
        # None: the other tool attributes nothing to that module (flop_counter, a container never called).
        "layers": {n: theirs.get(n) for n in names},
    }
