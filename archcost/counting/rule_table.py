"""The table an op rule registers into, and the argument readers every rule file shares.

Its own module so that rules.py, fused_rules.py, pointwise_rules.py and backward_rules.py all import it, and none
imports another: rules.py imports the other three only to have their rules registered when :data:`RULES` is read
from it. Every rule goes in through :func:`rule`, which refuses a second rule for a name, and only at import.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from archcost.counting import formulas as f

Terms = tuple[f.Term, ...]
Rule = Callable[[Sequence[Any], dict[str, Any], Any], Terms]

RULES: dict[str, Rule] = {}


def rule(*names: str) -> Callable[[Rule], Rule]:
    def decorate(fn: Rule) -> Rule:
        for name in names:
            if name in RULES:
                raise ValueError(f"two rules for aten.{name}")
            RULES[name] = fn
        return fn

    return decorate


def _shape(t: Any) -> tuple[int, ...]:
    return tuple(t.shape)


def first_output(out: Any) -> Any:
    """The first output of an op that returns a tuple (max_pool2d_with_indices: values, indices), else the output."""
    return out[0] if isinstance(out, (tuple, list)) else out


def _arg(args: Sequence[Any], kwargs: dict[str, Any], index: int, name: str, default: Any = None) -> Any:
    if len(args) > index:
        return args[index]
    return kwargs.get(name, default)
