"""Trace one training step under the project's dispatch-mode tracer, attributing backward ops to modules.

Attribution of the backward: autograd nodes carry no module stack, so each node is tagged when its module's forward
returns. A module's forward post-hook walks the autograd graph back from its output and tags every node not yet
tagged with that module; post-hooks run innermost first, so a node belongs to the innermost module whose forward
created it (as a forward op does). Nodes reached from the inputs (created before the module ran) are tagged already
or are the inputs' own, where the walk stops. In the backward, each op asks autograd which node is running it
(torch_compat.current_autograd_node) and lands on that node's module; an op the engine runs between nodes (summing
a gradient used twice) stays with the module of the node before, as a per-node pre-hook would put it (one hook per
node cost more than the rest of a ResNet-1202 step). This is exact on a single-threaded backward (meta and CPU run
every node on the calling thread, one at a time).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import torch

from archcost import torch_compat
from archcost.counting.formulas import Term
from archcost.counting.opclass import OpClass
from archcost.counting.records import OpRecord
from archcost.counting.tracer import Trace, Tracer, _first_tensor_in
from archcost.torch_compat import storage_key
from archcost.counting import backward_rules
from archcost.training.loss import form_loss
from archcost.training.optimizers import Optimizer, make


class Phase(StrEnum):
    FORWARD = "forward"
    LOSS = "loss"
    BACKWARD = "backward"
    WARMUP = "warmup"  # the optimizer's first step, which creates its state: not counted
    OPTIMIZER = "optimizer"


@dataclass
class SavedTensors:
    """What autograd saved for the backward in this step (training memory is read from it: training/memory.py).

    One entry per storage (views and tensors sharing memory count once; the model's parameters and buffers are
    not activations), the module whose forward saved it first, and the most bytes one backward op produced."""

    bytes_by_storage: dict[int, int] = field(default_factory=dict)
    owner: dict[int, int] = field(default_factory=dict)  # storage key -> module index
    largest_backward_output_bytes: int = 0


@dataclass
class TrainTrace:
    trace: Trace
    phases: list[Phase] = field(default_factory=list)  # one per record
    weight_grad: list[bool] = field(default_factory=list)  # per record: a backward op computing a parameter's grad
    split_terms: dict[int, tuple[tuple[Any, ...], tuple[Any, ...]]] = field(default_factory=dict)
    input_needs_grad: list[bool | None] = field(default_factory=list)  # per module: None where never called
    loss: str = ""
    saved: SavedTensors = field(default_factory=SavedTensors)


class TrainTracer(Tracer):
    """The inference tracer plus a phase per op and, in the backward, the split into grad-input and grad-weight."""

    def __init__(self, modules: list[torch.nn.Module]) -> None:
        super().__init__(modules)
        self.phase = Phase.FORWARD
        self.phases: list[Phase] = []
        self.split_terms: dict[int, tuple[tuple[Any, ...], tuple[Any, ...]]] = {}
        self.weight_grad: list[bool] = []
        self.saved = SavedTensors()
        self.state_storages: set[int] = set()  # the model's parameters and buffers: saved, but not activations
        self.input_needs_grad: list[bool | None] = [None] * len(modules)  # per module: None where never called
        self.tags: dict[Any, int] = {}  # autograd node -> the module whose forward made it
        self._shapes: dict[int, frozenset[tuple[int, ...]]] = {}

    def pack(self, tensor: torch.Tensor) -> Any:
        """saved_tensors_hooks' pack: note the storage autograd keeps for the backward (the tensor is unchanged)."""
        key = storage_key(tensor)
        if key in self.state_storages:
            return tensor
        saved = self.saved
        nbytes = tensor.untyped_storage().nbytes()
        if key not in saved.bytes_by_storage:
            saved.bytes_by_storage[key] = nbytes
            saved.owner[key] = self.stack[-1]
        return tensor

    def __torch_dispatch__(self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: Any = None) -> Any:
        if self.phase is Phase.BACKWARD:
            self._attribute(torch_compat.current_autograd_node())
        start = len(self.trace.records)
        out = super().__torch_dispatch__(func, types, args, kwargs)
        name = func.overloadpacket.__name__
        flat = out if isinstance(out, (tuple, list)) else (out,)
        if self.phase is Phase.BACKWARD:
            produced = {storage_key(t): t.untyped_storage().nbytes() for t in flat if isinstance(t, torch.Tensor)}
            self.saved.largest_backward_output_bytes = max(self.saved.largest_backward_output_bytes,
                                                           sum(produced.values()))
        for i in range(start, len(self.trace.records)):
            self.phases.append(self.phase)
            weight = False
            if self.phase is Phase.BACKWARD:
                split = backward_rules.split(name, args, kwargs or {}, out)
                if split is not None:
                    self.split_terms[i] = split
                else:
                    module = self.trace.records[i].module
                    weight = _is_weight_grad(self._trainable_shapes(module), out, self.trace.calls[module].input_shape)
            self.weight_grad.append(weight)
        return out

    def _trainable_shapes(self, module: int) -> frozenset[tuple[int, ...]]:
        """The shapes (and transposed shapes) of a module's own trainable parameters, once per module."""
        found = self._shapes.get(module)
        if found is None:
            params = [p for p in self.modules[module].parameters(recurse=False) if p.requires_grad]
            found = frozenset(s for p in params for s in (tuple(p.shape), tuple(reversed(p.shape))))
            self._shapes[module] = found
        return found

    def _attribute(self, node: Any) -> None:
        """A backward op belongs to the module whose forward made the autograd node running it (``tags``); ops the
        engine runs between nodes (summing a gradient used twice) stay with the module of the node before."""
        module = self.tags.get(node)
        if module is not None and module != self.stack[-1]:
            self.stack[-1] = module


