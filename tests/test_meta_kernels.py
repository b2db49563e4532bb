"""The tracer's shape-only meta kernels give exactly torch's own meta outputs (shape, dtype, layout)."""

from __future__ import annotations

import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

from archcost.counting import meta_kernels

aten = torch.ops.aten


def meta(*shape: int, channels_last: bool = False, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    t = torch.empty(shape, device="meta", dtype=dtype)
    return t.contiguous(memory_format=torch.channels_last) if channels_last else t


def same(ours: object, theirs: object) -> None:
    if isinstance(theirs, (tuple, list)):
        ours = ours if isinstance(ours, (tuple, list)) else (ours,)
        same(ours[0], theirs[0])  # batch norm: the saved statistics are not activations
        return
    assert isinstance(ours, torch.Tensor) and ours.is_meta
    assert (ours.shape, ours.dtype, ours.stride()) == (theirs.shape, theirs.dtype, theirs.stride())


CASES = [
    ("relu", (meta(2, 3, 4, 4, channels_last=True),), {}),
    ("hardtanh", (meta(2, 3, 4, 4), 0.0, 6.0), {}),
    ("sigmoid", (meta(5, 7),), {}),
    ("add", (meta(2, 3, 4, 4), meta(2, 3, 1, 1)), {}),
    ("add", (meta(2, 3, 1, 1), meta(2, 3, 4, 4)), {"alpha": 2}),
    ("mul", (meta(2, 3, 4, 4, channels_last=True), meta(2, 3, 4, 4, channels_last=True)), {}),
    ("mul", (meta(4, 4), 0.5), {}),
    ("mul", (meta(3, 1, 5), meta(4, 1)), {}),
    ("sub", (meta(1), meta(2, 3, 1, 1)), {}),
    ("rsub", (meta(3, 3), 1), {}),
    ("cat", ([meta(1, 2, 5, 5), meta(1, 3, 5, 5)], 1), {}),
    ("cat", ([meta(4, 2), meta(4, 2)],), {}),
    ("mean", (meta(2, 8, 7, 7), [-1, -2], True), {}),
    ("mean", (meta(2, 8, 7, 7), [2, 3]), {}),
    ("_adaptive_avg_pool2d", (meta(2, 8, 13, 13), [6, 6]), {}),
    ("addmm", (meta(10), meta(4, 3), meta(3, 10)), {}),
    ("mm", (meta(4, 3), meta(3, 10)), {}),
    ("native_batch_norm", (meta(2, 4, 3, 3), meta(4), meta(4), meta(4), meta(4), False, 0.1, 1e-5), {}),
    ("_native_batch_norm_legit_no_training", (meta(2, 4, 3, 3), meta(4), meta(4), meta(4), meta(4), 0.1, 1e-5), {}),
]


@pytest.mark.parametrize(("name", "args", "kwargs"), CASES, ids=[c[0] for c in CASES])
def test_kernel_matches_torch(name: str, args: tuple, kwargs: dict) -> None:
    op = getattr(aten, name)
    ours = meta_kernels.run(name, args, kwargs)
    assert ours is not None
    same(ours, op(*args, **kwargs))


def test_in_place_ops_return_their_input_and_refuse_to_broadcast() -> None:
    x = meta(2, 3, 4, 4)
    assert meta_kernels.run("add_", (x, meta(2, 3, 1, 1)), {}) is x
    assert meta_kernels.run("add_", (meta(2, 3, 1, 1), x), {}) is None  # torch raises: leave it to torch
    assert meta_kernels.run("relu_", (x,), {}) is x


def test_sliced_inputs_get_torch_s_layout() -> None:
    sliced = meta(4, 6)[:, ::2]
    for name, args in (("relu", (sliced,)), ("add", (sliced, sliced)), ("mul", (sliced, 2.0))):
        ours = meta_kernels.run(name, args, {})
        if ours is not None:
            same(ours, getattr(aten, name)(*args))
        assert ours is None or ours.is_contiguous()


def test_real_tensors_fall_back_to_torch() -> None:
    assert meta_kernels.run("relu", (torch.zeros(2),), {}) is None
    assert meta_kernels.run("cat", ([torch.zeros(2), meta(2)],), {}) is None
    # (training-mode batch norm has its own kernel now: tests/test_meta_kernels_train.py)
    bn = (torch.zeros(2, 4, 3, 3), meta(4), meta(4), meta(4), meta(4), True, 0.1, 1e-5)
    assert meta_kernels.run("native_batch_norm", bn, {}) is None


@given(st.integers(1, 2), st.integers(1, 3), st.integers(1, 3), st.integers(1, 4), st.integers(1, 3),
       st.integers(0, 2), st.integers(1, 2), st.integers(1, 9), st.booleans(), st.booleans(), st.integers(0, 1))
def test_convolution_matches_torch(n: int, groups: int, per_group: int, kernel: int, stride: int, padding: int,
                                   dilation: int, size: int, transposed: bool, channels_last: bool,
                                   extra: int) -> None:
    c_in, c_out = groups * per_group, groups * (per_group + 1)
    output_padding = min(extra, max(stride, dilation) - 1) if transposed else 0
    x = meta(n, c_in, size, size, channels_last=channels_last)
    w = meta(c_in, c_out // groups, kernel, kernel) if transposed else meta(c_out, per_group, kernel, kernel)
    args = (x, w, None, [stride] * 2, [padding] * 2, [dilation] * 2, transposed, [output_padding] * 2, groups)
    try:
        theirs = aten.convolution(*args)
    except RuntimeError:
        assert meta_kernels.run("convolution", args, {}) is None  # an invalid size is left to torch to report
        return
    assume(theirs.numel() > 0)
    ours = meta_kernels.run("convolution", args, {})
    if ours is None:  # the one documented fallback: a channels-last input, whose output layout torch decides
        assert channels_last and not x.is_contiguous()
        return
    same(ours, theirs)


@given(st.integers(1, 2), st.integers(1, 3), st.integers(1, 4), st.integers(1, 3), st.integers(0, 2), st.integers(1, 2),
       st.integers(1, 12), st.booleans(), st.booleans())
def test_pooling_matches_torch(n: int, c: int, kernel: int, stride: int, padding: int, dilation: int, size: int,
                               ceil_mode: bool, average: bool) -> None:
    x = meta(n, c, size, size + 1)
    if average:
        args = (x, [kernel, kernel], [stride, stride], [padding, padding], ceil_mode)
        name = "avg_pool2d"
    else:
        args = (x, [kernel, kernel], [stride, stride], [padding, padding], [dilation, dilation], ceil_mode)
        name = "max_pool2d_with_indices"
    try:
        theirs = getattr(aten, name)(*args)
    except RuntimeError:
        assert meta_kernels.run(name, args, {}) is None  # invalid settings are left to torch to report
        return
    ours = meta_kernels.run(name, args, {})
    if isinstance(theirs, tuple):
        assert ours[1].shape == theirs[1].shape and ours[1].dtype == theirs[1].dtype
    same(ours, theirs)


def test_pooling_defaults_stride_to_the_kernel() -> None:
    x = meta(1, 2, 9, 9)
    same(meta_kernels.run("max_pool2d_with_indices", (x, [3, 3]), {}), aten.max_pool2d_with_indices(x, [3, 3]))


_DTYPES = (torch.int64, torch.int32, torch.uint8, torch.bool, torch.float16, torch.bfloat16, torch.float32,
           torch.float64, torch.complex64)


def _torch_or_error(op: object, args: tuple, kwargs: dict) -> torch.Tensor | None:
    try:
        return op(*args, **kwargs)
    except RuntimeError:
        return None


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "rsub", "add_", "sub_", "mul_", "div_"])
def test_elementwise_kernels_give_torch_s_dtype_or_leave_the_op_to_torch(name: str) -> None:
    """Every operand dtype pair, tensor and number operands, true and floor division: a kernel that answers gives
    torch's dtype and layout, and never answers where torch raises. Integer true division is float in torch, an
    in-place op refuses a cast to a narrower kind, and bool subtraction raises: those go to torch."""
    op = getattr(aten, name)
    answered = 0
    for left in _DTYPES:
        for right in (*_DTYPES, 2, 0.5, True, 1j):
            other = meta(2, 3, dtype=right) if isinstance(right, torch.dtype) else right
            for kwargs in ({}, {"rounding_mode": "floor"}) if name.startswith("div") else ({},):
                a = meta(2, 3, dtype=left)
                ours = meta_kernels.run(name, (a, other), kwargs)
                if ours is None:
                    continue
                answered += 1
                theirs = _torch_or_error(op, (a.clone() if name.endswith("_") else a, other), kwargs)
                assert theirs is not None, (name, left, right, kwargs)
                same(ours, theirs)
    assert answered >= 16  # the floating cases still have their kernel


