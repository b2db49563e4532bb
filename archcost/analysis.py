"""``archcost.analyze``: build or take a model, trace one forward pass, and aggregate per layer.

Data flows one way: name + input shape -> registry -> builder (meta) -> tracer -> records -> layers -> totals.
The model is never mutated: training flags are restored, hooks removed and nothing is moved, also on error.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import torch

from archcost.counting.aggregate import aggregate
from archcost.counting.opclass import Backend, Convention, Device
from archcost.counting.tracer import Tracer
from archcost.errors import ArchcostError, DeviceError, ForwardError, InputTooSmallError, UsageError
from archcost.gc_pause import gc_paused
from archcost.result import SCHEMA, Analysis  # noqa: F401  (archcost.analysis.Analysis stays importable)
from archcost.shapes import format_shape, parse_shape
from archcost.zoo.resolve import build as build_model
from archcost.zoo.resolve import resolve

DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16, "float64": torch.float64}

# Messages torch raises when a window no longer fits its input: the input is too small for the network.
_COLLAPSE_MESSAGES = ("output size is too small", "kernel size can't be greater", "smaller than kernel",
                      "non-positive", "input image", "padded input size")


def _check_device(device: Device) -> None:
    if device is Device.CUDA and not torch.cuda.is_available():
        raise DeviceError(f"--device cuda was asked for but CUDA is not available here (torch {torch.__version__})")


def _explain_failure(tracer: Tracer, names: list[str], model_name: str, shape: tuple[int, ...],
                     error: BaseException) -> ArchcostError:
    failure = tracer.failure
    index = failure.module if failure is not None else 0
    module_name = names[index] or model_name
    module_type = type(tracer.modules[index]).__name__
    message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if isinstance(error, RuntimeError) and any(m in message.lower() for m in _COLLAPSE_MESSAGES):
        seen = tracer.trace.calls[index].input_shape
        at = f" (its input is {format_shape(seen)})" if seen else ""
        return InputTooSmallError(
            f"input {format_shape(shape)} is too small for {model_name}: the spatial size collapses at "
            f"{module_name} ({module_type}){at}"
        )
    return ForwardError(f"the forward of {model_name} failed in {module_name} ({module_type}): "
                        f"{type(error).__name__}: {message}")


def analyze(
    model_or_name: str | torch.nn.Module,
    input_shape: str | tuple[int, ...] | None = None,
    *,
    batch: int | None = None,
    device: str = "meta",
    convention: str = "paper",
    backend: str = "native",
    dtype: str = "float32",
    replay_repeats: bool = True,
    **overrides: Any,
) -> Analysis:
    """Count parameters and per-op costs of one inference forward pass, layer by layer.

    ``model_or_name`` is a registry name, ``torchvision:NAME``, ``timm:NAME``, ``package.module:callable`` or an
    ``nn.Module``. ``input_shape`` is ``CxHxW``/``NxCxHxW`` text (``batch`` sets N) or a tuple giving the exact
    example shape (any rank); registry entries default to their native
    input. On ``device="meta"`` (the default) no weight and no activation is allocated, and a block that repeats one
    already traced (same structure, same input shape) has its ops copied instead of run again; ``replay_repeats=False``
    runs every block (the figures are the same: see ``counting/replay.py``).
    """
    try:
        conv, back, dev = Convention(convention), Backend(backend), Device(device)
    except ValueError as error:
        raise UsageError(str(error)) from None
    if dtype not in DTYPES:
        raise UsageError(f"unknown dtype {dtype!r}; choose one of {', '.join(DTYPES)}")
    _check_device(dev)
    if back is Backend.FVCORE and dev is Device.META:
        raise UsageError("--backend fvcore traces real tensors and cannot run on meta; add --device cpu")

    key = None
    if isinstance(model_or_name, str) and dev is Device.META and back is Backend.NATIVE:
        # A registry network on meta is a pure function of these arguments: repeated analyses (report, plots,
        # reproduce, tests) reuse the first one's trace.
        key = (model_or_name, input_shape if not isinstance(input_shape, list) else tuple(input_shape), batch,
               conv, dtype, replay_repeats, repr(sorted(overrides.items())))
        cached = _CACHE.get(key)
        if cached is not None:
            _CACHE.move_to_end(key)
            return cached.copy()

    with gc_paused():
        analysis = _analyze(model_or_name, input_shape, batch, dev, conv, back, dtype, replay_repeats, overrides)
    if key is not None:
        _CACHE[key] = analysis.copy()
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return analysis


def _analyze(model_or_name: str | torch.nn.Module, input_shape: str | tuple[int, ...] | None, batch: int | None,
             dev: Device, conv: Convention, back: Backend, dtype: str, replay_repeats: bool,
             overrides: dict[str, Any]) -> Analysis:
    native: tuple[int, ...] | None = None
    from_registry = False  # a zoo network built here, which no one else has held
    provenance: dict[str, Any] = {}
    if isinstance(model_or_name, str):
        resolved = resolve(model_or_name)
        name, native = resolved.name, resolved.input_shape
        example = resolved.example_shapes
        if input_shape is None and native is None and example is not None and len(example) == 1:
            input_shape = (batch or 1, *example[0][1:])  # a video clip: its exact shape, batch replaced
            provenance["input_source"] = resolved.input_source
        from_registry = resolved.entry is not None
        model = build_model(model_or_name, device=dev.value, **overrides)
        if dtype != "float32":
            model = model.to(DTYPES[dtype])  # a model built here is ours to convert
    elif isinstance(model_or_name, torch.nn.Module):
        model, name = model_or_name, type(model_or_name).__name__
        if overrides:
            raise UsageError("overrides apply to registry names only, not to a model instance")
    else:
        raise UsageError(f"expected a name or an nn.Module, got {type(model_or_name).__name__}")

    if input_shape is None:
        # A builder override can move the native input (EfficientNet's resolution=): the model then says so.
        native = getattr(model, "native_input", None) or native
        if native is None:
            raise UsageError(f"{name} is not in the zoo, so its input shape is needed (--input CxHxW)")
        shape = parse_shape("x".join(map(str, native)), batch=batch)
        if isinstance(model_or_name, str) and resolved.input_source is not None:
            provenance["input_source"] = resolved.input_source
    elif isinstance(input_shape, str):
        shape = parse_shape(input_shape, batch=batch)
    else:
        # A tuple is the exact example shape (any rank: 1-d and 3-d convolutions included).
        shape = tuple(int(d) for d in input_shape)
        if not shape or any(d <= 0 for d in shape):
            raise UsageError(f"input shape {shape} must have positive dimensions")

    analysis = _analyze_module(model, name, shape, dev, conv, back, dtype, replay=replay_repeats,
                               built_here=from_registry)
    if isinstance(model_or_name, str) and resolved.config:  # filled by the build: the published configuration
        provenance["config"] = dict(resolved.config)
    analysis.provenance.update(provenance)
    return analysis


_CACHE_SIZE = 64
_CACHE: OrderedDict[tuple[Any, ...], Analysis] = OrderedDict()


def _model_device(model: torch.nn.Module) -> str | None:
    for tensors in (model.parameters(), model.buffers()):
        for tensor in tensors:  # the first one says; materialising them all costs time on deep networks
            return tensor.device.type
    return None


def _analyze_module(model: torch.nn.Module, name: str, shape: tuple[int, ...], device: Device,
                    convention: Convention, backend: Backend, dtype: str, *, replay: bool = True,
                    built_here: bool = False) -> Analysis:
    named = list(model.named_modules())
    names = [n for n, _ in named]
    modules = [m for _, m in named]
    torch_dtype = DTYPES[dtype]
    held = _model_device(model)
    example = torch.zeros(shape, device=device.value, dtype=torch_dtype)
    forward: Any = model
    if held is not None and held != device.value:
        if device is not Device.META:
            raise DeviceError(f"the model's tensors are on {held}; analyse it there (--device {held}) or on meta")
        # Swap in meta stand-ins for the duration of the call (torch restores the originals): nothing is allocated
        # and the caller's model is untouched afterwards.
        # Parameters stay parameters (same trainability): the forward sees the model as it is, only without values.
        stand_ins = {k: torch.nn.Parameter(torch.empty_like(v, device="meta"), v.requires_grad)
                     for k, v in model.named_parameters()}
        stand_ins.update((k, torch.empty_like(v, device="meta")) for k, v in model.named_buffers())

        def through_stand_ins(x: torch.Tensor) -> Any:
            return torch.func.functional_call(model, stand_ins, (x,))

        forward = through_stand_ins

    if torch_dtype is not torch.float32 and held is not None:
        if any(p.dtype != torch_dtype for p in model.parameters()):
            raise UsageError(f"the model's parameters are not {dtype}; build it in {dtype} or analyse in float32")

    training = [m for m in modules if m.training]
    tracer = Tracer(modules, replay=replay, built_here=built_here, through_stand_ins=forward is not model)
    try:
        if training:
            if all(type(m).train is torch.nn.Module.train for m in modules):
                for m in training:  # what model.eval() does, without its per-module __setattr__
                    m.__dict__["training"] = False
            else:
                model.eval()
        with torch.no_grad():
            trace = tracer.run(forward, example)
    except ArchcostError:
        raise
    except Exception as error:
        raise _explain_failure(tracer, names, name, shape, error) from None
    finally:
        for m in modules:  # through __dict__: nn.Module.__setattr__ costs a millisecond per thousand modules
            m.__dict__["training"] = False
        for m in training:
            m.__dict__["training"] = True

    columns, totals = aggregate(names, modules, trace, convention)
    totals.update(peak_activation_bytes=trace.peak_live_bytes)
    analysis = Analysis(
        model=name, input_shape=shape, dtype=dtype, device=device.value, convention=convention, backend=backend,
        columns=columns, totals=totals, uncounted_ops=dict(sorted(trace.uncounted.items())), records=trace.records,
        torch_version=torch.__version__,
    )
    if backend is not Backend.NATIVE:
        from archcost.counting.backends import cross_check

        analysis.cross_check = cross_check(backend, model, example, analysis)
    return analysis
