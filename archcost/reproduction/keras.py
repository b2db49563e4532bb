"""``keras-fmnist``: the lecture's Keras summary of its Fashion-MNIST GoogLeNet, row by row (Keras-style parameters:
batch-norm moving statistics count as non-trainable parameters) and its three totals with their MB/KB sizes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from archcost.reproduction import models
from archcost.reproduction.core import Check, Reproduction, judge, sources
from archcost.reproduction.figures import load

if TYPE_CHECKING:
    from archcost.result import Analysis

TARGET = "keras-fmnist"
BYTES_PER_PARAM = 4  # float32, as the Keras summary sizes its parameters

# Keras layer name -> the module of googlenet-fmnist it is ("" is the input; inception5b's branches are conv2d_51..56).
LAYERS = {
    "input_layer": "", "conv2d": "conv1.0", "batch_normalization": "conv1.1", "activation": "conv1.2",
    "max_pooling2d": "pool1", "conv2d_1": "conv2_reduce.0", "conv2d_2": "conv2.0", "batch_normalizatio": "conv2.1",
    "activation_1": "conv2.2", "max_pooling2d_1": "pool2", "max_pooling2d_12": "inception5b.branch4.0",
    "conv2d_51": "inception5b.branch1.0", "conv2d_53": "inception5b.branch2.1.0",
    "conv2d_55": "inception5b.branch3.1.0", "conv2d_56": "inception5b.branch4.1.0", "concatenate_8": "inception5b",
    "global_average_poo": "avgpool", "dropout": "dropout", "dense": "fc",
}


def _hwc(shape: tuple[int, ...]) -> str:
    """N x C x H x W -> "HxWxC" (Keras is channels-last); N x C -> "C"."""
    if len(shape) == 4:
        return f"{shape[2]}x{shape[3]}x{shape[1]}"
    return "x".join(map(str, shape[1:]))


def _layer(analysis: Analysis, keras_name: str) -> tuple[int, str]:
    module = LAYERS[keras_name]
    if not module:
        return 0, _hwc(analysis.input_shape)
    row = analysis.layer(module)
    shape = row["output_shape"]
    if keras_name == "global_average_poo":  # Keras' global pooling also flattens: N x C
        shape = shape[:2]
    # A Keras layer is a leaf: Keras' "concatenate" owns nothing even though our module holds the branches.
    leaf = not any(r["name"].startswith(module + ".") for r in analysis.rows)
    params = row["params"] + row["moving_statistics"] if leaf else row["own_params"]
    return params, _hwc(shape)


def reproduce() -> Reproduction:
    analysis = models.analysis("googlenet-fmnist")
    t = analysis.totals
    totals = {"Total params": t["keras_params"], "Trainable params": t["trainable_params"],
              "Non-trainable params": t["keras_non_trainable_params"]}
    params: list[Check] = []
    shapes: list[Check] = []
    sizes: list[Check] = []
    sums: list[Check] = []
    for p in load(TARGET):
        if p.row in totals:
            value = totals[p.row]
            (sums if p.quantity == "params" else sizes).append(
                Check(p, value if p.quantity == "params" else value * BYTES_PER_PARAM))
        elif p.quantity == "params":
            params.append(Check(p, _layer(analysis, p.row)[0]))
        else:
            shapes.append(Check(p, _layer(analysis, p.row)[1]))
    rows = judge(params) + judge(shapes) + judge(sums) + judge(sizes)
    return Reproduction(TARGET, "The lecture's Keras summary of GoogLeNet on Fashion-MNIST", rows, [],
                        sources(load(TARGET)))


# --- Keras's per-layer ``model.summary()`` for any network (``archcost table NET --style keras``) ---------------
# Keras names a layer after its type and numbers repeats in creation order (conv2d, conv2d_1, ...); archcost's module
# order is the creation order of the equivalent Keras code. Module types map to Keras's (snake name, class name).
KERAS_TYPES = {
    "Conv1d": ("conv1d", "Conv1D"), "Conv2d": ("conv2d", "Conv2D"), "Conv3d": ("conv3d", "Conv3D"),
    "Linear": ("dense", "Dense"), "BatchNorm1d": ("batch_normalization", "BatchNormalization"),
    "BatchNorm2d": ("batch_normalization", "BatchNormalization"),
    "BatchNorm3d": ("batch_normalization", "BatchNormalization"),
    "MaxPool2d": ("max_pooling2d", "MaxPooling2D"), "AvgPool2d": ("average_pooling2d", "AveragePooling2D"),
    "AdaptiveAvgPool2d": ("global_average_pooling2d", "GlobalAveragePooling2D"),
    "Dropout": ("dropout", "Dropout"), "Flatten": ("flatten", "Flatten"), "Embedding": ("embedding", "Embedding"),
    "LayerNorm": ("layer_normalization", "LayerNormalization"),
}
ACTIVATIONS = {"ReLU", "ReLU6", "SiLU", "GELU", "Sigmoid", "Tanh", "Hardswish", "Hardsigmoid", "LeakyReLU", "ELU",
               "Softmax"}
# Containers whose forward merges their children's outputs: a Keras merge layer after the children.
MERGES = {"Inception": ("concatenate", "Concatenate")}
WEIGHTED = {"Conv1d", "Conv2d", "Conv3d", "Linear"}


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(name))


def keras_shape(shape: tuple[int, ...] | list[int]) -> str:
    """N x C x H x W -> "(None, H, W, C)": Keras is channels-last and leaves the batch open."""
    dims = list(shape[1:])
    if len(dims) >= 2:
        dims = [*dims[1:], dims[0]]
    return "(" + ", ".join(["None", *map(str, dims)]) + ")"


def _keras_kind(row: dict[str, Any], previous: str | None, leaf: bool) -> tuple[str, str] | None:
    """(snake name, class name) of the Keras layer ``row`` is, or None when Keras has no layer for it: a container
    (unless it merges), and an activation right after a convolution or dense layer (Keras's ``activation=``)."""
    kind = row["type"]
    if not leaf:
        return MERGES.get(kind)
    if kind in ACTIVATIONS:
        return None if previous in WEIGHTED else ("activation", "Activation")
    return KERAS_TYPES.get(kind, (_snake(kind), kind))


def summary_rows(analysis: Analysis) -> list[dict[str, Any]]:
    """One row per Keras layer: name, type, output shape (Keras's text) and Param # (batch-norm moving statistics
    count, as Keras counts them), in module order; a merge layer follows the branches it merges."""
    names = [r["name"] for r in analysis.rows]
    counts: dict[str, int] = {}
    rows = [{"name": "input_layer", "type": "InputLayer", "output_shape": keras_shape(analysis.input_shape),
             "params": 0}]
    pending: list[tuple[str, dict[str, Any]]] = []  # merge containers waiting for their last child
    previous: str | None = None

    def add(snake: str, kind: str, row: dict[str, Any], params: int) -> None:
        number = counts.get(snake, 0)
        counts[snake] = number + 1
        shape = row["output_shape"]
        if kind.startswith("Global"):
            shape = shape[:2]  # Keras' global pooling also flattens
        rows.append({"name": snake if not number else f"{snake}_{number}", "type": kind,
                     "output_shape": keras_shape(shape), "params": params, "module": row["name"]})

    for row in analysis.rows[1:]:
        while pending and not row["name"].startswith(pending[-1][0] + "."):
            _, merged = pending.pop()
            add(*MERGES[merged["type"]], merged, merged["own_params"])
        leaf = not any(n.startswith(row["name"] + ".") for n in names)
        kind = _keras_kind(row, previous, leaf)
        if not leaf:
            if kind is not None:
                pending.append((row["name"], row))
            continue
        previous = row["type"]
        if kind is not None:
            add(*kind, row, row["params"] + row["moving_statistics"])
    for _, merged in reversed(pending):
        add(*MERGES[merged["type"]], merged, merged["own_params"])
    return rows


def readable_size(count: int) -> str:
    """Parameters' float32 size as Keras prints it: 22.81 MB, 2.00 KB (powers of 1024, two decimals)."""
    size = float(count * BYTES_PER_PARAM)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def summary_totals(analysis: Analysis) -> list[tuple[str, int]]:
    t = analysis.totals
    return [("Total params", t["keras_params"]), ("Trainable params", t["trainable_params"]),
            ("Non-trainable params", t["keras_non_trainable_params"])]
