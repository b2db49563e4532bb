"""``keras-fmnist``: the lecture's Keras summary of its Fashion-MNIST GoogLeNet, row by row (Keras-style parameters:
batch-norm moving statistics count as non-trainable parameters) and its three totals with their MB/KB sizes."""

from __future__ import annotations

from typing import Any

from archcost.reproduce import models
from archcost.reproduce.core import Check, Reproduction, judge, sources
from archcost.reproduce.figures import load

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


def _layer(analysis: Any, keras_name: str) -> tuple[int, str]:
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
    params, shapes, sizes, sums = [], [], [], []
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
