"""Turn what a user typed into a model builder: a registry name, ``torchvision:NAME``, ``timm:NAME`` or an import
path ``package.module:callable``. Torch is imported only when the builder runs."""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

from archcost import argtypes
from archcost.errors import ArchcostError, BuildError, Message, Option, UsageError, first_line, literal
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
    from archcost.zoo import user_code

    return Resolved(spec, user_code.load(spec), None)


def resolve(spec: str) -> Resolved:
    if ":" in spec:
        package, _, name = spec.partition(":")
        if package in ("torchvision", "timm"):
            return _external(package, name)
        return _import_path(spec)
    entry = registry.get(spec)
    return Resolved(entry.name, entry.builder, entry.input_shape, entry)




@dataclass(frozen=True)
class Built:
    """A model and how it was built: ``path`` is ``"meta"`` (inside the meta device context), ``"meta-registration"``
    (tensors moved to meta as registered), ``"cpu-then-meta"`` (a CPU build whose values are never read: analyse it
    on meta through stand-ins) or, off meta, the device's name."""

    model: Any
    path: str
    resolved: Resolved
    arguments: dict[str, Any] = field(default_factory=dict)  # what the builder was called with
    notes: tuple[str, ...] = ()

    def provenance(self) -> dict[str, Any]:
        """The analysis' provenance entries for this build (JSON-able)."""
        from archcost.zoo.arguments import jsonable

        found: dict[str, Any] = {"build": self.path}
        config = {**self.resolved.config, **self.arguments}
        if config:
            found["config"] = {k: jsonable(v) for k, v in config.items()}
        if self.notes:
            found["notes"] = list(self.notes)
        return found


def _sized(resolved: Resolved, arguments: dict[str, Any],
           input_shape: tuple[int, ...] | None) -> tuple[dict[str, Any], str | None]:
    """A zoo builder that sizes its classifier from the input (VGG, AlexNet: ``input_size``) is given the spatial
    size of the input the user asked for, unless the user set ``input_size`` themselves."""
    from archcost.zoo.arguments import signature_of

    if (resolved.entry is None or input_shape is None or len(input_shape) != 4 or "input_size" in arguments
            or not all(isinstance(d, int) for d in input_shape)):
        return arguments, None
    signature = signature_of(resolved.builder)
    if signature is None or "input_size" not in signature.parameters:
        return arguments, None
    height, width = input_shape[2:]
    if height != width:
        raise UsageError(f"{resolved.name} sizes its classifier for a square input (input_size); "
                         f"{height}x{width} is not square")
    if resolved.entry.input_shape[1:] == (height, width):
        return arguments, None
    return {**arguments, "input_size": height}, (f"input_size={height} was given to the builder, from the input "
                                                  f"shape (its classifier reads the last feature map whole).")


# The meta paths, cheapest first. Inside the meta device context nothing is allocated at all, so the zoo builds faster
# than with tensors moved at registration (which makes every tensor on the CPU first), and it is tried first; a
# builder that reads values back from its own tensors falls through to the next path.
_META_PATHS = ("meta", "meta-registration", "cpu-then-meta")


def _attempt(resolved: Resolved, called: dict[str, Any], path: str) -> Any:
    from archcost.zoo import empty_weights

    context = {"meta": empty_weights.meta_device, "meta-registration": empty_weights.registered_on_meta,
               "cpu-then-meta": empty_weights.cpu_build}[path]
    with context():
        model = resolved.builder(**called)
    if path == "meta-registration" or (path == "meta" and resolved.entry is None):
        # What a builder wrote into a module's tables itself, or made on an explicit device, goes to meta too (the
        # zoo's builders are known to leave nothing behind: they skip the walk).
        empty_weights.sweep_to_meta(model)
    return model


def _build_on(resolved: Resolved, called: dict[str, Any], device: str,
              attempts: list[str]) -> tuple[Any, str, list[str]]:
    import torch

    from archcost.gc_pause import gc_paused

    paths = _META_PATHS if device == "meta" else (device,)
    first: str | None = None  # why the first path failed, for the note
    last: Exception | None = None  # the last failure, traceback and all: it is the one reported
    with gc_paused():
        for path in paths:
            try:
                if path in _META_PATHS:
                    model = _attempt(resolved, called, path)
                else:
                    with torch.device(device):
                        model = resolved.builder(**called)
            except Exception as error:  # noqa: BLE001  (the next path may mend it; the last failure is reported)
                decisive = _decisive(resolved, called, error, attempts)
                if decisive is not None:
                    raise decisive from None
                first = first or f"{type(error).__name__}: {first_line(error)}"
                last = error  # the previous one's frames (and what they held) are let go
                continue
            break
        else:
            assert last is not None
            raise _build_failed(resolved, called, last) from None
    if not isinstance(model, torch.nn.Module):
        raise ArchcostError(f"{resolved.name!r} returned {type(model).__name__}, not a torch.nn.Module")
    notes = []
    if path == "meta-registration":
        notes.append(f"Built with parameters and buffers moved to meta as they were registered (inside the meta "
                     f"device context the builder failed: {first}).")
    elif path == "cpu-then-meta":
        notes.append(f"Built on the CPU and counted through meta stand-ins of its "
                     f"tensors (on meta the builder failed: {first}).")
    del last
    return model, path, notes


