"""The calibration properties: each takes a ``NetSpec`` and returns None (it holds) or a ``Finding``.

A finding carries a short ``signature`` (which ops or classes disagree, what changed in the model, the exception) so
that ``benchmarks/calibrate.py`` can count distinct failures and shrink each to its smallest network, and a
``detail`` with the figures. The tests assert that a property returns None and print the finding otherwise.

- ``paper_vs_flop_counter``: the ``paper`` ops of a meta analysis equal ``FlopCounterMode`` total / 2 of the same
  meta model's forward (eval mode, no grad: what the analysis runs).
- ``meta_vs_cpu``: every op class total (adds, muls, cmps, divs, exps, norm, macs) is the same on meta and on CPU.
- ``unchanged``: analysing a model (held on CPU, analysed on meta and on CPU; held on meta, analysed on meta) leaves
  it as it was: the same module objects, ``__dict__`` keys and training flags, the same parameter and buffer objects
  with the same values, devices, dtypes and trainability.
- ``counted``: nothing that computes is left in ``uncounted_ops`` (on meta or on CPU); only pure data movement may
  be, until every such op has class ``none``.
- ``train_vs_flop_counter``: a train-mode analysis's forward + backward MACs equal ``FlopCounterMode``'s count of the
  same step / 2 (tests/flop_reference.py: torch 2.13's grouped-convolution backward formula corrected); a network
  torch itself cannot train is refused with a usage error.
- ``train_memory``: the training memory a train-mode analysis reads off its own trace equals the one
  ``training_memory`` traces apart, and saved activations are not negative.
- ``memory_meta_vs_cpu``: ``memory_bytes`` and ``peak_activation_bytes`` are the same on meta (the default
  analysis, replay on) and on CPU.
- ``saved_vs_cpu``: a train-mode analysis's ``saved_activation_bytes`` (traced on meta) equals the distinct storages
  ``saved_tensors_hooks`` captures in a real CPU forward with archcost's loss, parameters and buffers apart (a view
  counts its base's whole storage, a tensor of its own the bytes it reaches: a kernel's spare capacity is allocator
  slack, see ``_held_bytes``). The
  real step runs the unfused path the analysis counts (counting/fast_paths.py): CPU's fused kernels save other
  tensors (flash attention a log-sum-exp instead of the attention weights, the C++ LSTM its own workspace).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Callable

import torch
from netspec import NetSpec, build
from torch.utils.flop_counter import FlopCounterMode

import archcost
from archcost.errors import ForwardError, UsageError

CLASSES = ("macs", "adds", "muls", "cmps", "divs", "exps", "norm")

# Ops that move or view data and compute nothing: tolerated in uncounted_ops until they are given class none.
DATA_MOVEMENT = frozenset({
    "arange", "index", "roll", "as_strided_", "unsafe_split", "unsafe_chunk", "split_with_sizes", "unbind",
    "record_function_enter_new", "record_function_exit", "_record_function_enter_new", "_record_function_exit",
    "lift_fresh", "detach_", "set_", "resize_", "contiguous", "clone", "alias", "_unsafe_view", "repeat",
    "constant_pad_nd", "reflection_pad1d", "reflection_pad2d", "reflection_pad3d", "replication_pad1d",
    "replication_pad2d", "replication_pad3d", "_pad_circular", "pad", "narrow", "slice_scatter", "copy_", "fill_",
    "zero_", "new_zeros", "new_empty", "empty_like", "zeros_like", "ones_like", "full_like", "scalar_tensor",
    "masked_fill", "masked_fill_", "tril", "triu", "ones", "zeros", "empty", "full", "logical_not", "transpose_",
})


@dataclass(frozen=True)
class Finding:
    prop: str
    signature: str  # what kind of failure, independent of the network's sizes
    detail: str  # the figures

    def __str__(self) -> str:
        return f"{self.prop}: {self.signature}\n{self.detail}"


def _quiet(call: Callable[[], Any]) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return call()


def _analyze(model: torch.nn.Module, spec: NetSpec, **options: Any) -> archcost.Analysis:
    # An example tensor is the exact input shape (a tuple of three or fewer dimensions would get a batch in front).
    return _quiet(lambda: archcost.analyze(model, torch.zeros(spec.input_shape), **options))


def _op_macs(analysis: archcost.Analysis) -> dict[str, int]:
    per_op: dict[str, int] = {}
    for record in analysis.records or ():
        for term in record.terms or ():
            if term.op_class.value == "macs":
                per_op[record.op] = per_op.get(record.op, 0) + term.count
    return per_op


def paper_vs_flop_counter(spec: NetSpec) -> Finding | None:
    model = build(spec, "meta")
    ops = _analyze(model, spec).totals["ops"]
    model.eval()  # ours: built for this check
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        _quiet(lambda: model(torch.zeros(spec.input_shape, device="meta")))
    reference = counter.get_total_flops() // 2
    if ops == reference:
        return None
    theirs = {str(op).split(".")[1]: n // 2 for op, n in counter.get_flop_counts().get("Global", {}).items()}
    ours = _op_macs(_analyze(build(spec, "meta"), spec))
    differ = sorted(op for op in set(theirs) | set(ours) if theirs.get(op, 0) != ours.get(op, 0))
    return Finding("paper_vs_flop_counter", "ops differ: " + ", ".join(differ),
                   f"paper ops {ops:,} vs FlopCounterMode/2 {reference:,}; per op ours {ours} theirs {theirs}")


def meta_vs_cpu(spec: NetSpec) -> Finding | None:
    meta_analysis = _analyze(build(spec, "meta"), spec)
    cpu_analysis = _analyze(build(spec, "cpu"), spec, device="cpu")
    meta, cpu = meta_analysis.totals, cpu_analysis.totals
    differ = [c for c in CLASSES if meta[c] != cpu[c]]
    if not differ:
        return None
    figures = ", ".join(f"{c} meta {meta[c]:,} cpu {cpu[c]:,}" for c in differ)
    only_cpu = sorted(set(cpu_analysis.uncounted_ops) - set(meta_analysis.uncounted_ops) - DATA_MOVEMENT)
    # One cause per signature (the first op only the CPU leaves uncounted), so that one kernel is one failure.
    cause = f"{only_cpu[0]} uncounted on cpu only" if only_cpu else f"{'/'.join(differ)} differ"
    return Finding("meta_vs_cpu", cause,
                   f"{figures}; cpu uncounted {dict(cpu_analysis.uncounted_ops)}")


def _snapshot(model: torch.nn.Module) -> list[Any]:
    """What the model is: module objects, their attribute names and flags, every tensor they hold (by identity,
    device, dtype, shape, trainability and, off meta, a copy of its values)."""
    state: list[Any] = []
    for name, module in model.named_modules(remove_duplicate=False):
        held = module.__dict__
        tensors = {**{f"attr:{k}": v for k, v in held.items() if isinstance(v, torch.Tensor)},
                   **{f"param:{k}": v for k, v in held["_parameters"].items()},
                   **{f"buffer:{k}": v for k, v in held["_buffers"].items()}}
        described = {k: None if t is None else (id(t), type(t).__name__, t.device.type, t.dtype, tuple(t.shape),
                                                t.requires_grad, None if t.is_meta else t.detach().clone())
                     for k, t in tensors.items()}
        state.append((name, id(module), tuple(sorted(held)), module.training, described))
    state.append(("state_dict", tuple((k, id(v)) for k, v in model.state_dict(keep_vars=True).items())))
    return state


def _changes(before: list[Any], after: list[Any]) -> list[tuple[str, str]]:
    """(where, what changed) for each difference between two snapshots."""
    changes = []
    for old, new in zip(before, after):
        if old[0] == "state_dict":
            if old != new:
                changes.append(("state_dict", "entries replaced"))
            continue
        name = old[0] or "<root>"
        if old[1] != new[1]:
            changes.append((name, "module object replaced"))
        if old[2] != new[2]:
            added, removed = sorted(set(new[2]) - set(old[2])), sorted(set(old[2]) - set(new[2]))
            changes.append((name, f"__dict__ keys added {added} removed {removed}"))
        if old[3] != new[3]:
            changes.append((name, f"training {old[3]} -> {new[3]}"))
        for key in sorted(set(old[4]) | set(new[4])):
            a, b = old[4].get(key), new[4].get(key)
            if a is None or b is None:
                if a is not b:
                    changes.append((f"{name}.{key}", "added" if a is None else "removed"))
                continue
            if a[:6] != b[:6]:
                what = "device" if a[2] != b[2] else "object" if a[0] != b[0] else "metadata"
                changes.append((f"{name}.{key}", f"{key.split(':')[0]} {what} changed ({a[2]} -> {b[2]})"))
            elif a[6] is not None and not torch.equal(a[6], b[6]):
                changes.append((f"{name}.{key}", f"{key.split(':')[0]} values changed"))
    if len(before) != len(after):
        changes.append(("model", f"module count {len(before)} -> {len(after)}"))
    return changes


def unchanged(spec: NetSpec) -> Finding | None:
    found = []
    for held, device in (("cpu", "meta"), ("cpu", "cpu"), ("meta", "meta")):
        model = build(spec, held)
        before = _snapshot(model)
        try:
            _analyze(model, spec, device=device)
        finally:
            changes = _changes(before, _snapshot(model))
        if changes:
            found.append((f"held on {held}, analysed on {device}", changes))
    if not found:
        return None
    # The signature keeps what changed and on which path, not where: module names depend on the network's layout.
    kinds = sorted({f"{path.split(', ')[1]} of a model {path.split(', ')[0]}: {what}"
                    for path, changes in found for _, what in changes})
    return Finding("unchanged", "; ".join(kinds),
                   "\n".join(f"{path}: " + ", ".join(f"{where} {what}" for where, what in changes[:6])
                             for path, changes in found))


def counted(spec: NetSpec) -> Finding | None:
    uncounted: dict[str, set[str]] = {}
    for device in ("meta", "cpu"):
        analysis = _analyze(build(spec, device), spec, device=device)
        for op in analysis.uncounted_ops:
            if op not in DATA_MOVEMENT:
                uncounted.setdefault(op, set()).add(device)
    if not uncounted:
        return None
    return Finding("counted", "uncounted: " + min(uncounted),  # one op per signature: one missing rule
                   ", ".join(f"{op} on {'/'.join(sorted(d))}" for op, d in sorted(uncounted.items())))


def _trainable(spec: NetSpec) -> torch.nn.Module | None:
    model = build(spec, "meta")
    return model if any(p.requires_grad for p in model.parameters()) else None


def _refused(spec: NetSpec) -> Finding | None | bool:
    """A network torch itself cannot train (batch or instance norm over one value per channel raises in train
    mode): archcost must refuse it in one line too. False when torch trains it."""
    from flop_reference import training_step_flops

    try:
        _quiet(lambda: training_step_flops(build(spec, "meta"), torch.zeros(spec.input_shape, device="meta")))
    except Exception:  # noqa: BLE001 - whatever torch raises, archcost's answer must be one line of its own
        try:
            _analyze(build(spec, "meta"), spec, mode="train", optimizer="sgd")
        except (UsageError, ForwardError):  # a torch error under the user's forward says where (exit 1), as inference
            return None
        return Finding("train_refused", "torch cannot train it, archcost answers", "")
    return False


def _train_case(spec: NetSpec) -> tuple[torch.nn.Module | None, Finding | None]:
    """The model a train-mode property checks, or (None, the property's answer) when there is none to check: no
    trainable parameter (None: --mode train refuses such a model, tested apart), or a network torch itself cannot
    train (what _refused finds)."""
    model = _trainable(spec)
    if model is None:
        return None, None
    refused = _refused(spec)
    if refused is not False:
        return None, refused  # type: ignore[return-value]
    return model, None


def train_vs_flop_counter(spec: NetSpec) -> Finding | None:
    from flop_reference import training_step_flops

    model, answer = _train_case(spec)
    if model is None:
        return answer
    totals = _analyze(model, spec, mode="train", optimizer="sgd").totals
    ours = totals["forward_macs"] + totals["backward_macs"]
    reference = _quiet(lambda: training_step_flops(build(spec, "meta"), torch.zeros(spec.input_shape,
                                                                                 device="meta"))) // 2
    if ours == reference:
        return None
    return Finding("train_vs_flop_counter", "step MACs differ",
                   f"forward+backward {ours:,} vs FlopCounterMode/2 {reference:,}")


def train_memory(spec: NetSpec) -> Finding | None:
    from archcost.training.memory import training_memory

    model, answer = _train_case(spec)
    if model is None:
        return answer
    memory = _analyze(model, spec, mode="train", optimizer="adam").provenance["memory"]
    apart = _quiet(lambda: training_memory(build(spec, "meta"), torch.zeros(spec.input_shape, device="meta"),
                                           optimizer="adam"))
    fields = ("saved_activation_bytes", "backward_transient_bytes", "peak_train_bytes")
    differ = [f for f in fields if memory[f] != getattr(apart, f)]
    if not differ:
        return None
    return Finding("train_memory", "differs: " + ", ".join(differ),
                   ", ".join(f"{f} analysis {memory[f]:,} apart {getattr(apart, f):,}" for f in differ))


def memory_meta_vs_cpu(spec: NetSpec) -> Finding | None:
    meta = _analyze(build(spec, "meta"), spec).totals
    cpu = _analyze(build(spec, "cpu"), spec, device="cpu").totals
    differ = [k for k in ("memory_bytes", "peak_activation_bytes") if meta[k] != cpu[k]]
    if not differ:
        return None
    return Finding("memory_meta_vs_cpu", "differs: " + ", ".join(differ),
                   ", ".join(f"{k} meta {meta[k]:,} cpu {cpu[k]:,}" for k in differ))


def _real_saved_bytes(model: torch.nn.Module, x: torch.Tensor) -> int:
    """What a real CPU forward in train mode leaves autograd for the backward: distinct storages, parameters and
    buffers apart (they are model state, not the step's)."""
    from archcost.counting.fast_paths import unfused
    from archcost.training.loss import form_loss

    from saved_reference import saved_storages

    with unfused([]):
        return saved_storages(model, lambda: _quiet(lambda: form_loss(model(x))), held=_held_bytes)["step"]


def _held_bytes(t: torch.Tensor) -> int:
    """The bytes a saved tensor keeps alive: those its base tensor reaches (a view keeps its whole base, a tensor of
    its own is its own base). Not the storage's size: CPU's slow_conv_transpose3d resizes its output inside a larger
    scratch storage (a 1x1x1 kernel from 2 channels to 1: 108 tensor bytes in 216), spare capacity like allocator
    slack, which no device-independent figure (the meta trace's) can see."""
    base = t._base if t._base is not None else t
    if base.numel() == 0:
        return 0
    reach = base.storage_offset() + sum((n - 1) * st for n, st in zip(base.shape, base.stride())) + 1
    return reach * base.element_size()


def saved_vs_cpu(spec: NetSpec) -> Finding | None:
    model, answer = _train_case(spec)
    if model is None:
        return answer
    ours = _analyze(model, spec, mode="train", optimizer="sgd").provenance["memory"]["saved_activation_bytes"]
    torch.manual_seed(0)
    real = _real_saved_bytes(build(spec, "cpu"), torch.randn(spec.input_shape))
    if ours == real:
        return None
    return Finding("saved_vs_cpu", "saved bytes differ", f"saved_activation_bytes meta {ours:,} real cpu {real:,}")


PROPERTIES: dict[str, Callable[[NetSpec], Finding | None]] = {
    "paper_vs_flop_counter": paper_vs_flop_counter, "meta_vs_cpu": meta_vs_cpu,
    "unchanged": unchanged, "counted": counted, "train_vs_flop_counter": train_vs_flop_counter,
    "train_memory": train_memory, "memory_meta_vs_cpu": memory_meta_vs_cpu, "saved_vs_cpu": saved_vs_cpu,
}


def check(prop: str, spec: NetSpec) -> Finding | None:
    """The property's finding; an analysis that raises is a finding too (named by its exception)."""
    try:
        return PROPERTIES[prop](spec)
    except Exception as error:  # noqa: BLE001 - a crash is what the calibration reports
        line = (str(error).strip().splitlines() or [""])[0]
        return Finding(prop, f"raises {type(error).__name__}: {line[:80]}", f"{type(error).__name__}: {line}")
