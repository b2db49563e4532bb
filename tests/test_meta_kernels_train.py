"""The training step's shape-only meta kernels (counting/meta_kernels_train.py, reached through meta_kernels.run) give
exactly torch's own meta outputs: shape, dtype and strides of every output (batch norm's saved statistics and the
None entries of an output mask included), and the input itself for an in-place op."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from archcost.counting import meta_kernels, meta_kernels_train

aten = torch.ops.aten
FLOATS = (torch.float32, torch.bfloat16, torch.float16)


def meta(*shape: int, channels_last: bool = False, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    t = torch.empty(shape, device="meta", dtype=dtype)
    return t.contiguous(memory_format=torch.channels_last) if channels_last else t


def same(ours: object, theirs: object) -> None:
    """Every output: None where torch gives None, else the same shape, dtype and strides."""
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, (tuple, list)) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            same(a, b)
        return
    if theirs is None:
        assert ours is None
        return
    assert isinstance(ours, torch.Tensor) and ours.is_meta
    assert (ours.shape, ours.dtype, ours.stride()) == (theirs.shape, theirs.dtype, theirs.stride())


def check(name: str, args: tuple, kwargs: dict | None = None, *, op: object = None) -> object:
    """Our kernel's output, asserted equal to torch's; None when ours falls back (torch then decides)."""
    kwargs = kwargs or {}
    ours = meta_kernels.run(name, args, kwargs)
    if ours is not None:
        same(ours, (op or getattr(aten, name))(*args, **kwargs))
    return ours


def bn_args(x: torch.Tensor, *, affine: bool = True, stats: bool = True, training: bool = True) -> tuple:
    c = x.shape[1]
    w, b = (meta(c, dtype=x.dtype), meta(c, dtype=x.dtype)) if affine else (None, None)
    rm, rv = (meta(c, dtype=x.dtype), meta(c, dtype=x.dtype)) if stats else (None, None)
    return (x, w, b, rm, rv, training, 0.1, 1e-5)


def x4(dtype: torch.dtype = torch.float32, channels_last: bool = False) -> torch.Tensor:
    return meta(2, 4, 3, 5, channels_last=channels_last, dtype=dtype)


CASES = [
    ("threshold_backward", (x4(), x4(), 0)),
    ("threshold_backward", (x4(channels_last=True), x4(channels_last=True), 0)),
    ("hardtanh_backward", (x4(torch.bfloat16), x4(torch.bfloat16), 0.0, 6.0)),
    ("sigmoid_backward", (meta(3, 7), meta(3, 7))),
    ("tanh_backward", (x4(torch.float16), x4(torch.float16))),
    ("silu_backward", (x4(), x4())),
    ("hardswish_backward", (x4(), x4())),
    ("hardsigmoid_backward", (x4(), x4())),
    ("gelu_backward", (meta(4, 9), meta(4, 9)), {"approximate": "tanh"}),
    ("gelu_backward", (meta(4, 9), meta(4, 9))),
    ("leaky_relu_backward", (x4(), x4(), 0.01, False)),
    ("_adaptive_avg_pool2d_backward", (meta(2, 8, 1, 1), meta(2, 8, 7, 7))),
    ("nll_loss_forward", (meta(6, 10), meta(6, dtype=torch.int64), None, 1, -100)),
    ("nll_loss_forward", (meta(6, 10), meta(6, dtype=torch.int64), None, 2, -100)),
    ("nll_loss_forward", (meta(6, 10), meta(6, dtype=torch.int64), None, 0, -100)),
    ("nll_loss_backward", (meta(), meta(6, 10), meta(6, dtype=torch.int64), None, 1, -100, meta())),
    ("nll_loss_backward", (meta(), meta(6, 10, dtype=torch.bfloat16).float(), meta(6, dtype=torch.int64), None, 2,
                           -100, meta())),
    ("_log_softmax", (meta(6, 10), 1, False)),
    ("_log_softmax", (meta(6, 10, dtype=torch.bfloat16), -1, False)),
    ("_log_softmax_backward_data", (meta(6, 10), meta(6, 10), 1, torch.float32)),
    ("sqrt", (x4(),)),
    ("sqrt", (x4(torch.bfloat16, channels_last=True),)),
    ("neg", (meta(3, 4),)),
    ("zeros_like", (x4(channels_last=True),), {"memory_format": torch.preserve_format}),
    ("zeros_like", (x4(),), {"dtype": torch.float16}),
    ("ones_like", (meta(),)),
    ("ones_like", (x4(),), {"dtype": torch.float32, "layout": torch.strided, "device": torch.device("meta"),
                            "pin_memory": False, "memory_format": torch.preserve_format}),
    ("empty_like", (x4(channels_last=True),)),
    ("clone", (x4(torch.float16, channels_last=True),)),
    ("clone", (meta(5, 3),), {"memory_format": torch.preserve_format}),
    ("sum", (x4(),)),
    ("sum", (meta(),)),
    ("sum", (x4(), [0, 2, 3])),
    ("sum", (x4(), [-1], True)),
    ("sum", (x4(torch.bfloat16), [1])),
    ("sum", (x4(), [])),
    ("sum", (x4(), None, True)),
    ("slice_backward", (meta(2, 3, 4, 4), [2, 8, 4, 4], 1, 0, 3, 1)),
    ("slice_backward", (meta(2, 2, 4, 4, dtype=torch.float16), [2, 8, 4, 4], 1, 2, 8, 3)),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_kernel_matches_torch(case: tuple) -> None:
    name, args = case[0], case[1]
    kwargs = case[2] if len(case) > 2 else {}
    assert check(name, args, kwargs) is not None, "the kernel fell back on an ordinary case"


def test_every_training_kernel_is_reachable_through_run_and_tested() -> None:
    names = {c[0] for c in CASES} | {"native_batch_norm_backward", "convolution_backward",
                                     "max_pool2d_with_indices_backward", "avg_pool2d_backward", "addcdiv_",
                                     "addcmul_", "lerp_"}
    assert set(meta_kernels_train.KERNELS) == names
    assert all(meta_kernels.KERNELS[n] is meta_kernels_train.KERNELS[n] for n in names)


def test_optimizer_updates_are_in_place_and_refuse_to_broadcast_or_mix_dtypes() -> None:
    p, m = meta(8, 3, 3, 3), meta(8, 3, 3, 3)
    cases = [
        ("addcdiv_", (p, m, m), {"value": -0.01}, aten.addcdiv_.default),
        ("addcmul_", (p, m, m), {"value": 0.001}, aten.addcmul_.default),
        ("addcmul_", (p, m, meta(3, 1, 1)), {}, aten.addcmul_.default),
        ("lerp_", (p, m, 0.1), {}, aten.lerp_.Scalar),
        ("lerp_", (p, m, meta()), {}, aten.lerp_.Tensor),
        ("lerp_", (p, m, meta(8, 3, 3, 3)), {}, aten.lerp_.Tensor),
    ]
    for name, args, kwargs, op in cases:
        assert meta_kernels.run(name, args, kwargs) is p
        assert op(*args, **kwargs) is p
    small = meta(3, 1, 1)
    assert meta_kernels.run("addcmul_", (small, m, m), {}) is None  # torch raises: it would broadcast in place
    with pytest.raises(RuntimeError):
        aten.addcmul_(small, m, m)
    assert meta_kernels.run("lerp_", (p, m.half(), 0.1), {}) is None  # torch raises on the mixed dtype
    assert meta_kernels.run("addcdiv_", (p, m, m), {"out": p}) is None


def test_unusual_arguments_fall_back_to_torch() -> None:
    sliced = meta(4, 6)[:, ::2]
    transposed = meta(4, 6).t()
    fallbacks = [
        ("threshold_backward", (x4(), x4(channels_last=True), 0)),  # torch picks the layout of mixed operands
        ("threshold_backward", (x4(), x4(torch.float16), 0)),
        ("threshold_backward", (transposed, transposed, 0)),
        ("sigmoid_backward", (meta(3, 7), meta(1, 7))),
        ("sqrt", (meta(3, dtype=torch.int64),)),  # an integer square root is float
        ("neg", (meta(3, dtype=torch.bool),)),  # torch raises
        ("neg", (transposed,)),
        ("clone", (sliced,)),
        ("clone", (x4(),), {"memory_format": torch.channels_last}),
        ("zeros_like", (x4(),), {"device": torch.device("cpu")}),
        ("sum", (meta(3, 4, dtype=torch.int32),)),  # integers sum to int64
        ("sum", (x4(), [1]), {"dtype": torch.float64}),
        ("sum", (x4(channels_last=True), [1], True)),
        ("sum", (x4(), [4])),  # torch raises
        ("_log_softmax", (meta(6, 10, dtype=torch.float16), 1, True)),
        ("_log_softmax_backward_data", (meta(6, 10, dtype=torch.float16), meta(6, 10, dtype=torch.float16), 1,
                                        torch.float32)),
        ("nll_loss_forward", (meta(6, 10), meta(6, dtype=torch.int64), meta(10), 1, -100)),  # class weights
        ("nll_loss_forward", (meta(6, 10), meta(5, dtype=torch.int64), None, 1, -100)),  # torch raises
        ("nll_loss_backward", (meta(6), meta(6, 10), meta(6, dtype=torch.int64), None, 0, -100, meta())),
        ("slice_backward", (meta(2, 3), [2, 8, 4], 1, 0, 3, 1)),
    ]
    for case in fallbacks:
        kwargs = case[2] if len(case) > 2 else {}
        assert meta_kernels.run(case[0], case[1], kwargs) is None, case


# --- batch norm ------------------------------------------------------------------------------------------------


@settings(deadline=None, max_examples=60)
@given(st.sampled_from(FLOATS), st.booleans(), st.booleans(), st.booleans(), st.integers(2, 4),
       st.integers(1, 3), st.integers(1, 4), st.integers(1, 3))
def test_training_batch_norm_matches_torch(dtype: torch.dtype, channels_last: bool, affine: bool, stats: bool,
                                           rank: int, n: int, c: int, size: int) -> None:
    shape = (n, c, *([size, size + 1][: rank - 2]))
    x = meta(*shape, dtype=dtype, channels_last=channels_last and rank == 4)
    args = bn_args(x, affine=affine, stats=stats)
    if x.numel() == c:  # one value per channel: left to torch (its running variance divides by zero)
        assert meta_kernels.run("native_batch_norm", args, {}) is None
        return
    ours = check("native_batch_norm", args)
    assert ours is not None
    expected_stats = torch.float32 if dtype in (torch.float16, torch.bfloat16) else dtype
    assert ours[1].shape == (c,) and ours[1].dtype == ours[2].dtype == expected_stats


@settings(deadline=None, max_examples=80)
@given(st.sampled_from(FLOATS), st.booleans(), st.booleans(), st.booleans(), st.integers(2, 4),
       st.integers(1, 3), st.integers(1, 4), st.lists(st.booleans(), min_size=3, max_size=3))
def test_batch_norm_backward_matches_torch(dtype: torch.dtype, channels_last: bool, affine: bool, train: bool,
                                           rank: int, n: int, c: int, mask: list[bool]) -> None:
    shape = (n, c, *([3, 2][: rank - 2]))
    x = meta(*shape, dtype=dtype, channels_last=channels_last and rank == 4)
    _, w, _, rm, rv, *_ = bn_args(x, affine=affine)
    stats = torch.float32 if dtype in (torch.float16, torch.bfloat16) else dtype
    save_mean, save_invstd = meta(c, dtype=stats), meta(c, dtype=stats)
    grad = meta(*shape, dtype=dtype, channels_last=channels_last and rank == 4)
    args = (grad, x, w, rm, rv, save_mean, save_invstd, train, 1e-5, mask)
    ours = check("native_batch_norm_backward", args)
    assert ours is not None
    assert [t is None for t in ours[1:]] == [not m for m in mask[1:]]


def test_batch_norm_falls_back_on_mixed_layouts_and_dtypes() -> None:
    x = x4(channels_last=True)
    mixed = bn_args(x4(torch.float16))[:1] + bn_args(x4())[1:]  # half input, float32 parameters
    assert meta_kernels.run("native_batch_norm", mixed, {}) is None
    assert meta_kernels.run("native_batch_norm", bn_args(meta(2, 4, 6)[:, :, ::2]), {}) is None
    grad = x4()  # a contiguous gradient for a channels-last input: torch picks the layout
    args = (grad, x, meta(4), meta(4), meta(4), meta(4), meta(4), True, 1e-5, [True, True, True])
    assert meta_kernels.run("native_batch_norm_backward", args, {}) is None
    no_saved = (x, x, meta(4), meta(4), meta(4), None, None, True, 1e-5, [True, True, True])
    assert meta_kernels.run("native_batch_norm_backward", no_saved, {}) is None  # torch raises


# --- convolution backward ---------------------------------------------------------------------------------------


@settings(deadline=None, max_examples=120)
@given(st.sampled_from(FLOATS), st.integers(1, 2), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3),
       st.integers(1, 3), st.integers(0, 2), st.integers(1, 2), st.integers(1, 7), st.booleans(), st.booleans(),
       st.booleans(), st.booleans(), st.lists(st.booleans(), min_size=3, max_size=3))
def test_convolution_backward_matches_torch(dtype: torch.dtype, n: int, groups: int, per_group: int, multiplier: int,
                                            kernel: int, padding: int, dilation: int, size: int, transposed: bool,
                                            input_channels_last: bool, weight_channels_last: bool, bias: bool,
                                            mask: list[bool]) -> None:
    # multiplier 1 and per_group 1 with groups > 1 is a depthwise convolution.
    stride = 1 + (size % 2)
    c_in, c_out = groups * per_group, groups * multiplier
    x = meta(n, c_in, size, size + 1, dtype=dtype, channels_last=input_channels_last)
    if transposed:
        w = meta(c_in, multiplier, kernel, kernel, dtype=dtype, channels_last=weight_channels_last)
    else:
        w = meta(c_out, per_group, kernel, kernel, dtype=dtype, channels_last=weight_channels_last)
    conv = (x, w, None, [stride] * 2, [padding] * 2, [dilation] * 2, transposed, [0, 0], groups)
    try:
        out = aten.convolution(*conv)
    except RuntimeError:
        return  # no forward, no backward
    grad = torch.empty_like(out)
    mask[2] = mask[2] and bias
    args = (grad, x, w, [c_out] if bias else None, *conv[3:], mask)
    ours = check("convolution_backward", args)
    assert ours is not None
    assert [t is None for t in ours] == [not m for m in mask]


def test_convolution_backward_falls_back_on_mixed_dtypes_and_odd_layouts() -> None:
    x, w = meta(2, 3, 8, 8), meta(4, 3, 3, 3)
    grad = meta(2, 4, 6, 6)
    rest = ([1, 1], [0, 0], [1, 1], False, [0, 0], 1, [True, True, True])
    assert meta_kernels.run("convolution_backward", (grad.half(), x, w, [4], *rest), {}) is None
    odd = meta(2, 3, 8, 16)[..., ::2]
    assert meta_kernels.run("convolution_backward", (grad, odd, w, [4], *rest), {}) is None
    assert meta_kernels.run("convolution_backward", (grad, x, w, None, *rest), {}) is None  # a bias grad, no size


def test_unary_of_a_strided_input_builds_only_a_row_major_one() -> None:
    expanded = meta(2, 6, 1, 1).expand(2, 6, 4, 4)
    assert check("neg", (expanded,)).is_contiguous()
    assert check("sqrt", (meta(4, 6)[:, ::2],)).is_contiguous()
    assert meta_kernels.run("neg", (meta(6, 4).t(),), {}) is None


# --- pooling backward -------------------------------------------------------------------------------------------


@settings(deadline=None, max_examples=80)
@given(st.sampled_from(FLOATS), st.integers(1, 2), st.integers(1, 3), st.integers(1, 4), st.integers(1, 3),
       st.integers(0, 2), st.integers(1, 2), st.integers(1, 12), st.booleans(), st.booleans(), st.booleans())
def test_pooling_backward_matches_torch(dtype: torch.dtype, n: int, c: int, kernel: int, stride: int, padding: int,
                                        dilation: int, size: int, ceil_mode: bool, average: bool,
                                        batched: bool) -> None:
    x = meta(n, c, size, size + 1, dtype=dtype) if batched else meta(c, size, size + 1, dtype=dtype)
    k, s, p = [kernel, kernel], [stride, stride], [padding, padding]
    try:
        if average:
            out = aten.avg_pool2d(x, k, s, p, ceil_mode)
        else:
            out, indices = aten.max_pool2d_with_indices(x, k, s, p, [dilation] * 2, ceil_mode)
    except RuntimeError:
        return
    grad = torch.empty_like(out)
    if average:
        ours = check("avg_pool2d_backward", (grad, x, k, s, p, ceil_mode, True, None))
    else:
        ours = check("max_pool2d_with_indices_backward", (grad, x, k, s, p, [dilation] * 2, ceil_mode, indices))
    assert ours is not None
    wrong = meta(*grad.shape[:-1], grad.shape[-1] + 1, dtype=dtype)  # torch raises on a mis-sized gradient
    if average:
        assert meta_kernels.run("avg_pool2d_backward", (wrong, x, k, s, p, ceil_mode, True, None), {}) is None
    else:
        args = (wrong, x, k, s, p, [dilation] * 2, ceil_mode, meta(*wrong.shape, dtype=torch.int64))
        assert meta_kernels.run("max_pool2d_with_indices_backward", args, {}) is None


@settings(deadline=None, max_examples=40)
@given(st.sampled_from(FLOATS), st.integers(1, 2), st.integers(1, 4), st.integers(1, 9), st.integers(1, 3),
       st.booleans())
def test_adaptive_pooling_backward_matches_torch(dtype: torch.dtype, n: int, c: int, size: int, out: int,
                                                 channels_last: bool) -> None:
    x = meta(n, c, size, size, dtype=dtype, channels_last=channels_last)
    grad = meta(n, c, out, out, dtype=dtype)
    ours = check("_adaptive_avg_pool2d_backward", (grad, x))
    if ours is None:  # the one documented fallback: a channels-last input, whose layout torch decides
        assert not x.is_contiguous()


@settings(deadline=None, max_examples=150)
@given(st.integers(1, 3), st.integers(1, 6), st.integers(1, 4), st.sampled_from(["slice", "expand", "permute",
                                                                                  "step", "plain"]),
       st.booleans(), st.booleans(), st.sampled_from(["threshold_backward", "sigmoid_backward", "silu_backward"]))
def test_activation_backward_of_a_strided_gradient_matches_torch(n: int, c: int, size: int, how: str,
                                                                 channels_last: bool, swap: bool, name: str) -> None:
    """The gradients autograd hands over: a slice of a concatenation's gradient, a mean's expanded gradient."""
    other = meta(n, c, size, size + 1, channels_last=channels_last)
    grad = {
        "slice": lambda: meta(n, c + 2, size, size + 1)[:, 1:c + 1],
        "expand": lambda: meta(n, c, 1, 1).expand(n, c, size, size + 1),
        "permute": lambda: meta(n, size + 1, c, size).permute(0, 2, 3, 1),
        "step": lambda: meta(n, c, size, 2 * size + 2)[..., ::2],
        "plain": lambda: meta(n, c, size, size + 1),
    }[how]()
    args = (other, grad) if swap else (grad, other)
    extra = (0,) if name == "threshold_backward" else ()
    ours = check(name, (*args, *extra))
    check("neg", (grad,))  # a single strided operand (highway networks negate an expanded gradient)
    check("sqrt", (grad,))
    if how in ("slice", "expand") and not channels_last and not swap and min(c, size) > 1:
        assert ours is not None  # the cases met in GoogLeNet and Inception networks are built
