"""What an analysis starts from, shared by the inference path (analysis.py) and the training path
(training/engine.py) so that neither imports the other: the model dtypes, a registry/external/user network built
on a device, and the native example inputs of a built network."""

from __future__ import annotations

from typing import Any

import torch

from archcost.counting.opclass import Device
from archcost.dtypes import Dtype, torch_dtype
from archcost.errors import Option, UsageError, literal
from archcost.inputs import Example, native
from archcost.zoo.resolve import Resolved, construct

DTYPES = {d.value: torch_dtype(d) for d in Dtype}  # the model dtypes (archcost/dtypes.py), as torch's


def build_named(spec: str, device: Device, dtype: str, overrides: dict[str, Any],
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


def model_and_name(model_or_name: Any, device: Device, dtype: str, overrides: dict[str, Any],
                   given: list[Example] | None) -> tuple[torch.nn.Module, Resolved | None, str, dict[str, Any]]:
    """A name is built on ``device`` (with what it resolved to and how it was built); a module is taken as given."""
    if isinstance(model_or_name, str):
        model, resolved, built_how = build_named(model_or_name, device, dtype, overrides, given)
        return model, resolved, resolved.name, built_how
    if isinstance(model_or_name, torch.nn.Module):
        if overrides:
            raise UsageError("overrides apply to registry names only, not to a model instance")
        return model_or_name, None, type(model_or_name).__name__, {}
    raise UsageError(f"expected a name or an nn.Module, got {type(model_or_name).__name__}")
