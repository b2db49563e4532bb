"""Why a forward failed, in the user's terms: an op that needs data on meta, or an input the first layer cannot take.

torch's messages are the trigger (they differ between its CPU and meta kernels: a channel mismatch on meta is only
"Invalid channel dimensions"); the explanation is built from the failing module's own attributes and the shape the
tracer saw it receive, so it can say what the network expected and which ``--input`` would fit.
"""

from __future__ import annotations

import re
from typing import Any

from archcost.errors import Message, Option
from archcost.shapes import PER_SAMPLE_MAX_DIMS, format_shape

# Meta tensors have shapes but no values: these messages mean an op needed the values (or has no meta kernel at all).
_NEEDS_DATA = ("cannot copy out of meta tensor", "cannot be called on meta tensors", "data-independent implementation",
               "data-dependent", "data dependent")
_NO_META_KERNEL = ("no fake impl or meta kernel registered", "could not run", "with arguments from the 'meta' backend")
_DATA_EXCEPTIONS = ("DataDependentOutputException", "DynamicOutputShapeException", "GuardOnDataDependentSymNode")
_ATEN_NAME = re.compile(r"aten::(\w+)")
_TORCH_CALL = re.compile(r"((?:torch|Tensor)\.\w+)\(\)")


# Ops whose output shape depends on values: without a meta kernel, that is why.
_DATA_OPS = frozenset({"nonzero", "masked_select", "_unique2", "unique_dim", "unique_consecutive", "nms",
                       "repeat_interleave", "bincount", "histc", "_local_scalar_dense", "index", "argwhere"})
# What the user wrote, for the ops a Python call becomes.
_CALLED_AS = {"_local_scalar_dense": " (.item(), bool(), int())", "_to_copy": " (a copy off meta: .tolist(), .cpu())",
              "copy_": " (a copy off meta: .tolist(), .cpu())"}


def needs_data(error: BaseException, op: str | None) -> str | None:
    """``"aten.nonzero needs data on meta"`` when ``error`` says a meta forward needed values, else None."""
    message = str(error).lower()
    data = type(error).__name__ in _DATA_EXCEPTIONS or any(m in message for m in _NEEDS_DATA) or (
        op in _DATA_OPS and isinstance(error, NotImplementedError))
    missing = not data and isinstance(error, NotImplementedError) and any(m in message for m in _NO_META_KERNEL)
    if not (data or missing):
        return None
    what = _op_name(str(error), op)
    return f"{what} needs data on meta" if data else f"{what} has no meta implementation"


# Ops whose meta kernel checks what one device's kernel accepts (torch mirrors CUDA's _grouped_mm checks on meta:
# bf16 only, fp8 row/column-major operands), so it refuses a dtype or layout that the CPU kernel computes.
_STRICT_META_OPS = frozenset({"_grouped_mm", "_scaled_grouped_mm"})
_REFUSALS = ("expected inputs of", "row major", "column major", "dtype")


def meta_refuses(error: BaseException, op: str | None) -> str | None:
    """``"aten._grouped_mm refuses it on meta: Expected inputs of BF16 type ..."`` when a meta kernel refused a
    dtype or layout that a real device may take, else None."""
    message = str(error)
    if op not in _STRICT_META_OPS or not isinstance(error, RuntimeError):
        return None
    if not any(m in message.lower() for m in _REFUSALS):
        return None
    first = message.strip().splitlines()[0] if message.strip() else type(error).__name__
    return f"aten.{op} refuses it on meta: {first.rstrip('.')}"


def _op_name(message: str, op: str | None) -> str:
    if op is not None:
        return f"aten.{op}{_CALLED_AS.get(op, '')}"
    named = _ATEN_NAME.search(message)
    if named:
        return f"aten.{named.group(1)}"
    called = _TORCH_CALL.search(message)
    return called.group(1) + "()" if called else "an op"


# -- inputs the first layer cannot take ----------------------------------------------------------------------------
_CONV_RANK = re.compile(r"expected (\d)d \(unbatched\) or (\d)d \(batched\) input")
_NORM_RANK = re.compile(r"expected (?:(\d)d or )?(\d)d input \(got \d+d input\)")
_CHANNELS = ("invalid channel dimensions", "channels, but got", "should contain")
_FEATURES = ("mat1 and mat2 shapes cannot be multiplied", "must have same reduction dim")
_INDICES = "'indices' to have one of the following scalar types"
_LETTERS = {2: ("N", "C"), 3: ("N", "C", "L"), 4: ("N", "C", "H", "W"), 5: ("N", "C", "D", "H", "W")}


