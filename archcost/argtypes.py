"""Type checks at the public entry points (``analyze``, ``build``, ``list_architectures``, ``Analysis.layer``...):
a value of the wrong type stops here with one :class:`ArgumentTypeError` naming the argument and what it accepts,
instead of failing deep inside (``'<=' not supported``, a string iterated as characters, ``"no"`` taken as true).
Torch-free: ``list_architectures`` and the CLI's checks run before torch is imported."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from archcost.errors import ArgumentTypeError


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)  # True is an int to Python, never a batch


def whole_number(value: Any, name: str) -> int | None:
    """An int or None (``batch``); its range is checked where it is used (a batch below 1 is a ShapeError)."""
    if value is not None and not _is_int(value):
        raise ArgumentTypeError(f"{name} takes a whole number of at least 1 or None, got "
                                f"{type(value).__name__} {value!r}")
    return value


def text(value: Any, name: str, *, optional: bool = False, accepts: str = "a string") -> str | None:
    """A string (a name, a choice, a pattern); None where ``optional``."""
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise ArgumentTypeError(f"{name} takes {accepts}{' or None' if optional else ''}, got "
                                f"{type(value).__name__} {value!r}")
    return value


def flag(value: Any, name: str) -> bool:
    """True or False, nothing that merely looks true (``"no"`` is a non-empty string)."""
    if not isinstance(value, bool):
        raise ArgumentTypeError(f"{name} takes True or False, got {type(value).__name__} {value!r}")
    return value


def names(value: Any, name: str) -> tuple[str, ...]:
    """A sequence of strings (``checkpoint``); a lone string would be iterated as characters, so it is refused."""
    if isinstance(value, str) or not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
        raise ArgumentTypeError(f"{name} takes a list or tuple of strings (e.g. [\"layer1\", \"layer2\"]), got "
                                f"{type(value).__name__} {value!r}")
    return tuple(value)
