"""Input text as typed: the one per-sample/exact rule, dtype suffixes and keyword names. Torch-free. And the one
place of window arithmetic (convolution and pooling output sizes), by hand formula and against torch's own shapes."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archcost.cli.errors import message as cli_message
from archcost.errors import ShapeError
from archcost.shapes import (
    InputSpec,
    ceil_div,
    conv_output_size,
    parse_input,
    parse_shape,
    pool_output_size,
    same_padding,
    transposed_conv_output_size,
)


@pytest.mark.parametrize(("text", "batch", "shape"), [
    ("3x224x224", None, (1, 3, 224, 224)),  # per sample: the batch is prepended
    ("3x224x224", 8, (8, 3, 224, 224)),
    ("16x100", None, (1, 16, 100)),  # a Conv1d / sequence input
    ("16x100", 4, (4, 16, 100)),
    ("128", None, (1, 128)),
    ("8x3x224x224", None, (8, 3, 224, 224)),  # four or more dimensions: the exact shape
    ("8x3x224x224", 8, (8, 3, 224, 224)),  # a --batch that agrees is fine
    ("1x3x16x112x112", None, (1, 3, 16, 112, 112)),  # a video network's input
    ("3×32×32", None, (1, 3, 32, 32)),
    (" 3 x 8 x 8 ", 2, (2, 3, 8, 8)),
])
def test_the_one_rule(text: str, batch: int | None, shape: tuple[int, ...]) -> None:
    assert parse_shape(text, batch=batch) == shape
    assert parse_input(text).shape(batch) == shape


@pytest.mark.parametrize(("text", "spec", "shape"), [
    ("128:int64", InputSpec((128,), "int64"), (1, 128)),
    ("1x128:int64", InputSpec((1, 128), "int64"), (1, 1, 128)),  # two dimensions are still per sample
    ("3x224x224:float16", InputSpec((3, 224, 224), "float16"), (1, 3, 224, 224)),
    ("4:BOOL", InputSpec((4,), "bool"), (1, 4)),
    ("attention_mask=128:int64", InputSpec((128,), "int64", "attention_mask"), (1, 128)),
    ("image2 = 3x8x8", InputSpec((3, 8, 8), None, "image2"), (1, 3, 8, 8)),
])
def test_dtype_suffix_and_keyword_name(text: str, spec: InputSpec, shape: tuple[int, ...]) -> None:
    assert parse_input(text) == spec
    assert parse_input(text).shape() == shape


@pytest.mark.parametrize(("text", "message"), [
    ("", "malformed input shape ''"),
    ("abc", "malformed input shape 'abc'"),
    ("3x224x", "malformed input shape '3x224x'"),
    ("3x0x8", "every dimension must be at least 1"),
    ("-3x8x8", "malformed input shape '-3x8x8'"),
    ("128:int65", "unknown input dtype 'int65'"),
    ("128:", "unknown input dtype ''"),
    ("1mask=128", "'1mask' is not a keyword argument name"),
    ("=128", "'' is not a keyword argument name"),
])
def test_malformed_inputs_are_one_clear_error(text: str, message: str) -> None:
    with pytest.raises(ShapeError, match=re.escape(message)):
        parse_input(text)


def test_a_batch_that_contradicts_an_exact_shape_is_an_error() -> None:
    # The library names its argument; the command line words the same error with its flag (cli/errors.py).
    with pytest.raises(ShapeError, match="has batch 8 but batch says 4") as raised:
        parse_shape("8x3x224x224", batch=4)
    assert raised.value.option == "batch"
    assert cli_message(raised.value) == "input shape '8x3x224x224' has batch 8 but --batch says 4"
    with pytest.raises(ShapeError, match="has batch 1 but batch says 2") as raised:
        parse_shape("1x3x16x112x112", batch=2)
    assert cli_message(raised.value).endswith("has batch 1 but --batch says 2")
    with pytest.raises(ShapeError, match="batch size must be at least 1"):
        parse_shape("3x8x8", batch=0)


def test_parsing_does_not_import_torch() -> None:
    probe = ("import sys; from archcost.shapes import parse_input; parse_input('attention_mask=128:int64'); "
             "print('torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=Path(__file__).parent.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize(("args", "size"), [
    ((224, 7, 2, 3, 1), 112),  # ResNet's and GoogLeNet's conv1: floor((224 + 6 - 6 - 1) / 2) + 1
    ((227, 11, 4, 0, 1), 55),  # AlexNet's conv1 on the Caffe model's 227x227
    ((224, 11, 4, 2, 1), 55),  # torchvision's AlexNet: padding 2 gives 55 from 224
    ((56, 3, 1, 1, 1), 56),  # a 'same' 3x3
    ((32, 3, 1, 2, 2), 32),  # dilation 2, padding 2: the effective kernel is 5
    ((32, 3, 1, 0, 2), 28),  # dilation 2, no padding: 32 - 2 * (3 - 1)
    ((7, 3, 2, 0, 1), 3),
    ((2, 3, 1, 0, 1), 0),  # a kernel larger than the input: nothing left (the caller decides it is an error)
])
def test_conv_output_size_by_hand(args: tuple[int, int, int, int, int], size: int) -> None:
    n, k, s, p, d = args
    assert conv_output_size(n, k, stride=s, padding=p, dilation=d) == size == (n + 2 * p - d * (k - 1) - 1) // s + 1


@pytest.mark.parametrize(("args", "floor", "ceil"), [
    ((112, 3, 2, 0), 55, 56),  # GoogLeNet's pool1: the Caffe model rounds up (112 -> 56)
    ((56, 3, 2, 0), 27, 28),
    ((14, 3, 2, 0), 6, 7),
    ((55, 3, 2, 0), 27, 27),  # AlexNet's overlapping pool: exact, both roundings agree
    ((28, 3, 1, 1), 28, 28),  # an inception branch's 3x3/1 pool with padding 1
    ((5, 2, 2, 1), 3, 3),  # ceil would give 4, but a last window starting in the right padding is dropped
    ((6, 3, 2, 1), 3, 4),
])
def test_pool_output_size_by_hand_with_and_without_ceil_mode(args: tuple[int, int, int, int], floor: int,
                                                             ceil: int) -> None:
    n, k, s, p = args
    assert pool_output_size(n, k, stride=s, padding=p) == floor
    assert pool_output_size(n, k, stride=s, padding=p, ceil_mode=True) == ceil


def test_pool_stride_defaults_to_the_kernel_and_dilation_widens_the_window() -> None:
    assert pool_output_size(224, 2) == 112  # VGG's 2x2 pool, stride omitted as in torch
    assert pool_output_size(10, 3, stride=1, dilation=2) == 6  # effective window 5: 10 - 4
    assert pool_output_size(10, 3, stride=2, dilation=2, ceil_mode=True) == 4  # ceil((10 - 5) / 2) + 1


def test_transposed_conv_same_padding_and_ceil_div_by_hand() -> None:
    assert transposed_conv_output_size(7, 4, stride=2, padding=1) == 14  # a DCGAN-style upsampling doubles
    assert transposed_conv_output_size(7, 3, stride=2, padding=1, output_padding=1) == 14
    assert transposed_conv_output_size(5, 3, dilation=2) == 9
    assert [same_padding(k) for k in (1, 3, 5, 7)] == [0, 1, 2, 3]
    assert same_padding(3, dilation=2) == 2
    with pytest.raises(ValueError, match="no symmetric 'same' padding"):
        same_padding(4)
    assert [ceil_div(n, 4) for n in (-5, -4, 0, 1, 4, 5)] == [-1, -1, 0, 1, 1, 2]
    assert ceil_div(2**60 + 1, 2) == 2**59 + 1  # integers, not floats: exact past 2**53


@settings(max_examples=150, deadline=None)
@given(size=st.integers(1, 40), kernel=st.integers(1, 7), stride=st.integers(1, 4), padding=st.integers(0, 4),
       dilation=st.integers(1, 3), output_padding=st.integers(0, 3))
def test_conv_sizes_equal_torch_on_meta(size: int, kernel: int, stride: int, padding: int, dilation: int,
                                        output_padding: int) -> None:
    torch = pytest.importorskip("torch")
    x = torch.empty(1, 1, size, device="meta")
    w = torch.empty(1, 1, kernel, device="meta")
    expected = conv_output_size(size, kernel, stride=stride, padding=padding, dilation=dilation)
    if expected >= 1:
        out = torch.nn.functional.conv1d(x, w, stride=stride, padding=padding, dilation=dilation)
        assert out.shape[-1] == expected
    else:
        with pytest.raises(RuntimeError):
            torch.nn.functional.conv1d(x, w, stride=stride, padding=padding, dilation=dilation)
    if output_padding >= max(stride, dilation):
        return  # torch refuses such an output_padding before any size arithmetic
    expected = transposed_conv_output_size(size, kernel, stride=stride, padding=padding, dilation=dilation,
                                           output_padding=output_padding)
    transposed = lambda: torch.nn.functional.conv_transpose1d(
        x, w, stride=stride, padding=padding, dilation=dilation, output_padding=output_padding)
    if expected >= 1:
        assert transposed().shape[-1] == expected
    else:
        with pytest.raises(RuntimeError):
            transposed()


@settings(max_examples=150, deadline=None)
@given(size=st.integers(1, 40), kernel=st.integers(1, 6), stride=st.integers(1, 4), padding=st.integers(0, 3),
       dilation=st.integers(1, 3), ceil_mode=st.booleans())
def test_pool_sizes_equal_torch(size: int, kernel: int, stride: int, padding: int, dilation: int,
                                ceil_mode: bool) -> None:
    torch = pytest.importorskip("torch")
    if padding > kernel // 2:
        return  # torch refuses a padding over half the kernel before any size arithmetic
    expected = pool_output_size(size, kernel, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode)
    x = torch.zeros(1, 1, size)  # real CPU tensors: the reference is torch's own kernel, not a meta formula
    if expected >= 1:
        out = torch.nn.functional.max_pool1d(x, kernel, stride, padding, dilation, ceil_mode=ceil_mode)
        assert out.shape[-1] == expected
        if dilation == 1:
            out = torch.nn.functional.avg_pool1d(x, kernel, stride, padding, ceil_mode=ceil_mode)
            assert out.shape[-1] == expected
    else:
        with pytest.raises(RuntimeError):
            torch.nn.functional.max_pool1d(x, kernel, stride, padding, dilation, ceil_mode=ceil_mode)
