"""The computed side: analyses of registry networks, cached per process so that a target (or the whole report)
traces each network once, and parameter counts that need no trace."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archcost.analysis import Analysis


def _frozen(overrides: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted(overrides.items()))


@cache
def _analysis(name: str, input_shape: str | None, overrides: tuple[tuple[str, Any], ...]) -> Analysis:
    from archcost.analysis import analyze

    return analyze(name, input_shape, **dict(overrides))


def analysis(name: str, *, input_shape: str | None = None, **overrides: Any) -> Analysis:
    """The inference analysis (meta device, 'paper' convention) of a registry network, computed once."""
    return _analysis(name, input_shape, _frozen(overrides))


@cache
def _params(name: str, overrides: tuple[tuple[str, Any], ...]) -> int:
    from archcost.counting.params import own_parameter_columns
    from archcost.zoo.resolve import build

    model = build(name, **dict(overrides))
    return sum(own_parameter_columns(list(model.modules()))["params"])


def params(name: str, **overrides: Any) -> int:
    """Parameters (weights and biases) of a registry network by the engine's own accounting, without tracing a
    forward pass: a 1202-layer network costs a second instead of ten."""
    return _params(name, _frozen(overrides))


def row(analysis: Analysis, name: str) -> dict[str, Any]:
    return analysis.layer(name)


def conv_rows(analysis: Analysis, prefix: str) -> list[dict[str, Any]]:
    """The convolution rows inside module ``prefix``, in definition order."""
    start = prefix + "."
    return [r for r in analysis.rows if r["type"] == "Conv2d" and (r["name"].startswith(start) or not prefix)]


def registered(name: str) -> bool:
    from archcost.zoo.registry import list_architectures

    return name in list_architectures()