def _is_weight_grad(shapes: frozenset[tuple[int, ...]], out: Any, input_shape: tuple[int, ...] | None) -> bool:
    """An op of a module's backward that is not split by an output mask (linear's mm, a bias's sum) computes a
    parameter's gradient when its result has the shape of one of the module's own parameters (or its transpose)
    and not the shape of the module's input; see the README for the one ambiguity (batch equal to out_features)."""
    first = _first_tensor_in(out)
    if first is None:
        return False
    shape = tuple(first.shape)
    if input_shape is not None and shape == tuple(input_shape):
        return False
    return shape in shapes


def _tag_graph(root: Any, module_index: int, tags: dict[Any, int]) -> None:
    stack = [root]
    while stack:
        node = stack.pop()
        if node is None or node in tags:
            continue
        tags[node] = module_index
        stack.extend(n for n, _ in node.next_functions)


def trace_step(model: torch.nn.Module, modules: list[torch.nn.Module], args: tuple[Any, ...],
               kwargs: dict[str, Any], optimizer: Optimizer) -> TrainTrace:
    """Forward (train mode), loss, backward and optimizer step of ``model`` under one tracer. Hooks and grads are
    removed afterwards, also when a phase raises."""
    from torch.nn.modules.module import (
        register_module_forward_hook,
        register_module_forward_pre_hook,
    )

    index = {id(m): i for i, m in enumerate(modules)}
    tracer = TrainTracer(modules)
    tags = tracer.tags
    input_grad = tracer.input_needs_grad
    result: dict[str, Any] = {}

    def pre(module: torch.nn.Module, inputs: tuple[Any, ...]) -> None:
        i = index.get(id(module))
        first = _first_tensor_in(inputs)
        if i is not None and first is not None:
            input_grad[i] = bool(input_grad[i]) or first.requires_grad

    def post(module: torch.nn.Module, inputs: tuple[Any, ...], output: Any) -> None:
        i = index.get(id(module))
        first = _first_tensor_in(output)
        if i is not None and first is not None and first.grad_fn is not None:
            _tag_graph(first.grad_fn, i, tags)

    def step(*a: Any, **k: Any) -> Any:
        # Every tensor the forward and the loss save is noted (training memory); the backward saves none.
        with torch.autograd.graph.saved_tensors_hooks(tracer.pack, _unpack):
            output = model(*a, **k)
            root_output = _first_tensor_in(output)
            if root_output is not None and root_output.grad_fn is not None:
                _tag_graph(root_output.grad_fn, 0, tags)
            tracer.phase = Phase.LOSS
            stack_top = tracer.stack[-1]
            loss, result["loss"] = form_loss(output)
        tracer.phase = Phase.BACKWARD
        loss.backward()
        tracer.stack[-1] = stack_top
        tracer.phase = Phase.OPTIMIZER
        _optimizer_step(tracer, modules, optimizer)
        return output

    params = [p for p in model.parameters() if p.requires_grad]
    tracer.state_storages = {storage_key(t) for t in (*model.parameters(), *model.buffers())}
    handles = [register_module_forward_pre_hook(pre), register_module_forward_hook(post)]
    try:
        trace = tracer.run(step, *args, **kwargs)
    finally:
        for h in handles:
            h.remove()
        for p in params:
            p.grad = None
        tags.clear()
    return TrainTrace(trace, tracer.phases, tracer.weight_grad, tracer.split_terms, input_grad, result["loss"],
                      tracer.saved)


torch_compat.never_compiled(TrainTracer)  # as in counting/tracer.py: the first step would import torch._dynamo


def _unpack(packed: Any) -> torch.Tensor:
    return packed


