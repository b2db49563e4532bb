"""Input-shape parsing: ``CxHxW`` or ``NxCxHxW``. Torch-free so the CLI can validate before importing torch."""

from __future__ import annotations

import re

from archcost.errors import ShapeError

_DIMENSION = re.compile(r"^[0-9]+$")


def parse_shape(text: str, *, batch: int | None = None) -> tuple[int, ...]:
    """Parse ``"3x224x224"`` or ``"8x3x224x224"`` into an ``(N, C, H, W)`` tuple.

    A three-part shape gets the batch size ``batch`` (1 when not given); a four-part shape keeps its own N, and a
    ``batch`` that contradicts it is an error rather than a silent override.
    """
    parts = [p.strip() for p in text.lower().replace("×", "x").split("x")]
    if len(parts) not in (3, 4) or not all(_DIMENSION.match(p) for p in parts):
        raise ShapeError(f"malformed input shape {text!r}: expected CxHxW or NxCxHxW with positive integers, e.g. 3x224x224")
    dims = tuple(int(p) for p in parts)
    if any(d <= 0 for d in dims):
        raise ShapeError(f"malformed input shape {text!r}: every dimension must be at least 1")
    if batch is not None and batch <= 0:
        raise ShapeError(f"batch size must be at least 1, got {batch}")
    if len(dims) == 3:
        return (batch or 1, *dims)
    if batch is not None and batch != dims[0]:
        raise ShapeError(f"input shape {text!r} has batch {dims[0]} but --batch says {batch}")
    return dims


def format_shape(shape: tuple[int, ...] | list[int] | None) -> str:
    if shape is None:
        return ""
    return "x".join(str(d) for d in shape)
