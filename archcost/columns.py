"""The declared columns of an analysis: every per-layer figure (``Analysis.columns``, the JSON's ``layers`` rows)
and every total, each with its unit, its scope (the module's own figure, or inclusive of its children) and what it
means. Torch-free.

Aggregation (counting/aggregate.py, training/engine.py) makes the columns in this order and rolls up exactly the
ones declared ``counted``; ``Analysis.to_dict``/``from_dict`` read the shape columns from here; :func:`json_schema`
describes the document; the views (cli/table.py, cli/train.py) take their footers from the declared totals. A new
column is one line here plus its figure (ARCHITECTURE.md, "A new column").
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NotRequired, TypedDict, cast


class Scope(StrEnum):
    OWN = "own"  # the module's own figure: an own_* column sums to its total over all rows
    INCLUSIVE = "inclusive"  # the module's figure plus its descendants' (the root's is the network's)
    ROW = "row"  # describes the row (name, type, shapes): no sum


class Mode(StrEnum):
    INFERENCE = "inference"  # in every analysis
    TRAIN = "train"  # only in a train-mode analysis (``analyze(mode="train")``)
    PREDICT = "predict"  # only in an analysis asked to predict latency (``analyze(predict=...)``, predict/attach.py)


@dataclass(frozen=True)
class ColumnSpec:
    key: str
    unit: str  # "count", "MAC", "op", "byte", "element", "percent", "FLOP/byte", "ms", "text", "shape", "name"
    scope: Scope
    description: str
    mode: Mode = Mode.INFERENCE
    counted: bool = False  # an own figure per module, rolled up the module tree into this inclusive column


_I, _O, _R, _T = Scope.INCLUSIVE, Scope.OWN, Scope.ROW, Mode.TRAIN
_CLASSES = (("macs", "MAC", "multiply-accumulates (conv, linear, matmul)"),
            ("adds", "op", "additions and subtractions"), ("muls", "op", "elementwise products"),
            ("cmps", "op", "comparisons (relu, clamp, max-pool windows)"), ("divs", "op", "divisions"),
            ("exps", "op", "transcendental ops (sigmoid, softmax, silu, tanh)"),
            ("norm", "op", "normalisation ops, per element as fvcore costs them"))

# In the order of a layer row (the JSON's ``layers``; a contract: keys and order never change).
LAYER_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("name", "name", _R, "the module's qualified name ('' for the model itself)"),
    ColumnSpec("type", "text", _R, "the module's class name"),
    ColumnSpec("depth", "count", _R, "nesting level (0 for the model itself)"),
    ColumnSpec("calls", "count", _R, "times the module's forward ran"),
    ColumnSpec("kernel", "text", _R, "kernel/stride of the module, or of the one windowed layer below it"),
    ColumnSpec("input_shape", "shape", _R, "the first input's shape at the module's first call"),
    ColumnSpec("output_shape", "shape", _R, "the first output's shape at the module's first call"),
    ColumnSpec("params", "count", _I, "parameter elements", counted=True),
    ColumnSpec("weights", "count", _I, "parameter elements not named *bias", counted=True),
    ColumnSpec("biases", "count", _I, "parameter elements named *bias", counted=True),
    ColumnSpec("trainable_params", "count", _I, "parameter elements that require grad", counted=True),
    ColumnSpec("frozen_params", "count", _I, "parameter elements that do not require grad", counted=True),
    ColumnSpec("buffers", "count", _I, "buffer elements (norm statistics, counters)", counted=True),
    ColumnSpec("moving_statistics", "count", _I, "buffer elements Keras counts as parameters", counted=True),
    *(ColumnSpec(key, unit, _I, meaning, counted=True) for key, unit, meaning in _CLASSES),
    ColumnSpec("ops", "op", _I, "the ops the analysis' convention counts", counted=True),
    ColumnSpec("memory_bytes", "byte", _I, "bytes read and written by the module's ops", counted=True),
    ColumnSpec("macs_percent", "percent", _I, "share of the network's MACs"),
    ColumnSpec("activations", "element", _R, "elements of the module's output"),
    ColumnSpec("activation_bytes", "byte", _R, "bytes of the module's output"),
    ColumnSpec("intensity_flops_per_byte", "FLOP/byte", _I, "2 x macs / memory_bytes"),
    ColumnSpec("own_params", "count", _O, "parameter elements of the module itself"),
    ColumnSpec("own_macs", "MAC", _O, "MACs of the module's own ops"),
    ColumnSpec("own_ops", "op", _O, "convention ops of the module's own ops"),
    *(spec for key, meaning in (("grad_input_macs", "MACs of the gradients of the layer's inputs"),
                                ("grad_weight_macs", "MACs of the gradients of the layer's weights"),
                                ("backward_other_ops", "non-MAC ops of the layer's backward"),
                                ("optimizer_ops", "ops of the optimizer step on the layer's parameters"))
      for spec in (ColumnSpec(key, "op" if key.endswith("ops") else "MAC", _I, meaning, _T, counted=True),
                   ColumnSpec(f"own_{key}", "op" if key.endswith("ops") else "MAC", _O, meaning + ", its own", _T))),
    ColumnSpec("input_grad", "text", _R, "'computed' or 'skipped' for a layer with parameters: whether its "
               "input's gradient is computed", _T),
    *(ColumnSpec(key, "ms", _I, meaning, Mode.PREDICT) for key, meaning in (
        ("predicted_ms", "predicted latency under the device profile"),
        ("predicted_compute_ms", "the compute terms of the prediction (MACs / (peak x efficiency))"),
        ("predicted_memory_ms", "the memory terms of the prediction (bytes / bandwidth)"),
        ("predicted_overhead_ms", "the per-op and per-call overhead terms of the prediction"))),
    ColumnSpec("bound", "text", _R, "the prediction's largest term: compute, memory or overhead", Mode.PREDICT),
)


def layer_columns(mode: Mode) -> tuple[ColumnSpec, ...]:
    """The columns of an analysis in ``mode`` (a train-mode analysis has the inference columns and its own)."""
    return tuple(c for c in LAYER_COLUMNS if c.mode is Mode.INFERENCE or c.mode is mode)


def counted(mode: Mode) -> tuple[str, ...]:
    """The keys of the counted columns ``mode`` adds: own figures per module, rolled up the tree."""
    return tuple(c.key for c in LAYER_COLUMNS if c.counted and c.mode is mode)


SHAPE_COLUMNS = tuple(c.key for c in LAYER_COLUMNS if c.unit == "shape")  # lists in JSON, tuples in Python


class Totals(TypedDict):
    """The network's totals (``Analysis.totals``, the JSON's ``totals``), in their JSON order."""

    params: int
    trainable_params: int
    frozen_params: int
    weights: int
    biases: int
    buffers: int
    keras_params: int  # params + moving statistics, as Keras's model.summary() counts
    keras_non_trainable_params: int
    macs: int
    adds: int
    muls: int
    cmps: int
    divs: int
    exps: int
    norm: int
    ops: int
    convention: str
    activations: int  # elements of the leaves' outputs (a container's output is its last child's)
    activation_bytes: int
    memory_bytes: int
    modules_never_called: int
    expected_training_macs: NotRequired[float]  # stochastic depth: the expected training forward
    forward_macs: NotRequired[int]  # train mode, from here to backward_forward_ratio
    backward_macs: NotRequired[int]
    grad_input_macs: NotRequired[int]
    grad_weight_macs: NotRequired[int]
    backward_other_ops: NotRequired[int]
    loss_ops: NotRequired[int]
    optimizer_ops: NotRequired[int]
    training_step_macs: NotRequired[int]
    backward_forward_ratio: NotRequired[float | None]
    peak_activation_bytes: int
    expected_training_step_macs: NotRequired[float]  # train mode with stochastic depth
    predicted_ms: NotRequired[float]  # with a device profile (predict/attach.py)
    predicted_bound: NotRequired[str]


TOTAL_KEYS = Totals.__required_keys__ | Totals.__optional_keys__


def footer(totals: Totals, keys: list[str]) -> dict[str, Any]:
    """The totals of a view's columns: a column whose key is also a declared total shows that total."""
    found = cast(dict[str, Any], totals)  # read by key below
    return {key: found[key] for key in keys if key in TOTAL_KEYS and key in found}


_JSON_TYPES = {"ms": "number", "count": "integer", "MAC": "integer", "op": "integer", "byte": "integer", "element": "integer",
               "percent": "number", "FLOP/byte": "number", "text": "string", "name": "string",
               "shape": ["array", "null"]}


def json_schema() -> dict[str, Any]:
    """A JSON Schema of a layer row of the ``archcost.analysis/1`` document, made from the declared columns: each
    property says its unit, scope and meaning; the train-mode columns are not required."""
    properties = {c.key: {"type": _JSON_TYPES[c.unit], "description": f"{c.description} ({c.unit}, {c.scope})"}
                  for c in LAYER_COLUMNS}
    required = [c.key for c in LAYER_COLUMNS if c.mode is Mode.INFERENCE]
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "archcost.analysis/1 layer",
            "type": "object", "properties": properties, "required": required}
