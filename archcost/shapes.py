"""Input specifications as typed: a shape, an optional dtype suffix and an optional keyword name. Torch-free, so the
CLI validates what it was given before importing torch.

The one rule, for strings and tuples alike: a shape of three or fewer dimensions is a per-sample shape and gets the
batch prepended (``batch``, default 1): ``3x224x224`` -> (1, 3, 224, 224), ``16x100`` -> (1, 16, 100),
``128:int64`` -> (1, 128). Four or more dimensions are the exact example shape, batch included
(``1x3x16x112x112`` for a video network), and a batch that contradicts its first dimension is an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from archcost.dtypes import INPUT_DTYPES
from archcost.errors import Option, ShapeError, literal

_DIMENSION = re.compile(r"^[0-9]+$")

# The dtypes an input may carry (``128:int64``) are archcost/dtypes.py's INPUT_DTYPES. Without a suffix an input
# takes the analysis' float dtype.
PER_SAMPLE_MAX_DIMS = 3  # up to this many dimensions a shape is per sample; from one more, it is the exact shape
# The largest example archcost takes: torch counts a tensor's bytes in a signed 64-bit integer, so an example's
# element count (batch included) times 8 bytes (its widest dtype, float64 or int64) must fit in one, whatever its
# dtype. Beyond it torch fails deep inside (a C++ stack, a storage overflow); the bound says so first.
MAX_ELEMENTS = (2**63 - 1) // 8

_EXAMPLES = "e.g. 3x224x224, 16x100, 1x3x16x112x112, 128:int64 or attention_mask=128:int64"


@dataclass(frozen=True)
class InputSpec:
    """One input of ``forward`` as the user gave it: ``dims`` are per sample (<= 3) or exact (>= 4)."""

    dims: tuple[int, ...]
    dtype: str | None = None  # None: the analysis' dtype
    name: str | None = None  # a keyword argument of forward; None: the next positional one

    def shape(self, batch: int | None = None) -> tuple[int, ...]:
        return batched(self.dims, batch=batch, what=format_shape(self.dims))


def batched(dims: tuple[int, ...], *, batch: int | None, what: str) -> tuple[int, ...]:
    """The example shape of ``dims`` under the one rule (see the module docstring)."""
    if batch is not None and batch <= 0:
        raise ShapeError(f"batch size must be at least 1, got {batch}")
    if len(dims) <= PER_SAMPLE_MAX_DIMS:
        return check_size((batch or 1, *dims), what=what)
    if batch is not None and batch != dims[0]:
        raise ShapeError(f"input shape {literal(repr(what))} has batch {dims[0]} but $batch says {batch}",
                         Option("batch"))
    return check_size(dims, what=what)


def check_size(shape: tuple[int, ...], *, what: str) -> tuple[int, ...]:
    """``shape`` itself if its element count fits :data:`MAX_ELEMENTS` (see there why), else one clear error."""
    elements = 1
    for d in shape:
        elements *= d
    if elements > MAX_ELEMENTS:
        raise ShapeError(f"input shape {what!r} is too large: {format_shape(shape)} (batch included) has more "
                         f"elements than an input may have: at most {MAX_ELEMENTS:,} (2**60 - 1, what torch can size "
                         "at 8 bytes an element)")
    return shape


def check_dims(dims: tuple[int, ...], *, what: str) -> tuple[int, ...]:
    if not dims:
        raise ShapeError(f"malformed input shape {what!r}: it needs at least one dimension ({_EXAMPLES})")
    if any(d <= 0 for d in dims):
        raise ShapeError(f"malformed input shape {what!r}: every dimension must be at least 1")
    if any(d > MAX_ELEMENTS for d in dims):
        raise ShapeError(f"input shape {what!r} is too large: a dimension takes at most {MAX_ELEMENTS:,} "
                         "(2**60 - 1, what torch can size at 8 bytes an element)")
    return dims


def check_dtype(dtype: str, *, what: str) -> str:
    if dtype not in INPUT_DTYPES:
        raise ShapeError(f"unknown input dtype {dtype!r} in {what!r}; choose one of {', '.join(INPUT_DTYPES)}")
    return dtype


def parse_input(text: str) -> InputSpec:
    """``[NAME=]SHAPE[:DTYPE]``: ``3x224x224``, ``1x128:int64``, ``attention_mask=128:int64``."""
    name: str | None = None
    rest = text.strip()
    if "=" in rest:
        name, _, rest = (part.strip() for part in rest.partition("="))
        if not name.isidentifier():
            raise ShapeError(f"malformed input {text!r}: {name!r} is not a keyword argument name ({_EXAMPLES})")
    dtype: str | None = None
    if ":" in rest:
        rest, _, dtype = (part.strip() for part in rest.partition(":"))
        check_dtype(dtype.lower(), what=text)
        dtype = dtype.lower()
    parts = [p.strip() for p in rest.lower().replace("×", "x").split("x")]
    if not all(_DIMENSION.match(p) for p in parts):
        raise ShapeError(f"malformed input shape {text!r}: expected positive integers joined by x ({_EXAMPLES})")
    return InputSpec(check_dims(tuple(int(p) for p in parts), what=text), dtype, name)


def parse_shape(text: str, *, batch: int | None = None) -> tuple[int, ...]:
    """The example shape of one input given as text (its dtype suffix and keyword name aside).

    ``"3x224x224"`` -> (1, 3, 224, 224) (``batch`` sets N); ``"8x3x224x224"`` stays as it is.
    """
    spec = parse_input(text)
    return batched(spec.dims, batch=batch, what=text)


def format_shape(shape: tuple[int, ...] | list[int] | None) -> str:
    if shape is None:
        return ""
    return "x".join(str(d) for d in shape)


# Window arithmetic: the one place that says how big a convolution's or a pooling's output is. Pure integers, so the
# zoo sizes its classifiers, the meta kernels shape their outputs and the tests check both with the same formula.


def ceil_div(numerator: int, denominator: int) -> int:
    """ceil(numerator / denominator) in integers (floats round wrongly past 2**53)."""
    return -(-numerator // denominator)


def conv_output_size(size: int, kernel: int, *, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Output length of a convolution along one dimension: floor((in + 2p - d(k-1) - 1) / s) + 1."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def transposed_conv_output_size(size: int, kernel: int, *, stride: int = 1, padding: int = 0, dilation: int = 1,
                                output_padding: int = 0) -> int:
    """Output length of a transposed convolution: (in - 1) s - 2p + d(k-1) + output_padding + 1."""
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def pool_output_size(size: int, kernel: int, *, stride: int | None = None, padding: int = 0, dilation: int = 1,
                     ceil_mode: bool = False) -> int:
    """Output length of a max or average pool along one dimension (``stride`` defaults to the kernel, as in torch).

    The convolution formula, rounded up in ``ceil_mode``; as torch does, a last window that would start in the right
    padding is dropped, so every window starts inside the input or its left padding."""
    step = kernel if stride is None else stride
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    out = (ceil_div(span, step) if ceil_mode else span // step) + 1
    if ceil_mode and (out - 1) * step >= size + padding:
        out -= 1
    return out


def same_padding(kernel: int, *, dilation: int = 1) -> int:
    """The symmetric padding that keeps a stride-1 convolution's size ('same'), for an odd kernel: d(k-1)/2. An even
    kernel has no symmetric 'same' padding, so asking for one is an error rather than a silent off-by-one."""
    if kernel % 2 == 0:
        raise ValueError(f"a {kernel}-wide kernel has no symmetric 'same' padding")
    return dilation * (kernel - 1) // 2


def is_dims(value: Any) -> bool:
    """Whether ``value`` is one shape given as ints (a tuple or list of them), not several inputs."""
    return isinstance(value, (tuple, list)) and bool(value) and all(
        isinstance(d, int) and not isinstance(d, bool) for d in value)
