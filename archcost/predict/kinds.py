"""Which kernel kind an aten op is, and the two shape features its efficiency curve is read at.

Pure and torch-free: it reads an op record's name, tensor shapes and counted terms. The kinds are the kernels
networks are made of; each has its own efficiency curve (compute kinds) or bandwidth curve (memory kinds) in a
profile, because one GEMM figure does not say how fast a depthwise convolution or a softmax runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import Any

COMPUTE_KINDS = ("conv1x1", "conv3x3", "conv1x1_native", "conv_native", "conv5x5", "conv7x7", "conv_grouped", "conv_depthwise3", "conv_depthwise5",
                 "conv_depthwise7", "matmul", "attention", "max_pool")
MEMORY_KINDS = ("elementwise", "transcendental", "batch_norm", "layer_norm", "pool", "reduce", "copy")
FREE_KIND = "free"  # views and allocations: dispatch overhead only, no kernel touches the data
ALL_KINDS = (*COMPUTE_KINDS, *MEMORY_KINDS, FREE_KIND)

# Ops that only make a view, allocate or record: no kernel reads the data.
_FREE = frozenset({
    "view", "_unsafe_view", "reshape", "t", "transpose", "permute", "expand", "unsqueeze", "squeeze", "flatten",
    "as_strided", "alias", "detach", "slice", "select", "split", "split_with_sizes", "chunk", "unbind", "narrow",
    "empty", "empty_like", "empty_strided", "new_empty", "lift_fresh", "unfold", "view_as", "expand_as", "_reshape_alias",
    "dropout", "feature_dropout", "alpha_dropout", "native_dropout", "size", "stride", "numel", "movedim", "diagonal",
    "record_function_enter_new", "record_function_exit", "_record_function_enter_new", "_record_function_exit",
})
_NORMS = {"native_batch_norm": "batch_norm", "_native_batch_norm_legit": "batch_norm",
          "_native_batch_norm_legit_no_training": "batch_norm", "cudnn_batch_norm": "batch_norm",
          "native_layer_norm": "layer_norm", "native_group_norm": "layer_norm", "instance_norm": "layer_norm",
          "rms_norm": "layer_norm", "_fused_rms_norm": "layer_norm"}
_MATMULS = frozenset({"mm", "bmm", "addmm", "baddbmm", "addbmm", "mv", "addmv", "dot", "vdot", "_trilinear",
                      "_grouped_mm", "_scaled_grouped_mm", "linear", "matmul"})
_REDUCE = frozenset({"mean", "sum", "_adaptive_avg_pool2d", "_adaptive_avg_pool3d", "adaptive_avg_pool1d", "amax",
                     "var", "var_mean", "std", "norm", "linalg_vector_norm", "prod", "argmax", "max", "min", "logsumexp"})
_COPY = frozenset({"cat", "stack", "copy_", "clone", "contiguous", "constant_pad_nd", "pad", "index", "gather",
                   "index_select", "roll", "repeat", "_to_copy", "zeros", "zeros_like", "ones", "ones_like", "fill_",
                   "zero_", "full", "arange", "masked_fill", "where", "channel_shuffle", "pixel_shuffle", "embedding",
                   "flip", "scatter", "index_put_", "new_zeros", "cumsum"})
_TRANSCENDENTAL_CLASS = "exps"


@dataclass(frozen=True)
class OpKind:
    kind: str
    channels: float  # the reduction depth: input channels per group (conv), K (matmul), head dim (attention)
    positions: float  # output positions: N*H_out*W_out (conv), rows M (matmul), B*heads*L (attention)
    function: str = ""  # a transcendental op's function (tanh, gelu...): each runs at its own speed


def classify(op: str, shapes: tuple[tuple[int, ...], ...], terms: Any, threads: int = 1) -> OpKind:
    """The kind of one traced op (``terms``: its counted terms, or None when it has no rule; ``threads``: the CPU
    threads torch runs with, which pick its convolution kernel)."""
    name = op.split(".")[0].rstrip("_") if not op.endswith("__") else op
    if name in ("convolution", "_convolution", "conv2d", "conv1d", "conv3d") and len(shapes) >= 2:
        return _conv(shapes, terms, threads)
    if "scaled_dot_product" in name or name.startswith("_flash_attention") or name.startswith("_efficient_att"):
        query = shapes[0] if shapes else (1,)
        return OpKind("attention", float(query[-1]), float(prod(query[:-1])))
    if name in _MATMULS:
        return _matmul(terms)
    if name in _NORMS or op in _NORMS:
        return OpKind(_NORMS.get(name, _NORMS.get(op, "layer_norm")), 0.0, 0.0)
    if op in _FREE or name in _FREE:
        return OpKind(FREE_KIND, 0.0, 0.0)
    if name.startswith("max_pool") and terms:
        return _max_pool(terms)
    if "pool" in name and name not in _REDUCE:
        return OpKind("pool", 0.0, 0.0)
    if name in _REDUCE:
        return OpKind("reduce", 0.0, 0.0)
    if name in _COPY or op in _COPY or not terms:
        return OpKind("copy", 0.0, 0.0)
    if any(t.op_class == _TRANSCENDENTAL_CLASS for t in terms) or "softmax" in name:
        return OpKind("transcendental", 0.0, 0.0, name)
    return OpKind("elementwise", 0.0, 0.0)


def allocates(op: str, kind: OpKind) -> bool:
    """Whether the op writes a new output tensor (not in place, not a view): its pages are touched first here."""
    return kind.kind != FREE_KIND and not (op.endswith("_") and not op.endswith("__")) and op not in ("empty",
                                                                                                     "copy_")


def macs_of(terms: Any) -> int:
    # A term's op_class is an OpClass, a StrEnum: it equals its value, and comparing so skips the enum's value
    # property (called for every term of every op a prediction reads).
    return sum(t.count for t in terms or () if t.op_class == "macs")


def work_of(kind: OpKind, terms: Any) -> int:
    """What a compute kind's efficiency is a rate of: MACs, or for max pooling the window taps read (outputs x
    taps), since a max pool's time follows its outputs and window, not the bytes it moves (one thread here: a 2x2
    pool of 64 channels took 23 ns an output, a 3x3 one at stride 2 33 ns, both moving the same bytes)."""
    if kind.kind == "max_pool":
        return round(kind.channels * kind.positions)
    return macs_of(terms)


def _max_pool(terms: Any) -> OpKind:
    """Window taps K and output elements, from the pooling rule's comparisons term."""
    values = dict(terms[0].values)
    return OpKind("max_pool", float(values.get("K", 1)), float(values.get("numel(out)", 1)))