def mismatch(module: Any, who: str, seen: tuple[int, ...] | None, first: tuple[int, ...], typed_dims: int | None,
             error: BaseException) -> Message | None:
    """One line saying what ``module`` (called ``who``) expected when its input contradicts it, else None.

    ``seen`` is the shape the module received, ``first`` the network's first input, ``typed_dims`` how many
    dimensions the user typed for it (None: a tensor or the native input).
    """
    message = str(error).lower()
    if seen is None or len(seen) != len(first):
        return None  # the layer's input is not the network's (a rank survives until a layer that needs another)
    rank = _expected_rank(module, message, seen)
    if rank is not None:
        return _rank_line(who, rank, seen, first, typed_dims)
    if seen != first:
        return None  # deeper in the network a contradiction is the model's, not the input's: torch's message says it
    kind = type(module).__name__
    if _INDICES in message:
        return Message(f"{who} expects integer token ids; the input {format_shape(seen)} is a float tensor "
                       "(give an integer dtype, e.g. $input_shape)",
                       (Option("input_shape", f"{_typed(seen[0], seen[1:])}:int64"),))
    if any(m in message for m in _CHANNELS):
        channels = getattr(module, "in_channels", None) or getattr(module, "num_features", None)
        if channels is not None and len(seen) >= 2:
            return Message(f"{who} expects {channels} input channels; the input {format_shape(seen)} has {seen[1]} "
                           "(give $input_shape)", (Option("input_shape", _typed(seen[0], (channels, *seen[2:]))),))
    if any(m in message for m in _FEATURES) and hasattr(module, "in_features"):
        fits = _typed(seen[0], (*seen[1:-1], module.in_features))
        return Message(f"{who} expects {module.in_features} input features in the last dimension; the input "
                       f"{format_shape(seen)} has {seen[-1]} (give $input_shape)", (Option("input_shape", fits),))
    if kind == "LayerNorm" and "normalized_shape" in message:
        return Message(f"{who} expects its input to end in {format_shape(tuple(module.normalized_shape))}; "
                       f"the input is {format_shape(seen)}")
    return None


def _typed(batch: int, per_sample: tuple[int, ...]) -> str:
    """How to type an input of ``per_sample`` dimensions: as they are up to three, with its batch from four."""
    if len(per_sample) <= PER_SAMPLE_MAX_DIMS:
        return format_shape(per_sample)
    return format_shape((batch, *per_sample))


def _expected_rank(module: Any, message: str, seen: tuple[int, ...]) -> int | None:
    """The rank (batch included) the module needed, when the failure is about rank."""
    conv = _CONV_RANK.search(message)
    if conv:
        return int(conv.group(2))
    norm = _NORM_RANK.search(message)
    if norm:
        return int(norm.group(2))
    kernel = getattr(module, "kernel_size", None)
    if hasattr(module, "in_channels") and isinstance(kernel, tuple) and len(seen) == len(kernel) + 1:
        # A convolution takes an input one dimension short as an unbatched sample; its channel complaint is then
        # really about the missing batch dimension.
        if any(m in message for m in _CHANNELS):
            return len(kernel) + 2
    return None


def _rank_line(who: str, rank: int, seen: tuple[int, ...], first: tuple[int, ...],
               typed_dims: int | None) -> Message:
    letters = _LETTERS.get(rank)
    layout = f" ({', '.join(letters)})" if letters else ""
    line = f"{who} expects a {rank}-d input{layout}; got {format_shape(first)}"
    if typed_dims is not None and typed_dims > PER_SAMPLE_MAX_DIMS and typed_dims == rank - 1:
        # A per-sample shape of four or more dimensions is read as the exact shape, its first dimension as N.
        return Message(f"{line} read as N={first[0]}, C={first[1]}: give 1x{format_shape(first)}")
    if letters is None:
        return Message(line)
    per_sample = "x".join(letters[1:])
    return Message(f"{line}: give $input_shape",
                   (Option("input_shape", per_sample if rank - 1 <= PER_SAMPLE_MAX_DIMS else "1x" + per_sample),))
