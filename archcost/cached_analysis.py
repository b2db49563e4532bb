"""Whether an analysis document from the disk cache is whole and answers the request it is stored under. Torch-free.

The entry's digest (archcost/cache.py) proves the file is what archcost wrote for that key; this checks what a
digest cannot: that what was written is an analysis that can be shown (a bug, or an entry sealed by hand, could hold
an empty layer list, empty totals, a null where a figure belongs, or another network). A document that fails is a
miss: the caller drops it and analyses again.
"""

from __future__ import annotations

from typing import Any

# Figures every layer and the totals must carry, and the counts that must be whole numbers wherever they appear: a
# null or a string there would be shown wrong or fail to render.
REQUIRED = ("params", "macs", "ops", "activations")
COUNTS = (*REQUIRED, "weights", "biases", "trainable_params", "frozen_params", "buffers", "adds", "muls", "cmps",
          "divs", "exps", "norm", "activation_bytes", "memory_bytes")


def _counts_whole(figures: Any) -> bool:
    if not isinstance(figures, dict) or not all(k in figures for k in REQUIRED):
        return False
    return all(type(figures[k]) is int and figures[k] >= 0 for k in COUNTS if k in figures)


def is_whole(document: dict[str, Any], network: str) -> bool:
    """True when ``document`` is a non-empty analysis of ``network`` whose figures are all whole numbers."""
    layers = document.get("layers")
    if document.get("model") != network or not isinstance(layers, list) or not layers:
        return False
    return _counts_whole(document.get("totals")) and all(_counts_whole(row) for row in layers)