@dataclass(frozen=True)
class _StepTemplate:
    """One module's traced optimizer step: its records, the ops it ran without a rule, and the live bytes it added
    at its peak (its state and temporaries, all freed after the step)."""

    records: tuple[Any, ...]
    uncounted: Counter[str]
    inner_peak_bytes: int

    def encode(self) -> dict[str, Any]:
        """The document the disk store keeps (cache.STEPS): plain JSON, the module index left out."""
        records = [[r.op, None if r.terms is None else [[t.op_class.value, t.count, t.formula,
                                                         [list(v) for v in t.values], t.origin] for t in r.terms],
                    r.bytes_in, r.bytes_out, [list(shape) for shape in r.shapes]] for r in self.records]
        return {"records": records, "uncounted": dict(self.uncounted), "inner_peak_bytes": self.inner_peak_bytes}

    @staticmethod
    def decode(document: dict[str, Any]) -> _StepTemplate:
        """The template back from :meth:`encode`'s document; a malformed one raises (the store calls it a miss)."""
        def term(op_class: str, count: int, formula: str, values: list[Any], origin: str) -> Term:
            return Term(OpClass(op_class), int(count), str(formula), tuple((str(a), int(b)) for a, b in values),
                        str(origin))

        records = tuple(OpRecord(-1, str(op), None if terms is None else tuple(term(*t) for t in terms),
                                 int(bytes_in), int(bytes_out), tuple(tuple(int(n) for n in s) for s in shapes))
                        for op, terms, bytes_in, bytes_out, shapes in document["records"])
        if not records:  # an optimizer step always updates something: an empty one would show 0 ops
            raise ValueError("an optimizer step with no records")
        uncounted = Counter({str(k): int(v) for k, v in document["uncounted"].items()})
        return _StepTemplate(records, uncounted, int(document["inner_peak_bytes"]))


def _optimizer_step(tracer: TrainTracer, modules: list[torch.nn.Module], optimizer: Optimizer) -> None:
    """One optimizer per module's own parameters, so each update is attributed to the module holding it.

    A single-tensor (foreach off) torch.optim step on meta tensors is a function of its settings and of the metadata
    of the parameters and gradients it updates: there are no values to branch on. A module whose tensors match a
    step traced before (in this analysis or an earlier one: cache.OPTIMIZER_STEPS) gets that step's records; on
    meta the elementwise kernels' Python shape logic would dominate the analysis otherwise (ResNet-50: 161
    parameter sets, 34 distinct)."""
    from archcost import cache

    default_dtype = str(torch.get_default_dtype())
    for i, module in enumerate(modules):
        # module.parameters(recurse=False), without its generator machinery (a ResNet-1202 has 5,410 modules)
        own = list(dict.fromkeys(p for p in module.__dict__["_parameters"].values()
                                 if p is not None and p.requires_grad and p.grad is not None))
        if not own:
            continue
        metadata = tuple((tuple(t.shape), t.stride(), str(t.dtype)) for p in own for t in (p, p.grad))
        key = cache.optimizer_step_key(optimizer.value, metadata, default_dtype, str(torch.__version__))
        template = cache.optimizer_step(key, _StepTemplate.decode)
        if template is None:
            template = _trace_module_step(tracer, i, own, optimizer)
            if template is not None:
                cache.keep_optimizer_step(key, template, _StepTemplate.encode)
            continue
        trace = tracer.trace
        trace.records.extend(OpRecord(i, r.op, r.terms, r.bytes_in, r.bytes_out, r.shapes) for r in template.records)
        tracer.phases.extend([Phase.OPTIMIZER] * len(template.records))
        tracer.weight_grad.extend([False] * len(template.records))
        trace.uncounted.update(template.uncounted)
        trace.peak_live_bytes = max(trace.peak_live_bytes, tracer.live_bytes + template.inner_peak_bytes)


def _trace_module_step(tracer: TrainTracer, index: int, own: list[torch.nn.Parameter],
                       optimizer: Optimizer) -> _StepTemplate | None:
    """Run two steps of one module's optimizer under the tracer; the second is the counted one. The first creates
    the state (momentum buffer, Adam's moments) and costs less than every later step: its records are dropped.
    Returns the template, or None when the step left live bytes behind (then it is not reused)."""
    trace = tracer.trace
    live_before, peak_before = tracer.live_bytes, trace.peak_live_bytes
    trace.peak_live_bytes = live_before
    uncounted_before = Counter(trace.uncounted)
    start = len(trace.records)
    tracer.stack.append(index)
    try:
        opt = make(optimizer, own)
        tracer.phase = Phase.WARMUP
        opt.step()
        del trace.records[start:], tracer.phases[start:], tracer.weight_grad[start:]
        trace.uncounted = Counter(uncounted_before)
        tracer.phase = Phase.OPTIMIZER
        opt.step()
        opt.state.clear()  # the state is freed now, not whenever a cycle collector reaches the optimizer
        del opt
    finally:
        tracer.stack.pop()
    inner_peak = trace.peak_live_bytes - live_before
    trace.peak_live_bytes = max(peak_before, trace.peak_live_bytes)
    if tracer.live_bytes != live_before:
        return None
    return _StepTemplate(tuple(trace.records[start:]), trace.uncounted - uncounted_before, inner_peak)
