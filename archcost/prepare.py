"""The first stage of the one pipeline (prepare -> trace a step -> aggregate -> ``Analysis``): resolve the name
once, build the model, make the example inputs, and say what the build learned in a :class:`Prepared`. The
inference path (analysis.py) and the training path (training/engine.py) both start here, so neither imports the
other and neither repeats it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from archcost import cache
from archcost.counting.opclass import Device
from archcost.dtypes import Dtype, torch_dtype
from archcost.errors import Option, UsageError, literal
from archcost.inputs import Example, native
from archcost.zoo.resolve import Resolved, construct

DTYPES = {d.value: torch_dtype(d) for d in Dtype}  # the model dtypes (archcost/dtypes.py), as torch's


@dataclass(frozen=True)
class Learned:
    """What preparing learned about the model, handed to the trace and to the ``Analysis`` as one value.

    ``owned``: built here for this analysis alone, from a registry entry and literal builder arguments, so no one
    else holds it and no user code is inside: the model guard has nothing to protect (counting/isolation.py).
    ``provenance``: the build's entries of the analysis' provenance (build path, configuration, notes, the native
    input's source). ``stochastic``: declared stochastic depth, ``(module index, survival probability)`` in
    ``named_modules`` order; a module declares it with a ``survival_probability`` attribute (blocks/resnet.py)."""

    owned: bool
    provenance: dict[str, Any]
    stochastic: tuple[tuple[int, float], ...]

    def record(self, provenance: dict[str, Any]) -> None:
        """Add the build's entries to an analysis' ``provenance`` (its notes after the trace's own)."""
        for key, value in self.provenance.items():
            provenance[key] = provenance.get(key, []) + value if key == "notes" else value


@dataclass(frozen=True)
class Prepared:
    """A model ready to trace: its modules in ``named_modules`` order (the root first), its name and its inputs."""

    model: torch.nn.Module
    name: str
    names: list[str]
    modules: list[torch.nn.Module]
    examples: list[Example]
    resolved: Resolved | None
    learned: Learned


def build_named(spec: str | Resolved, device: Device, dtype: str, overrides: dict[str, Any],
                given: list[Example] | None) -> tuple[torch.nn.Module, Resolved, dict[str, Any]]:
    """The model, what it resolved to, and how it was built (zoo/resolve.py ``Built.provenance``)."""
    built = construct(spec, device=device.value, overrides=overrides,
                      input_shape=tuple(given[0].shape) if given else None)
    model = built.model
    if dtype != "float32":
        model = model.to(DTYPES[dtype])  # a model built here is ours to convert
    return model, built.resolved, built.provenance()


def native_examples(model: torch.nn.Module, resolved: Resolved | None, name: str, batch: int | None,
                    dtype: str) -> list[Example]:
    """The native input: the model's own (a builder override can move it: EfficientNet's resolution=), else the
    resolver's full example shapes, else the registry's C,H,W."""
    per_sample = getattr(model, "native_input", None)
    shapes = None
    if per_sample is None and resolved is not None:
        shapes = resolved.example_shapes
        per_sample = None if shapes else resolved.input_shape
    found = native(shapes, per_sample, batch=batch, dtype=dtype)
    if found is None:
        raise UsageError(f"{literal(name)} is not in the zoo, so its input shape is needed ($input_shape)",
                         Option("input_shape", "CxHxW"))
    return found


def prepare(model_or_name: str | Resolved | torch.nn.Module, device: Device, dtype: str,
            overrides: dict[str, Any], given: list[Example] | None, batch: int | None) -> Prepared:
    """A name (or what it resolved to) is resolved once and built on ``device``; a module is taken as given.
    ``given``: the user's inputs, else the network's native input (``batch`` replaces its N)."""
    how: dict[str, Any]
    if isinstance(model_or_name, torch.nn.Module):
        if overrides:
            raise UsageError("overrides apply to registry names only, not to a model instance")
        model, resolved, name, how = model_or_name, None, type(model_or_name).__name__, {}
    elif isinstance(model_or_name, (str, Resolved)):
        model, resolved, how = build_named(model_or_name, device, dtype, overrides, given)  # resolved once there
        name = resolved.name
    else:
        raise UsageError(f"expected a name or an nn.Module, got {type(model_or_name).__name__}")
    examples = given if given is not None else native_examples(model, resolved, name, batch, dtype)
    if given is None and resolved is not None and resolved.input_source is not None:
        how["input_source"] = resolved.input_source  # a published configuration's evaluation input
    owned = resolved is not None and resolved.entry is not None and cache.is_literal(overrides)
    return _prepared(model, name, examples, resolved, owned, how)


def rebuilt(prepared: Prepared, device: Device, dtype: str, overrides: dict[str, Any],
            given: list[Example] | None) -> Prepared:
    """The same network built again on ``device`` (the CPU fallback of ``device="auto"``), from what it resolved
    to: the name is not resolved again. The build's provenance entries are the new build's, in the same places."""
    assert prepared.resolved is not None
    model, _, how = build_named(prepared.resolved, device, dtype, overrides, given)
    provenance = {**prepared.learned.provenance, **how}
    return _prepared(model, prepared.name, prepared.examples, prepared.resolved, prepared.learned.owned, provenance)


def _prepared(model: torch.nn.Module, name: str, examples: list[Example], resolved: Resolved | None, owned: bool,
              provenance: dict[str, Any]) -> Prepared:
    named = list(model.named_modules())
    modules = [m for _, m in named]
    # Read from __dict__: a missed getattr on an nn.Module raises inside __getattr__, ten times slower.
    stochastic = tuple((i, float(m.__dict__["survival_probability"])) for i, m in enumerate(modules)
                       if m.__dict__.get("survival_probability") is not None)
    return Prepared(model, name, [n for n, _ in named], modules, examples, resolved,
                    Learned(owned, provenance, stochastic))