def _conv(shapes: tuple[tuple[int, ...], ...], terms: Any, threads: int) -> OpKind:
    """Torch's own im2col kernel, else (oneDNN) dense convolutions by kernel size (1-d and 3-d by kernel volume,
    nearest 2-d size), grouped, depthwise."""
    data, weight = shapes[0], shapes[1]
    taps = prod(weight[2:]) if len(weight) > 2 else 1
    per_group = weight[1] if len(weight) > 1 else 1
    groups = max(1, data[1] // per_group) if len(data) > 1 and per_group else 1
    macs = macs_of(terms)
    positions = macs / max(1, taps * per_group * weight[0])
    if _native_path(data, weight, groups, positions, threads):
        return OpKind("conv1x1_native" if taps == 1 else "conv_native", float(per_group), positions)
    if groups > 1 and per_group == 1:
        side = 3 if taps <= 9 else 5 if taps <= 25 else 7
        return OpKind(f"conv_depthwise{side}", float(weight[0]), positions)
    if groups > 1:
        return OpKind("conv_grouped", float(per_group), positions)
    side = 1 if taps == 1 else 3 if taps <= 9 else 5 if taps <= 25 else 7
    return OpKind(f"conv{side}x{side}", float(per_group), positions)


def _native_path(data: tuple[int, ...], weight: tuple[int, ...], groups: int, positions: float,
                 threads: int) -> bool:
    """Where torch's CPU convolution takes its own im2col + GEMM kernel (``_slow_conv2d_forward``) rather than
    oneDNN: torch's ``use_mkldnn`` (aten/src/ATen/native/ConvUtils.h) refuses oneDNN for an unstrided 1x1 kernel on
    fewer than 16 samples at one thread, and for one sample of at most 20,480 elements in one group with a kernel
    not larger than 3 on every side. Its speed is another curve: CIFAR networks and 1x1 layers at one thread."""
    one_by_one = all(k == 1 for k in weight[2:])
    strided = positions < prod(data[2:]) * data[0]
    onednn_allowed = strided or data[0] >= 16 or not one_by_one or threads > 1
    onednn_faster = groups > 1 or all(k > 3 for k in weight[2:]) or data[0] > 1 or prod(data) > 20480
    return not (onednn_allowed and onednn_faster)


def _matmul(terms: Any) -> OpKind:
    """K is the reduction depth; the rows (M, times the batch B or groups G) are the positions."""
    for term in terms or ():
        values = dict(term.values)
        if term.op_class == "macs" and "K" in values:
            rows = values.get("M", 1) * values.get("B", 1) * values.get("G", 1)
            return OpKind("matmul", float(values["K"]), float(rows))
    macs = macs_of(terms)
    return OpKind("matmul", float(max(1, macs)), 1.0)
