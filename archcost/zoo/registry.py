"""The one registry of architectures. Torch-free: listing the zoo must not import torch.

A family module is a table of configurations plus one builder factory, registered in a loop with :func:`register`.
Imports go one way: ``archcost.blocks`` (torch code) reads the zoo's config dataclasses, and the zoo never imports the
blocks. A builder names the network class it builds as a string, ``"archcost.blocks.resnet:ResNet"``, that :func:`load`
resolves when a model is built. That string is the one allowed lazy reference (tests/test_import_cycles.py checks that
it is the only way back from the zoo to the blocks); it keeps the registry torch-free, so listing the zoo costs
milliseconds.
"""

from __future__ import annotations

import difflib
import fnmatch
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from archcost import argtypes
from archcost.errors import UnknownArchitectureError


@dataclass(frozen=True)
class Paper:
    """Where an architecture comes from: the citation every entry carries."""

    title: str
    arxiv: str
    year: int
    table: str = ""  # the table or section of the paper that the config reproduces

    def cite(self) -> str:
        where = f", {self.table}" if self.table else ""
        return f"{self.title} (arXiv:{self.arxiv}, {self.year}){where}"


@dataclass(frozen=True)
class Entry:
    name: str
    family: str
    paper: Paper
    input_shape: tuple[int, int, int]  # native C, H, W
    dataset: str
    num_classes: int
    builder: Callable[..., Any] = field(repr=False, compare=False)
    notes: str = ""


_REGISTRY: dict[str, Entry] = {}


def load(reference: str) -> Any:
    """The object a lazy ``"package.module:attribute"`` reference names, imported now (at build time)."""
    module, colon, attribute = reference.partition(":")
    if not colon or not attribute:
        raise ValueError(f"a lazy reference is 'module:attribute', got {reference!r}")
    return getattr(importlib.import_module(module), attribute)


def register(
    name: str,
    *,
    family: str,
    paper: Paper,
    input_shape: tuple[int, int, int],
    dataset: str = "imagenet",
    num_classes: int = 1000,
    notes: str = "",
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``builder`` under ``name``; a name registered twice is a programming error."""

    def decorate(builder: Callable[..., Any]) -> Callable[..., Any]:
        if name in _REGISTRY:
            raise ValueError(f"architecture {name!r} is already registered")
        if name != name.lower() or " " in name or "_" in name:
            raise ValueError(f"architecture names are lowercase and hyphenated, got {name!r}")
        _REGISTRY[name] = Entry(
            name=name,
            family=family,
            paper=paper,
            input_shape=input_shape,
            dataset=dataset,
            num_classes=num_classes,
            builder=builder,
            notes=notes,
        )
        return builder

    return decorate


def _loaded() -> dict[str, Entry]:
    import archcost.zoo  # noqa: F401  (importing the package registers every family)

    return _REGISTRY


def list_architectures(pattern: str | None = None) -> list[str]:
    """Registered names in registration order, filtered by an fnmatch ``pattern`` (e.g. ``"resnet*"``)."""
    argtypes.text(pattern, "pattern", optional=True, accepts="a string, an fnmatch pattern such as 'resnet*'")
    names = list(_loaded())
    if pattern:
        names = [n for n in names if fnmatch.fnmatchcase(n, pattern.lower())]
    return names


def entries(pattern: str | None = None) -> list[Entry]:
    registry = _loaded()
    return [registry[n] for n in list_architectures(pattern)]


def get(name: str) -> Entry:
    registry = _loaded()
    key = name.lower()
    if key in registry:
        return registry[key]
    close = difflib.get_close_matches(key, list(registry), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else "; run 'archcost list' to see the zoo"
    raise UnknownArchitectureError(f"unknown architecture {name!r}{hint}")