def _decisive(resolved: Resolved, called: dict[str, Any], error: Exception,
              attempts: list[str]) -> ArchcostError | None:
    """A failure no other build path can mend: a refused argument, the network, archcost's own error."""
    from archcost.zoo import arguments

    if isinstance(error, ArchcostError):
        return error
    key = arguments.unexpected_keyword(error, called)
    if key is not None:
        return UsageError(f"{resolved.name} does not take the builder argument {key!r} "
                          f"({type(error).__name__}: {first_line(error)})")
    if attempts:
        return BuildError(f"building {resolved.name} tried to download (from {attempts[0]}), which archcost never "
                          f"does: build it without weights ({type(error).__name__}: {first_line(error)})")
    return None


def _build_failed(resolved: Resolved, called: dict[str, Any], error: Exception) -> Exception:
    from archcost.errors import BuilderArgumentError, UserCodeError
    from archcost.zoo.user_code import located

    found = located(error)
    if found is not None:
        return UserCodeError(found)
    message = f"{type(error).__name__}: {first_line(error)}"
    if resolved.entry is not None:
        # torch refuses a size it cannot make (a negative width: RuntimeError) as the builder refuses a value.
        if called and isinstance(error, (TypeError, ValueError, RuntimeError)):
            return BuilderArgumentError(_refused(resolved.name, called, message))
        return error  # a zoo builder failing on its defaults is archcost's bug: the CLI says internal error
    return BuildError(f"building {resolved.name} failed: {message}")


def _refused(name: str, called: dict[str, Any], message: str) -> Message:
    """``name``'s builder refusing the arguments ``called`` with ``message``; a number below 1 is named as the likely
    culprit, as a builder argument the user gave."""
    given = ", ".join(f"{k}={v!r}" for k, v in called.items())
    low = [k for k, v in called.items() if isinstance(v, (int, float)) and not isinstance(v, bool) and v < 1]
    if not low:
        return Message(f"{name} cannot be built with {given}: {message}")
    return Message(f"{literal(name)} cannot be built with {literal(given)} ($overrides takes a positive number "
                   f"here): {literal(message)}", (Option("overrides", ", ".join(low)),))


def construct(spec: str | Resolved, *, device: str = "meta", overrides: dict[str, Any] | None = None,
              input_shape: tuple[int, ...] | None = None) -> Built:
    """Build ``spec`` with ``overrides`` as builder arguments, on ``device`` (meta: no weight is allocated).

    ``input_shape`` (the full example shape, batch included) is the input the user gave, if any: a zoo builder that
    sizes its classifier from it gets its spatial size. Nothing is downloaded: the network is off during the build."""
    from archcost.zoo import arguments as args
    from archcost.zoo.offline import offline

    resolved = spec if isinstance(spec, Resolved) else resolve(spec)
    called, sized_note = _sized(resolved, dict(overrides or {}), input_shape)
    args.check(resolved.name, resolved.builder, overrides or {})
    with offline() as attempts:
        model, path, notes = _build_on(resolved, called, device, attempts)
    if attempts:
        notes.append(f"The builder tried to reach the network ({attempts[0]}) and was refused: the model is what "
                     "it builds offline (archcost never downloads).")
    if sized_note:
        notes.insert(0, sized_note)
    return Built(model, path, resolved, called, tuple(notes))


def build(spec: str, *, device: str = "meta", **overrides: Any) -> Any:
    """Build a model by name on ``device`` (meta by default: no weights are allocated)."""
    argtypes.text(spec, "spec", accepts="a network name or import path (a string, e.g. 'resnet50')")
    argtypes.text(device, "device", accepts="a string, one of meta, cpu, cuda")
    built = construct(spec, device=device, overrides=overrides)
    if built.path == "cpu-then-meta":
        # It was built on the CPU as a fallback: hand out the meta model the caller asked for.
        built.model.to_empty(device="meta")
    return built.model
