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
