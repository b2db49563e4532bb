"""``archcost.analyze``: build or take a model, trace one forward pass, and aggregate per layer.

Data flows one way: name + input shape -> registry -> builder (meta) -> tracer -> records -> layers -> totals.
The model is never mutated: training flags are restored, hooks removed and nothing is moved, also on error.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import torch

from archcost import argtypes
from archcost.counting.aggregate import aggregate
from archcost.counting.fast_paths import record_provenance
from archcost.counting.isolation import model_guard
from archcost.counting.opclass import Backend, Convention, Device
from archcost.counting.tracer import Trace, Tracer
from archcost import fallback
from archcost.diagnose import meta_refuses, mismatch, needs_data
from archcost.errors import (ArchcostError, ArgumentTypeError, DataDependentError, DeviceError, ForwardError,
                             InputMismatchError, InputTooSmallError, Option, ShapeError, UsageError, UserForwardError,
                             first_line, literal)
from archcost.gc_pause import gc_paused
from archcost.inputs import Example, from_user, make
from archcost.prepare import DTYPES, Prepared, prepare, rebuilt
from archcost.result import SCHEMA, Analysis  # noqa: F401  (archcost.analysis.Analysis stays importable)
from archcost.shapes import format_shape
from archcost.zoo import user_code
from archcost.zoo.resolve import Resolved


# Messages torch raises when a window no longer fits its input: the input is too small for the network.
_COLLAPSE_MESSAGES = ("output size is too small", "kernel size can't be greater", "smaller than kernel",
                      "non-positive", "input image", "padded input size")


def _check_device(device: Device) -> None:
    if device is Device.CUDA and not torch.cuda.is_available():
        raise DeviceError(f"$device was asked for but CUDA is not available here (torch {torch.__version__})",
                          Option("device", "cuda"))


def _explain_failure(tracer: Tracer, names: list[str], model_name: str, examples: list[Example],
                     error: BaseException, device: Device) -> ArchcostError:
    failure = tracer.failure
    index = failure.module if failure is not None else 0
    module = tracer.modules[index]
    kind = type(module).__name__
    if names[index]:
        who = f"{names[index]} ({kind})"
    else:  # the root: a model instance is named after its class already
        who = model_name if kind == model_name else f"{model_name} ({kind})"
    message = first_line(error)
    first = examples[0].shape
    seen = tracer.trace.calls[index].input_shape
    if device is Device.META:
        reason = needs_data(error, failure.op if failure is not None else None)
        if reason is not None:
            return DataDependentError(f"the forward of {model_name} needs tensor values, which meta tensors do not "
                                      f"have: {literal(reason)}, in {who}; analyse it on CPU ($device)",
                                      Option("device", "cpu"), reason=reason, where=who)
        refused = meta_refuses(error, failure.op if failure is not None else None)
        if refused is not None:  # a dtype or layout the meta kernel refuses and CPU takes: the same rerun
            return DataDependentError(f"the forward of {model_name} cannot run on meta: {literal(refused)}, in {who}; "
                                      "analyse it on CPU ($device)", Option("device", "cpu"), reason=refused, where=who)
    if isinstance(error, RuntimeError) and any(m in message.lower() for m in _COLLAPSE_MESSAGES):
        at = f" (its input is {format_shape(seen)})" if seen else ""
        return InputTooSmallError(
            f"input {format_shape(first)} is too small for {model_name}: the spatial size collapses at {who}{at}"
        )
    if isinstance(error, RuntimeError) and "size calculation overflowed" in message.lower():
        # An input under the door's bound (shapes.MAX_ELEMENTS) whose activations grow past what torch can size.
        return ShapeError(f"input {format_shape(first)} is too large for {model_name}: {who} would make a tensor "
                          f"torch cannot size ({message})")
    line = mismatch(module, who, seen, first, examples[0].typed_dims, error)
    if line is not None:
        return InputMismatchError(line)
    # An exception the user's own code raised is theirs, with their file and line; one raised inside torch keeps the
    # module it failed in and says where the user's code called it. A meta tensor's missing data is no one's bug.
    frame = user_code.user_frame(error) if "meta" not in message.lower() else None
    if frame is not None and user_code.raised_by_user(error):
        return UserForwardError(f"{user_code.where(frame)}: {type(error).__name__}: {message}")
    called = f" (from {user_code.where(frame)})" if frame is not None else ""
    return ForwardError(f"the forward of {model_name} failed in {who}: {type(error).__name__}: {message}{called}")


def analyze(
    model_or_name: str | Resolved | torch.nn.Module,
    input_shape: Any = None,
    *,
    batch: int | None = None,
    device: str = "auto", convention: str = "paper", backend: str = "native", dtype: str = "float32",
    replay_repeats: bool | None = None,
    mode: str = "inference", optimizer: str = "sgd", master_dtype: str | None = None, checkpoint: Sequence[str] = (),
    predict: Any = None,
    **overrides: Any,
) -> Analysis:
    """Count parameters and per-op costs of one inference forward pass, layer by layer.

    ``model_or_name`` is a registry name, ``torchvision:NAME``, ``timm:NAME``, ``package.module:callable``, what one
    of them resolved to (``zoo.resolve.Resolved``, as ``archcost.request.Request.target()`` gives it) or an
    ``nn.Module``. ``input_shape`` gives the forward's inputs; None takes the network's native input (``batch`` replaces its N).
    One rule for strings and tuples alike: a shape of three or fewer dimensions is per sample and gets the batch
    prepended (``batch``, default 1): ``"3x224x224"`` and ``(3, 224, 224)`` are (1, 3, 224, 224), ``"16x100"`` is
    (1, 16, 100); four or more dimensions are the exact example shape, batch included (``"1x3x16x112x112"``), and a
    ``batch`` that contradicts it is an error. A string may end in a dtype, ``"128:int64"`` (integer inputs are zeros,
    valid token ids), and start with a keyword name, ``"attention_mask=128:int64"``. An example tensor is exact.
    Several inputs: a list or tuple (one string, int tuple or tensor per positional argument of ``forward``;
    ``NAME=`` strings go by keyword) or a dict ``{name: input}``; a tuple of ints is always one shape.

    ``device="auto"`` (the default) runs on meta, where no weight and no activation is allocated; if the forward of a
    model that is not a registry network needs tensor values there (``nonzero``, ``nms``, ``.item()``), it is analysed
    again on CPU with random weights and inputs from a fixed seed (``provenance["fallback"]`` says so; a CPU instance
    keeps its own weights). ``"meta"`` is strict: such a forward is one error naming the op. ``"cpu"``/``"cuda"`` run
    real tensors. ``replay_repeats`` is deprecated and has no effect: every block is traced (the replay of repeated
    blocks was removed; the figures were the same). The model is never changed, also when its forward raises
    (``counting/isolation.py``).

    ``mode="train"`` counts one training step on meta (forward, loss, backward, ``optimizer`` step: sgd,
    sgd-momentum, adam, adamw; ``archcost/training/``); its ``memory`` takes ``master_dtype`` (float32 masters beside
    ``dtype`` weights) and ``checkpoint`` (blocks recomputed in the backward instead of keeping their activations).

    ``predict`` (inference only): ``"cpu"`` (this machine's profile, measured first if none is saved), a GPU datasheet
    name (``h100``, ``h200``, ``a100``, ``l4``, ``t4``) or a profile file or document: per layer ``predicted_ms`` and
    ``bound``, ``totals["predicted_ms"]``, ``provenance["device_profile"]`` (``archcost/predict/``).
    """
    _check_types(model_or_name, batch=batch, device=device, convention=convention, backend=backend, dtype=dtype,
                 mode=mode, optimizer=optimizer, master_dtype=master_dtype)
    _deprecated(replay_repeats)
    checkpoint = argtypes.names(checkpoint, "checkpoint")
    conv, back, dev = _checked(convention, backend, device, dtype, mode)
    _check_combination(predict, mode, back, dev)
    if mode == "train":
        return _train(model_or_name, input_shape, batch, dev, conv, dtype, optimizer, overrides,
                      {"master_dtype": master_dtype, "checkpoint": tuple(checkpoint)})
    with gc_paused():  # the prediction too: its thousands of small objects made the collector walk the analysis
        analysis = _analyze(model_or_name, input_shape, batch, dev, conv, back, dtype, overrides)
        if predict is not None:  # latency prediction (issue 24): archcost/predict/
            from archcost.predict.attach import attach

            attach(analysis, predict)
    return analysis


def _check_combination(predict: Any, mode: str, back: Backend, dev: Device) -> None:
    """Options that are valid alone but not together."""
    if predict is not None and mode == "train":
        raise UsageError("$predict predicts inference latency only; drop $mode", Option("predict"),
                         Option("mode", "train"))
    if mode != "train" and back is Backend.FVCORE and dev in (Device.META, Device.AUTO):
        raise UsageError("$backend traces real tensors and cannot run on meta; add $device",
                         Option("backend", "fvcore"), Option("device", "cpu"))


def _deprecated(replay_repeats: Any) -> None:
    if replay_repeats is not None:
        argtypes.flag(replay_repeats, "replay_repeats")
        warnings.warn("analyze(replay_repeats=...) has no effect: every block is traced", DeprecationWarning,
                      stacklevel=3)


def _train(model_or_name: str | Resolved | torch.nn.Module, input_shape: Any, batch: int | None, dev: Device,
           conv: Convention, dtype: str, optimizer: str, overrides: dict[str, Any],
           memory_options: dict[str, Any]) -> Analysis:
    """The same pipeline with a training step: prepared on meta (auto means meta here), then the step traced."""
    from archcost.training import engine

    chosen = engine.check_train(optimizer, dev)
    given = from_user(input_shape, batch=batch, dtype=dtype) if input_shape is not None else None
    prepared = prepare(model_or_name, Device.META, dtype, overrides, given, batch)
    return engine.train_analysis(prepared, dtype=dtype, convention=conv, optimizer=chosen,
                                 memory_options=memory_options)


def _check_types(model_or_name: Any, *, batch: Any, master_dtype: Any, **choices: Any) -> None:
    """Each argument of the wrong type is one error naming it (archcost/argtypes.py), before any is used."""
    from archcost.training.optimizers import Optimizer

    if not isinstance(model_or_name, (str, torch.nn.Module, Resolved)):  # Resolved: a name looked up already
        raise ArgumentTypeError(f"model_or_name takes a network name or import path (a string) or an nn.Module, "
                                f"got {type(model_or_name).__name__} {model_or_name!r}")
    argtypes.whole_number(batch, "batch")
    accepted: dict[str, Any] = {"device": Device, "convention": Convention, "backend": Backend, "dtype": DTYPES,
                "mode": ("inference", "train"), "optimizer": Optimizer}
    for name, value in choices.items():
        options = ", ".join(str(getattr(c, "value", c)) for c in accepted[name])
        argtypes.text(value, name, accepts=f"a string, one of {options}")
    argtypes.text(master_dtype, "master_dtype", optional=True, accepts=f"a string, one of {', '.join(DTYPES)}")


def _checked(convention: str, backend: str, device: str, dtype: str, mode: str) -> tuple[Convention, Backend, Device]:
    """The closed options of :func:`analyze`, each checked: one UsageError naming the choices."""
    try:
        conv, back, dev = Convention(convention), Backend(backend), Device(device)
    except ValueError as error:
        raise UsageError(str(error)) from None
    if dtype not in DTYPES:
        raise UsageError(f"unknown dtype {dtype!r}; choose one of {', '.join(DTYPES)}")
    _check_device(dev)
    if mode not in ("inference", "train"):
        raise UsageError(f"unknown mode {mode!r}; choose inference or train")
    return conv, back, dev


def _analyze(model_or_name: str | Resolved | torch.nn.Module, input_shape: Any, batch: int | None,
             dev: Device, conv: Convention, back: Backend, dtype: str,
             overrides: dict[str, Any]) -> Analysis:
    first_device = Device.META if dev is Device.AUTO else dev
    given = from_user(input_shape, batch=batch, dtype=dtype) if input_shape is not None else None
    prepared = prepare(model_or_name, first_device, dtype, overrides, given, batch)
    examples = prepared.examples
    if back is not Backend.NATIVE and (len(examples) != 1 or examples[0].name is not None):
        raise UsageError("$backend cross-checks a forward of one positional input; "
                         f"{len(examples)} inputs were given", Option("backend", back.value))
    used = [prepared]  # the CPU fallback prepares the network again, from what it resolved to

    def count_on(module: torch.nn.Module, device: Device, random_inputs: bool = False) -> Analysis:
        return _analyze_module(used[-1], device, conv, back, dtype, random_inputs=random_inputs)

    def build_on_cpu() -> torch.nn.Module:
        used.append(rebuilt(prepared, Device.CPU, dtype, overrides, given))
        return used[-1].model

    try:
        analysis = count_on(prepared.model, first_device)
    except DataDependentError as error:
        if dev is not Device.AUTO or prepared.learned.owned:
            raise
        analysis = (fallback.rerun(error, model=prepared.model, build=None, count_on=count_on)
                    if prepared.resolved is None else
                    fallback.rerun(error, model=None, build=build_on_cpu, count_on=count_on))
    used[-1].learned.record(analysis.provenance)
    return analysis


def _model_device(model: torch.nn.Module) -> str | None:
    for tensors in (model.parameters(), model.buffers()):
        for tensor in tensors:  # the first one says; materialising them all costs time on deep networks
            return tensor.device.type
    return None


def _analyze_module(prepared: Prepared, device: Device, convention: Convention, backend: Backend, dtype: str, *,
                    random_inputs: bool = False) -> Analysis:
    model, modules, examples = prepared.model, prepared.modules, prepared.examples
    held = _model_device(model)
    args, kwargs = make(examples, device=device.value, random=random_inputs)
    if held is not None and held != device.value and device is not Device.META:
        raise DeviceError(f"the model's tensors are on {held}; analyse it there ($device) or on meta",
                          Option("device", held))
    torch_dtype = DTYPES[dtype]
    if torch_dtype is not torch.float32 and held is not None:
        if any(p.dtype != torch_dtype for p in model.parameters()):
            raise UsageError(f"the model's parameters are not {dtype}; build it in {dtype} or analyse in float32")

    trace = _trace_forward(prepared, device, args, kwargs)
    columns, totals = aggregate(prepared.names, modules, trace, convention, prepared.learned.stochastic)
    totals["peak_activation_bytes"] = trace.peak_live_bytes
    analysis = Analysis(
        model=prepared.name, input_shape=examples[0].shape, dtype=dtype, device=device.value, convention=convention,
        backend=backend, columns=columns, totals=totals, uncounted_ops=dict(sorted(trace.uncounted.items())),
        records=trace.records, torch_version=torch.__version__,
        provenance={"inputs": [e.describe() for e in examples]},
    )
    record_provenance(analysis.provenance, trace.fast_paths, trace.devices, (r.op for r in trace.records), modules)
    analysis.provenance["replay"] = False  # kept for readers of provenance: no block is copied any more
    if backend is not Backend.NATIVE:
        from archcost.counting.backends import cross_check

        # The cross-check runs the forward again, so under the guard too; without the write watch for fvcore,
        # whose JIT trace a dispatch mode would disturb.
        watch = backend is not Backend.FVCORE
        with model_guard(modules, device=device.value, owned=prepared.learned.owned, watch_writes=watch):
            analysis.cross_check = cross_check(backend, model, args[0], analysis)
    return analysis


def _trace_forward(prepared: Prepared, device: Device, args: list[Any], kwargs: dict[str, Any]) -> Trace:
    """One inference forward of the prepared model, traced in eval mode under the model guard; the model's
    training flags are put back, also on error."""
    model, modules = prepared.model, prepared.modules
    training = [m for m in modules if m.training]
    tracer = Tracer(modules)
    try:
        # The guard swaps a real model's tensors for meta stand-ins on meta, undoes in-place writes on a real
        # device, and puts back every attribute the forward set (counting/isolation.py).
        with model_guard(modules, device=device.value, owned=prepared.learned.owned):
            if training:
                if all(type(m).train is torch.nn.Module.train for m in modules):
                    for m in training:  # what model.eval() does, without its per-module __setattr__
                        m.__dict__["training"] = False
                else:
                    model.eval()
            with torch.no_grad():
                return tracer.run(model, *args, **kwargs)
    except ArchcostError:
        raise
    except Exception as error:
        raise _explain_failure(tracer, prepared.names, prepared.name, prepared.examples, error, device) from None
    finally:
        for m in modules:  # through __dict__: nn.Module.__setattr__ costs a millisecond per thousand modules
            m.__dict__["training"] = False
        for m in training:
            m.__dict__["training"] = True