@pytest.mark.parametrize("name", ["relu", "sigmoid", "silu", "tanh", "hardtanh", "gelu", "leaky_relu", "hardswish"])
def test_unary_kernels_give_torch_s_dtype_or_leave_the_op_to_torch(name: str) -> None:
    op = getattr(aten, name)
    for dtype in _DTYPES:
        x = meta(2, 3, dtype=dtype)
        ours = meta_kernels.run(name, (x,), {})
        if ours is not None:
            theirs = _torch_or_error(op, (x,), {})
            assert theirs is not None, (name, dtype)
            same(ours, theirs)
    assert meta_kernels.run(name, (meta(2, 3),), {}) is not None


@given(st.lists(st.integers(1, 4), min_size=1, max_size=4), st.data(),
       st.sampled_from(["add", "sub", "mul", "div", "rsub"]), st.sampled_from([2, 0.5, True]),
       st.sampled_from([torch.float32, torch.bfloat16, torch.float16]))
def test_an_expanded_operand_gets_torch_s_layout(base: list[int], data: st.DataObject, name: str, number: object,
                                                 dtype: torch.dtype) -> None:
    """A mean's backward divides an expanded gradient by a number (the kernel once fell back to torch's Python
    reference here, which imports torch._dynamo on its first call)."""
    target = [data.draw(st.integers(1, 4)) if n == 1 else n for n in base]
    x = meta(*base, dtype=dtype).expand(target)
    ours = meta_kernels.run(name, (x, number), {})
    theirs = getattr(aten, name)(x, number)
    if 0 in x.stride() and any(n > 1 for n, s in zip(target, x.stride()) if s == 0):
        assert ours is not None
    if ours is not None:
        same(ours, theirs)


def test_a_mean_backward_division_has_its_kernel() -> None:
    grad = meta(1, 64, 1, 1).expand(1, 64, 8, 8)
    same(meta_kernels.run("div", (grad, 64), {}), aten.div(grad, 64))
    channels_last = meta(2, 64, 1, 1, channels_last=True).expand(2, 64, 7, 7)
    same(meta_kernels.run("div", (channels_last, 49), {}), aten.div(channels_last, 49))
