"""The one registry of architectures. Torch-free: listing the zoo must not import torch.

A family module registers each entry with :func:`register` on a keyword-only builder function. The builder imports
its torch code lazily (from ``archcost.blocks``), so importing the registry costs milliseconds.
"""

from __future__ import annotations

import difflib
import fnmatch
from dataclasses import dataclass, field
from typing import Any, Callable

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

    def build(self, **overrides: Any) -> Any:
        return self.builder(**overrides)


_REGISTRY: dict[str, Entry] = {}


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
