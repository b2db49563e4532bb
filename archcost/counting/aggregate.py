"""From a trace to per-layer rows and totals: own figures per module, rolled up the module tree.

Pure bookkeeping over the tracer's records and the modules' parameters; no op runs here.
"""

from __future__ import annotations

from typing import Any, cast

import torch

from archcost.columns import Mode, Totals, counted, layer_columns
from archcost.counting.conventions import counts_in
from archcost.counting.opclass import ARITHMETIC_CLASSES, Convention, OpClass
from archcost.counting.params import own_parameter_columns
from archcost.counting.tracer import Trace

_CLASS_COLUMNS = tuple(c.value for c in ARITHMETIC_CLASSES)
_OWN_KEYS = counted(Mode.INFERENCE)  # the declared columns summed per module and rolled up the tree
INFERENCE_COLUMNS = layer_columns(Mode.INFERENCE)


def parents(names: list[str]) -> list[int]:
    """Each module's parent index (-1 for the root); children follow their parent in ``named_modules`` order."""
    index = {n: i for i, n in enumerate(names)}
    return [-1] + [index[n.rpartition(".")[0]] if "." in n else 0 for n in names[1:]]


def roll_up(own: dict[str, list[Any]], parent: list[int]) -> dict[str, list[Any]]:
    """The inclusive columns of ``own``: each module's figure plus its descendants', the one roll-up up the module
    tree (inference and training columns alike)."""
    inclusive = {key: list(column) for key, column in own.items()}
    for column in inclusive.values():
        for i in range(len(parent) - 1, 0, -1):  # children follow their parent in named_modules order
            column[parent[i]] += column[i]
    return inclusive


def aggregate(names: list[str], modules: list[torch.nn.Module], trace: Trace, convention: Convention,
              stochastic: tuple[tuple[int, float], ...] = ()) -> tuple[dict[str, list[Any]], Totals]:
    """Own figures per module, then inclusive ones rolled up the tree. Columns are plain lists: ResNet-1202 has
    5,410 modules and this runs once per analysis. ``stochastic``: declared stochastic depth, (module index,
    survival probability) pairs (prepare.py ``Learned``)."""
    count = len(modules)
    own = _own_columns(modules, trace, convention)
    parent = parents(names)
    inclusive = roll_up(own, parent)
    leaf = [True] * count
    for i in range(1, count):
        leaf[parent[i]] = False

    # The row columns; Analysis.rows zips them into dicts when someone asks.
    calls = trace.calls
    macs, memory_inclusive = inclusive["macs"], inclusive["memory_bytes"]
    total_macs = macs[0]
    made: dict[str, list[Any]] = {
        "name": names,
        "type": [type(m).__name__ for m in modules],
        "depth": [0] + [n.count(".") + 1 for n in names[1:]],
        "calls": [c.calls for c in calls],
        "kernel": _kernels(modules, parent),
        "input_shape": [c.input_shape for c in calls],
        "output_shape": [c.output_shape for c in calls],
        **inclusive,
        "macs_percent": [100.0 * m / total_macs for m in macs] if total_macs else [0.0] * count,
        "activations": [c.output_elements for c in calls],
        "activation_bytes": [c.output_bytes for c in calls],
        "intensity_flops_per_byte": [2 * m / b if b else 0.0 for m, b in zip(macs, memory_inclusive)],
        "own_params": own["params"], "own_macs": own["macs"], "own_ops": own["ops"],
    }
    columns = {spec.key: made[spec.key] for spec in INFERENCE_COLUMNS}  # in the declared order (columns.py)
    totals = _totals({key: column[0] for key, column in columns.items()}, trace, leaf, convention)
    if stochastic:
        totals["expected_training_macs"] = expected_macs(stochastic, inclusive["macs"])
    return columns, totals


def _own_columns(modules: list[torch.nn.Module], trace: Trace, convention: Convention) -> dict[str, list[int]]:
    """Each module's own figures: its ops' terms by class, the ops its convention counts, bytes, parameters."""
    own: dict[str, list[int]] = {key: [0] * len(modules) for key in _OWN_KEYS}
    memory, ops = own["memory_bytes"], own["ops"]
    for record in trace.records:
        m = record.module
        memory[m] += record.bytes_in + record.bytes_out
        if not record.terms:
            continue
        for term in record.terms:
            if term.op_class is OpClass.NONE:
                continue
            own[term.op_class.value][m] += term.count
            if counts_in(convention, record.op, term):
                ops[m] += term.count
    own.update(own_parameter_columns(modules))
    return own


def _totals(root: dict[str, Any], trace: Trace, leaf: list[bool], convention: Convention) -> Totals:
    """The network's totals: the root's inclusive figures, Keras's two parameter counts, and the activations of the
    leaves (a container's output is its last child's: counted once)."""
    count = len(leaf)
    found: dict[str, Any] = {  # Totals' keys in their order (columns.py)
        **{k: root[k] for k in ("params", "trainable_params", "frozen_params", "weights", "biases", "buffers")},
        "keras_params": root["params"] + root["moving_statistics"],
        "keras_non_trainable_params": root["frozen_params"] + root["moving_statistics"],
        **{k: root[k] for k in _CLASS_COLUMNS},
        "ops": root["ops"],
        "convention": convention.value,
        "activations": sum(trace.calls[i].output_elements for i in range(1, count) if leaf[i]),
        "activation_bytes": sum(trace.calls[i].output_bytes for i in range(1, count) if leaf[i]),
        "memory_bytes": root["memory_bytes"],
        "modules_never_called": sum(1 for i in range(1, count) if trace.calls[i].calls == 0),
    }
    return cast(Totals, found)


def _kernels(modules: list[torch.nn.Module], parent: list[int]) -> list[str]:
    """``kernel/stride`` per module: its own, or that of the one windowed layer below it (conv + BN + ReLU)."""
    count = len(modules)
    # Read from __dict__: a missed getattr on an nn.Module raises inside __getattr__, ten times slower.
    windowed = [1 if m.__dict__.get("kernel_size") is not None else 0 for m in modules]
    first: list[int] = [i if windowed[i] else -1 for i in range(count)]
    for i in range(count - 1, 0, -1):
        p = parent[i]
        windowed[p] += windowed[i]
        if windowed[i]:
            first[p] = first[i]
    return [_describe_kernel(modules[first[i]]) if windowed[i] == 1 else "" for i in range(count)]


def expected_macs(stochastic: tuple[tuple[int, float], ...], macs: list[int]) -> float:
    """Stochastic depth: a module of survival probability p runs with probability p during training, so the
    expected cost loses (1 - p) of its inclusive MACs (``macs``: one figure per module, the root first)."""
    return macs[0] - sum((1.0 - p) * macs[i] for i, p in stochastic)


def _describe_kernel(module: torch.nn.Module) -> str:
    kernel, stride = getattr(module, "kernel_size", None), getattr(module, "stride", None)
    if kernel is None:
        return ""
    k = "x".join(str(v) for v in kernel) if isinstance(kernel, tuple) else f"{kernel}x{kernel}"
    if stride is None:
        return k
    s = stride[0] if isinstance(stride, tuple) and len(set(stride)) == 1 else stride
    return f"{k}/{s if not isinstance(s, tuple) else 'x'.join(map(str, s))}"
