"""Turn what a user typed into a model builder: a registry name, ``torchvision:NAME``, ``timm:NAME`` or an import
path ``package.module:callable``. Torch is imported only when the builder runs."""

from __future__ import annotations

import functools
import importlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from archcost.errors import ArchcostError, UsageError
from archcost.zoo import registry


@dataclass(frozen=True)
class Resolved:
    name: str
    builder: Callable[..., Any]
    input_shape: tuple[int, int, int] | None  # native C, H, W when known
    entry: registry.Entry | None = None
    # Full example shapes, batch 1 included, one per positional argument of forward (None: not known).
    example_shapes: tuple[tuple[int, ...], ...] | None = None
    input_source: str | None = None  # where the native input comes from, for the output's provenance
    config: dict[str, Any] = field(default_factory=dict)  # builder arguments a published configuration sets


@functools.lru_cache(maxsize=256)
def _external(package: str, name: str) -> Resolved:
    """A torchvision or timm model in its published configuration (archcost/zoo/external.py).

    Cached: analyze() resolves a name and builds it, and the configuration the build records lands in the same
    ``config`` dict that the Resolved carries."""
    try:
        module = importlib.import_module(package)
    except Exception as error:  # torchvision fails to import beside some torch builds with a RuntimeError
        raise UsageError(f"'{package}:{name}' needs {package}, which does not import here ({type(error).__name__})") from None
    from archcost.zoo import external

    if package == "torchvision":
        published = external.torchvision_model(module.models, name)
    else:
        published = external.timm_model(module, name)
    return Resolved(f"{package}:{name}", published.builder, published.input_shape,
                    example_shapes=published.example_shapes, input_source=published.input_source,
                    config=published.config)


def _import_path(spec: str) -> Resolved:
    module_name, _, attr = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as error:
        raise UsageError(f"cannot import {module_name!r} from {spec!r}: {type(error).__name__}: {error}") from None
    target = getattr(module, attr, None)
    if target is None:
        raise UsageError(f"module {module_name!r} has no attribute {attr!r}")
    if not callable(target):
        raise UsageError(f"{spec!r} is not callable")
    return Resolved(spec, target, None)


def resolve(spec: str) -> Resolved:
    if ":" in spec:
        package, _, name = spec.partition(":")
        if package in ("torchvision", "timm"):
            return _external(package, name)
        return _import_path(spec)
    entry = registry.get(spec)
    return Resolved(entry.name, entry.builder, entry.input_shape, entry)


# Weight initialisers fill values, and a meta tensor has none: running them only costs time (about 40% of building
# a deep network on meta). They are skipped for meta tensors while a model is built; real tensors are untouched.
_INITIALISERS = ("uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "xavier_uniform_",
                 "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_")


# The layers' own reset methods do nothing but call initialisers and fill statistics: on meta they are skipped whole.
_RESETS = (("torch.nn.modules.conv", "_ConvNd", "reset_parameters"), ("torch.nn.modules.linear", "Linear",
           "reset_parameters"), ("torch.nn.modules.batchnorm", "_NormBase", "reset_running_stats"),
           ("torch.nn.modules.batchnorm", "_NormBase", "reset_parameters"))


@contextmanager
def _no_init_on_meta() -> Iterator[None]:
    from torch.nn import init

    saved = {name: getattr(init, name) for name in _INITIALISERS if hasattr(init, name)}
    resets = [(cls, method, cls.__dict__[method]) for cls, method in
              ((getattr(importlib.import_module(module), name), method) for module, name, method in _RESETS)
              if method in cls.__dict__]

    def skip(original: Callable[..., Any]) -> Callable[..., Any]:
        def initialise(tensor: Any, *args: Any, **kwargs: Any) -> Any:
            return tensor if getattr(tensor, "is_meta", False) else original(tensor, *args, **kwargs)

        return initialise

    def skip_reset(original: Callable[..., Any]) -> Callable[..., Any]:
        def reset(module: Any) -> None:
            tensors = (*module._parameters.values(), *module._buffers.values())
            if not all(t is None or t.is_meta for t in tensors):
                original(module)

        return reset

    try:
        for name, original in saved.items():
            setattr(init, name, skip(original))
        for cls, method, original in resets:
            setattr(cls, method, skip_reset(original))
        yield
    finally:
        for name, original in saved.items():
            setattr(init, name, original)
        for cls, method, original in resets:
            setattr(cls, method, original)


def build(spec: str, *, device: str = "meta", **overrides: Any) -> Any:
    """Build a model by name on ``device`` (meta by default: no weights are allocated)."""
    import torch

    from archcost.gc_pause import gc_paused

    resolved = resolve(spec)
    with torch.device(device), _no_init_on_meta(), gc_paused():
        model = resolved.builder(**overrides)
    if not isinstance(model, torch.nn.Module):
        raise ArchcostError(f"{spec!r} returned {type(model).__name__}, not a torch.nn.Module")
    return model
